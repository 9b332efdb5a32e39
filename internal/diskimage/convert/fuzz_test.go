package convert

import (
	"context"
	"errors"
	"testing"

	"github.com/stratus-iaas/stratus/internal/diskimage"
	"github.com/stratus-iaas/stratus/internal/diskimage/convert/disk/disktest"
)

type discardFile struct{}

func (discardFile) Write(p []byte) (int, error)            { return len(p), nil }
func (discardFile) WriteAt(p []byte, _ int64) (int, error) { return len(p), nil }
func (discardFile) Truncate(int64) error                   { return nil }

var fuzzFormats = []string{"qcow2", "vmdk", "vhd", "vhdx", "raw"}

// FuzzConvert runs whole conversions (inspector skipped, so the readers
// face hostile input alone) through the parallel pipeline, including the
// coalesced reads of compressed extents, into a discarding raw output.
func FuzzConvert(f *testing.F) {
	for i, args := range [][]string{
		{"-O", "qcow2", "-c", "-o", "cluster_size=4096"},
		{"-O", "vmdk", "-o", "subformat=streamOptimized"},
		{"-O", "vpc"},
		{"-O", "vhdx"},
	} {
		if s := disktest.QemuSeed(f, args...); s != nil {
			f.Add(byte(i), s)
		}
	}
	if s := disktest.QemuSeed(f, "-O", "qcow2", "-c", "-o", "extended_l2=on,cluster_size=16384"); s != nil {
		f.Add(byte(0), s) // qcow2 with extended L2 entries
	}
	f.Fuzz(func(t *testing.T, sel byte, b []byte) {
		defer disktest.Watchdog()()
		file := disktest.Decode(b)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		_, err := Convert(ctx, Source{ReaderAt: file, Size: file.Size()}, discardFile{}, Options{
			SrcFormat: fuzzFormats[int(sel)%len(fuzzFormats)], DstFormat: "raw", SkipInspect: true, Workers: 2,
			Hashes: []string{"md5"},
			Progress: func(done, total int64) {
				if done > 32<<20 {
					cancel()
				}
			},
		})
		var de *diskimage.Error
		if err != nil && !errors.Is(err, context.Canceled) && !errors.As(err, &de) {
			t.Fatalf("error is not a diskimage.Error: %v", err)
		}
	})
}
