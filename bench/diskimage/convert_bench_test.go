package diskimage_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/stratus-iaas/stratus/internal/diskimage/convert"
	"github.com/stratus-iaas/stratus/internal/diskimage/convert/disk"
)

// mixedImage writes a raw image of n MiB cycling 1 MiB pieces of random
// bytes, text, zeros and holes.
func mixedImage(b *testing.B, path string, n int) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	rng := rand.New(rand.NewSource(1))
	piece := make([]byte, 1<<20)
	var text bytes.Buffer
	for text.Len() < len(piece) {
		fmt.Fprintf(&text, "line %d of a compressible log file with some words\n", rng.Intn(1e6))
	}
	for i := range n {
		switch i % 4 {
		case 0:
			rng.Read(piece)
			f.WriteAt(piece, int64(i)<<20)
		case 1:
			f.WriteAt(text.Bytes()[:len(piece)], int64(i)<<20)
		case 2:
			f.WriteAt(make([]byte, len(piece)), int64(i)<<20)
		}
	}
	f.Truncate(int64(n) << 20)
}

// BenchmarkConvert measures in-process conversions of a 64 MiB mixed image
// (page cache, no fsync); bench/diskimage/run.sh compares with qemu-img.
func BenchmarkConvert(b *testing.B) {
	dir := b.TempDir()
	raw := filepath.Join(dir, "src.raw")
	mixedImage(b, raw, 64)
	qc := filepath.Join(dir, "src.qcow2")
	if _, err := convert.ConvertFile(context.Background(), raw, qc, convert.Options{DstFormat: "qcow2", Compress: true}); err != nil {
		b.Fatal(err)
	}
	vm := filepath.Join(dir, "src.vmdk")
	if _, err := convert.ConvertFile(context.Background(), raw, vm, convert.Options{DstFormat: "vmdk"}); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name, src, dst string
		compress       bool
	}{
		{"raw-qcow2", raw, "qcow2", false},
		{"raw-qcow2c", raw, "qcow2", true},
		{"raw-vmdk", raw, "vmdk", false},
		{"qcow2c-raw", qc, "raw", false},
		{"vmdk-raw", vm, "raw", false},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(64 << 20)
			out := filepath.Join(dir, "out")
			for b.Loop() {
				if _, err := convert.ConvertFile(context.Background(), c.src, out, convert.Options{DstFormat: c.dst, Compress: c.compress}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDeflate measures one core's deflate speed per level on 64 KiB
// clusters of text (the choice of disk.DefaultLevel).
func BenchmarkDeflate(b *testing.B) {
	var text bytes.Buffer
	for text.Len() < 64<<10 {
		fmt.Fprintf(&text, "line %d of a compressible log file with some words\n", text.Len())
	}
	src := text.Bytes()[:64<<10]
	for _, lvl := range []int{1, 3, 5, 6} {
		b.Run(fmt.Sprint("level", lvl), func(b *testing.B) {
			d := &disk.Deflater{Level: lvl}
			b.SetBytes(int64(len(src)))
			var n int
			for b.Loop() {
				c, _ := d.Compress(src)
				n = len(c)
			}
			b.ReportMetric(float64(n)/float64(len(src)), "ratio")
		})
	}
}
