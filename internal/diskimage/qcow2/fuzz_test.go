package qcow2

import (
	"testing"

	"github.com/stratus-iaas/stratus/internal/diskimage/convert/disk/disktest"
)

// FuzzReader feeds arbitrary (sparse-encoded) files to the qcow2 header,
// L1/L2 and compressed-cluster reader.
func FuzzReader(f *testing.F) {
	for _, args := range [][]string{
		{"-O", "qcow2", "-o", "cluster_size=512"},
		{"-O", "qcow2", "-o", "cluster_size=512,compat=0.10"},
		{"-O", "qcow2", "-c", "-o", "cluster_size=4096"},
		{"-O", "qcow2", "-c", "-o", "cluster_size=4096,compression_type=zstd"},
		{"-O", "qcow2"},
	} {
		if s := disktest.QemuSeed(f, args...); s != nil {
			f.Add(s)
		}
	}
	f.Add([]byte("\x00\x10\x00\x00\x00\x00\x00\x00\x70\x00QFI\xfb\x00\x00\x00\x03"))
	f.Fuzz(func(t *testing.T, b []byte) {
		defer disktest.Watchdog()()
		file := disktest.Decode(b)
		r, err := NewReader(file, file.Size())
		if err != nil {
			disktest.Drive(t, nil, err)
			return
		}
		disktest.Drive(t, r, nil)
	})
}
