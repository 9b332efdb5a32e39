package convert

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stratus-iaas/stratus/internal/testutil"
)

// pattern describes a raw test disk: a sequence of regions.
type region struct {
	kind byte // 'r' random, 't' text, 'z' written zeros, 'h' hole
	len  int64
}

var mixed = []region{
	{'r', 300 << 10}, {'h', 1 << 20}, {'t', 200 << 10}, {'z', 512 << 10}, {'r', 5000},
	{'h', 3 << 20}, {'r', 700 << 10}, {'t', 65536}, {'z', 4096}, {'r', 123}, {'h', 2<<20 + 77},
	{'r', 1 << 20}, {'h', 333},
}

// writeRaw creates a raw disk from regions and returns its size.
func writeRaw(t testing.TB, path string, regs []region, seed int64) int64 {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rng := rand.New(rand.NewSource(seed))
	text := []byte("The quick brown fox jumps over the lazy dog; stratus converts disk images. ")
	var off int64
	for _, r := range regs {
		b := make([]byte, r.len)
		switch r.kind {
		case 'r':
			rng.Read(b)
		case 't':
			for i := range b {
				b[i] = text[(int(off)+i)%len(text)]
			}
		case 'h':
			off += r.len
			continue
		}
		if _, err := f.WriteAt(b, off); err != nil {
			t.Fatal(err)
		}
		off += r.len
	}
	if err := f.Truncate(off); err != nil {
		t.Fatal(err)
	}
	return off
}

func qemuImg(t testing.TB, args ...string) string {
	t.Helper()
	bin := testutil.RequireTool(t, "qemu-img")
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("qemu-img %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func qemuIO(t testing.TB, args ...string) {
	t.Helper()
	bin := testutil.RequireTool(t, "qemu-io")
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("qemu-io %v: %v\n%s", args, err, out)
	}
}

// sameContent compares two files block by block (cmp semantics,
// including length).
func sameContent(t testing.TB, a, b string) {
	t.Helper()
	fa, err := os.Open(a)
	if err != nil {
		t.Fatal(err)
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		t.Fatal(err)
	}
	defer fb.Close()
	sa, _ := fa.Stat()
	sb, _ := fb.Stat()
	if sa.Size() != sb.Size() {
		t.Fatalf("%s is %d bytes, %s is %d", filepath.Base(a), sa.Size(), filepath.Base(b), sb.Size())
	}
	ba := make([]byte, 1<<20)
	bb := make([]byte, 1<<20)
	for off := int64(0); off < sa.Size(); off += int64(len(ba)) {
		// Skip what is a hole in both files: it reads as zeros in both.
		if d := min(nextData(fa, off, sa.Size()), nextData(fb, off, sa.Size())); d > off {
			off = d / int64(len(ba)) * int64(len(ba))
			if off >= sa.Size() {
				break
			}
		}
		na, _ := io.ReadFull(io.NewSectionReader(fa, off, int64(len(ba))), ba)
		nb, _ := io.ReadFull(io.NewSectionReader(fb, off, int64(len(bb))), bb)
		if na != nb || !bytes.Equal(ba[:na], bb[:nb]) {
			for i := 0; i < min(na, nb); i++ {
				if ba[i] != bb[i] {
					t.Fatalf("%s and %s differ at byte %d", filepath.Base(a), filepath.Base(b), off+int64(i))
				}
			}
			t.Fatalf("%s and %s differ near %d", filepath.Base(a), filepath.Base(b), off)
		}
	}
}

func allocated(t testing.TB, path string) int64 {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Blocks * 512
}

func convertFile(t testing.TB, src, srcFmt, dst, dstFmt string, compress bool, hashes ...string) *Result {
	t.Helper()
	if hashes == nil {
		hashes = []string{"sha256"}
	}
	res, err := ConvertFile(context.Background(), src, dst, Options{SrcFormat: srcFmt, DstFormat: dstFmt, Compress: compress, Hashes: hashes})
	if err != nil {
		t.Fatalf("convert %s (%s) -> %s: %v", filepath.Base(src), srcFmt, dstFmt, err)
	}
	return res
}

func nextData(f *os.File, off, size int64) int64 {
	d, err := f.Seek(off, 3) // SEEK_DATA
	if err != nil {
		if errors.Is(err, syscall.ENXIO) {
			return size
		}
		return off
	}
	return d
}
