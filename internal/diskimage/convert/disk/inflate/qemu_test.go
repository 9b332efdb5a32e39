package inflate

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestQemuImg decodes the compressed clusters of images that qemu-img
// wrote (zlib's deflate with qemu's 4 KiB window); skipped without
// qemu-img.
func TestQemuImg(t *testing.T) {
	qemu, err := exec.LookPath("qemu-img")
	if err != nil {
		t.Skip("qemu-img not installed")
	}
	dir := t.TempDir()
	raw := filepath.Join(dir, "src.raw")
	rng := rand.New(rand.NewPCG(15, 16))
	var img []byte
	for i := range 48 {
		switch i % 4 {
		case 0:
			img = append(img, englishText(rng, 1<<16)...)
		case 1:
			img = append(img, mixedCluster(rng, 1<<16)...)
		case 2: // mostly zeros with a few bytes set, so it is not a hole
			z := make([]byte, 1<<16)
			z[rng.IntN(len(z))] = 1
			img = append(img, z...)
		case 3:
			r := make([]byte, 1<<16)
			for j := range r {
				r[j] = byte(rng.Uint32())
			}
			img = append(img, r...)
		}
	}
	if err := os.WriteFile(raw, img, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cs := range []string{"65536", "4096", "2M"} {
		q := filepath.Join(dir, "c"+cs+".qcow2")
		out, err := exec.Command(qemu, "convert", "-c", "-O", "qcow2", "-o", "cluster_size="+cs, raw, q).CombinedOutput()
		if err != nil {
			t.Fatalf("qemu-img convert: %v\n%s", err, out)
		}
		f, err := os.ReadFile(q)
		if err != nil {
			t.Fatal(err)
		}
		if n := checkQcow2(t, f, img); n == 0 {
			t.Errorf("cluster size %s: no compressed clusters", cs)
		} else {
			t.Logf("cluster size %s: %d compressed clusters decoded", cs, n)
		}
	}
}

// checkQcow2 decodes every compressed cluster of a qcow2 image f and
// compares it with the raw image; it returns how many it checked.
func checkQcow2(t *testing.T, f, raw []byte) int {
	be := binary.BigEndian
	if len(f) < 72 || string(f[:4]) != "QFI\xfb" {
		t.Fatal("not a qcow2 image")
	}
	cbits := be.Uint32(f[20:])
	csize := 1 << cbits
	l1Size, l1Off := be.Uint32(f[36:]), be.Uint64(f[40:])
	if be.Uint32(f[4:]) >= 3 && be.Uint32(f[100:]) > 104 && f[104] != 0 {
		t.Fatal("not zlib compression")
	}
	x := 62 - (cbits - 8)
	dst := make([]byte, csize)
	var d Decoder
	checked := 0
	for i := range uint64(l1Size) {
		l2Off := be.Uint64(f[l1Off+8*i:]) & 0x00fffffffffffe00
		if l2Off == 0 {
			continue
		}
		for j := range uint64(csize / 8) {
			e := be.Uint64(f[l2Off+8*j:])
			if e&(1<<62) == 0 {
				continue
			}
			off := e & (1<<x - 1)
			n := ((e>>x)&(1<<(cbits-8)-1) + 1) * 512
			n -= off & 511
			end := min(off+n, uint64(len(f)))
			guest := (i*uint64(csize/8) + j) * uint64(csize)
			want := raw[guest:min(guest+uint64(csize), uint64(len(raw)))]
			clear(dst)
			m, err := d.Decode(dst, f[off:end])
			if err != nil || m != csize || !bytes.Equal(dst[:len(want)], want) {
				t.Fatalf("cluster at guest offset %d: n=%d err=%v (differs at %d)", guest, m, err, firstDiff(dst[:len(want)], want))
			}
			checked++
		}
	}
	return checked
}
