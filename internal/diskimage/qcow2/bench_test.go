package qcow2

import (
	"bytes"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stratus-iaas/stratus/internal/testutil"
)

// BenchmarkReader walks every extent of a 64 MiB qcow2 image made by
// qemu-img (random data, zeros and holes in 1 MiB pieces) and copies its
// data extents (or, for walk, only lists them): the reader's hot path
// without the pipeline or the disk.
func BenchmarkReader(b *testing.B) {
	for _, c := range []struct {
		name, opts string
		fetch      bool
	}{
		{"64k", "cluster_size=65536", true},
		{"4k", "cluster_size=4096", true},
		{"walk-512", "cluster_size=512", false},
		{"extl2-64k", "cluster_size=65536,extended_l2=on", true},
		{"walk-extl2-16k", "cluster_size=16384,extended_l2=on", false},
	} {
		b.Run(c.name, func(b *testing.B) {
			img := benchImage(b, c.opts)
			buf := make([]byte, 2<<20)
			b.SetBytes(int64(64 << 20))
			for b.Loop() {
				r, err := NewReader(bytes.NewReader(img), int64(len(img)))
				if err != nil {
					b.Fatal(err)
				}
				for {
					x, err := r.Next()
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					if !c.fetch {
						continue
					}
					if err := x.Fetch(buf[:x.Len], format); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

func benchImage(b *testing.B, opts string) []byte {
	bin := testutil.RequireTool(b, "qemu-img")
	dir := b.TempDir()
	raw := filepath.Join(dir, "src.raw")
	data := make([]byte, 64<<20)
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 64; i += 4 {
		rng.Read(data[i<<20 : (i+2)<<20]) // then a zero piece and a piece qemu-img leaves unallocated
	}
	if err := os.WriteFile(raw, data, 0o644); err != nil {
		b.Fatal(err)
	}
	img := filepath.Join(dir, "src.qcow2")
	if out, err := exec.Command(bin, "convert", "-f", "raw", "-O", "qcow2", "-o", opts, raw, img).CombinedOutput(); err != nil {
		b.Skipf("qemu-img convert -o %s: %v\n%s", opts, err, out)
	}
	p, err := os.ReadFile(img)
	if err != nil {
		b.Fatal(err)
	}
	return p
}
