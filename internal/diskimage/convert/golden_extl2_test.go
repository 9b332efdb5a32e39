package convert

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stratus-iaas/stratus/internal/diskimage"
)

// TestGoldenExtendedL2 reads qcow2 images with extended L2 entries
// (subclusters) at 16 KiB, 64 KiB and 2 MiB clusters, written by qemu-io
// at subcluster granularity and below (random data, patterns, zeroed
// subclusters with and without unmapping, discards, compressed clusters,
// partial writes over compressed clusters) on a virtual size that is not a
// multiple of the cluster size and spans two L2 tables at 16 KiB; and
// images qemu-img convert makes with and without compression. The raw
// output must be qemu-img's, as sparse.
func TestGoldenExtendedL2(t *testing.T) {
	for _, cs := range []int64{16 << 10, 64 << 10, 2 << 20} {
		for _, how := range []string{"qemu-io", "convert", "convert-c"} {
			t.Run(fmt.Sprintf("%dk-%s", cs>>10, how), func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				opts := fmt.Sprintf("extended_l2=on,cluster_size=%d", cs)
				src := filepath.Join(dir, "src.qcow2")
				if how == "qemu-io" {
					const size = 17<<20 + 1536
					qemuImg(t, "create", "-q", "-f", "qcow2", "-o", opts, src, strconv.Itoa(size))
					rnd := filepath.Join(dir, "random")
					writeRaw(t, rnd, []region{{'r', 4 << 20}}, cs)
					qemuIO(t, append([]string{"-f", "qcow2"}, append(extL2Writes(cs, size, rnd), src)...)...)
				} else {
					base := filepath.Join(dir, "base.raw")
					writeRaw(t, base, append(append([]region{}, mixed...), oddRegs...), cs)
					args := []string{"convert", "-f", "raw", "-O", "qcow2", "-o", opts}
					if how == "convert-c" {
						args = append(args, "-c")
					}
					qemuImg(t, append(args, base, src)...)
				}
				want := filepath.Join(dir, "want.raw")
				qemuImg(t, "convert", "-f", "qcow2", "-O", "raw", src, want)
				got := filepath.Join(dir, "got.raw")
				res := convertFile(t, src, "qcow2", got, "raw", false)
				sameContent(t, want, got)
				if g, w := allocated(t, got), allocated(t, want); g > w+64<<10 {
					t.Errorf("stratus output allocates %d bytes, qemu-img's %d", g, w)
				}
				checkSums(t, res, src, got)
			})
		}
	}
}

// extL2Writes returns qemu-io commands that write a size-byte image with
// cluster size cs: mostly runs of whole subclusters, some unaligned
// writes inside subclusters, compressed clusters and edits over them, in
// an order where later commands overwrite earlier ones.
func extL2Writes(cs, size int64, random string) []string {
	sc := cs / 32
	rng := rand.New(rand.NewSource(cs))
	var cmds []string
	add := func(format string, args ...any) { cmds = append(cmds, "-c", fmt.Sprintf(format, args...)) }
	for range 3 { // compressed clusters (a last, partial cluster would also do)
		c := rng.Int63n(size / cs)
		add("write -c -s %s %d %d", random, c*cs, cs)
	}
	for i := range 60 {
		off := rng.Int63n(size/sc) * sc
		n := (1 + rng.Int63n(6)) * sc
		if i%4 == 3 { // a write inside a subcluster
			off += rng.Int63n(sc)
			n = 1 + rng.Int63n(sc)
		}
		n = min(n, size-off, 4<<20)
		switch r := rng.Intn(20); {
		case r < 10:
			add("write -s %s %d %d", random, off, n)
		case r < 13:
			add("write -P 0x%02x %d %d", 1+rng.Intn(255), off, n)
		case r < 16:
			add("write -z %d %d", off, n)
		case r < 18:
			add("write -z -u %d %d", off, n)
		default:
			add("discard %d %d", off, n)
		}
	}
	return cmds
}

// TestGoldenExtendedL2Tampered edits the L2 entries of an image qemu-io
// wrote: the combinations qemu will not read are refused as corrupt, and
// so is a compressed cluster with a subcluster bitmap (qemu-img check
// reports it; qemu's reads ignore it); the zero flag of standard entries,
// which has no meaning with subclusters, is ignored as qemu ignores it.
func TestGoldenExtendedL2Tampered(t *testing.T) {
	dir := t.TempDir()
	orig := filepath.Join(dir, "orig.qcow2")
	qemuImg(t, "create", "-q", "-f", "qcow2", "-o", "extended_l2=on,cluster_size=16384", orig, "1M")
	rnd := filepath.Join(dir, "random")
	writeRaw(t, rnd, []region{{'t', 16 << 10}}, 1)
	// Entry 0: subclusters 0-3 allocated; 1: a compressed cluster; 2:
	// unallocated, subcluster 5 reads as zeros.
	qemuIO(t, "-f", "qcow2", "-c", "write -P 0x61 0 2k", "-c", "write -c -s "+rnd+" 16k 16k", "-c", "write -z 35k 512", orig)
	for _, c := range []struct {
		name         string
		entry        int
		desc, bitmap uint64 // ORed into the entry
		refuse       string // "" when the image reads as qemu reads it
		qemuConverts bool
	}{
		{"allocated and zero", 0, 0, 1 << 33, "both allocated and reading as zeros", false},
		{"allocated without a cluster", 2, 0, 1 << 4, "has allocated subclusters", false},
		{"compressed with a bitmap", 1, 0, 1 << 40, "has a subcluster bitmap", true},
		{"zero flag on data", 0, 1, 0, "", true},
		{"zero flag on nothing", 2, 1, 0, "", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := filepath.Join(dir, c.name+".qcow2")
			b, err := os.ReadFile(orig)
			if err != nil {
				t.Fatal(err)
			}
			be := binary.BigEndian
			l2 := be.Uint64(b[be.Uint64(b[40:]):]) & 0x00fffffffffffe00
			e := b[l2+16*uint64(c.entry):]
			if be.Uint64(e) == 0 && be.Uint64(e[8:]) == 0 {
				t.Fatalf("entry %d is empty: qemu-io did not write what the case edits", c.entry)
			}
			be.PutUint64(e, be.Uint64(e)|c.desc)
			be.PutUint64(e[8:], be.Uint64(e[8:])|c.bitmap)
			if err := os.WriteFile(src, b, 0o644); err != nil {
				t.Fatal(err)
			}
			want := filepath.Join(dir, c.name+".want")
			if c.qemuConverts {
				qemuImg(t, "convert", "-f", "qcow2", "-O", "raw", src, want)
			} else {
				qemuImgFails(t, "convert", "-f", "qcow2", "-O", "raw", src, want)
			}
			got := filepath.Join(dir, c.name+".raw")
			_, err = ConvertFile(context.Background(), src, got, Options{SrcFormat: "qcow2", DstFormat: "raw"})
			switch {
			case c.refuse == "" && err != nil:
				t.Fatal(err)
			case c.refuse == "":
				sameContent(t, want, got)
			case diskimage.KindOf(err) != diskimage.KindCorrupt || !strings.Contains(err.Error(), c.refuse):
				t.Fatalf("got %v, want a corrupt error naming %q", err, c.refuse)
			}
		})
	}
}
