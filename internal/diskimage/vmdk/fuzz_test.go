package vmdk

import (
	"io"
	"testing"

	"github.com/stratus-iaas/stratus/internal/diskimage/convert/disk/disktest"
)

var vmdkSeeds = [][]string{
	{"-O", "vmdk"},
	{"-O", "vmdk", "-o", "subformat=streamOptimized"},
	{"-O", "vmdk", "-o", "zeroed_grain=on"},
}

// FuzzReader feeds arbitrary (sparse-encoded) files to the random-access
// reader: header or footer, grain directory, grain tables, grains.
func FuzzReader(f *testing.F) {
	for _, args := range vmdkSeeds {
		if s := disktest.QemuSeed(f, args...); s != nil {
			f.Add(s)
		}
	}
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

// FuzzStreamReader feeds arbitrary files, read front to back, to the
// streamOptimized stream reader (markers, grains, metadata skipping).
func FuzzStreamReader(f *testing.F) {
	for _, args := range vmdkSeeds[1:2] {
		if s := disktest.QemuSeed(f, args...); s != nil {
			f.Add(s)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		defer disktest.Watchdog()()
		file := disktest.Decode(b)
		r, err := NewStreamReader(io.NewSectionReader(file, 0, file.Size()))
		if err != nil {
			disktest.Drive(t, nil, err)
			return
		}
		disktest.Drive(t, r, nil)
	})
}
