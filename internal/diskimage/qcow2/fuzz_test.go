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
		{"-O", "qcow2", "-o", "extended_l2=on,cluster_size=16384"},
		{"-O", "qcow2", "-c", "-o", "extended_l2=on,cluster_size=16384"},
	} {
		if s := disktest.QemuSeed(f, args...); s != nil {
			f.Add(s)
		}
	}
	// Extended L2 entries with data, zero and unallocated subclusters
	// and a compressed entry, made by hand (qemu-img convert allocates
	// whole clusters).
	f.Add(disktest.Encode(extImage(3<<14+1000, 5<<14, c3, allocated(0, 1, 9)|zeroed(2, 3), 0, zeroed(7),
		entryCompressed|c4|1<<(62-6), 0, c4, 1<<32-1)))
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
