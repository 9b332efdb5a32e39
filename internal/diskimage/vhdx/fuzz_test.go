package vhdx

import (
	"testing"

	"github.com/stratus-iaas/stratus/internal/diskimage/convert/disk/disktest"
)

// FuzzReader feeds arbitrary (sparse-encoded) files to the header, region
// table, metadata and BAT reader.
func FuzzReader(f *testing.F) {
	for _, args := range [][]string{
		{"-O", "vhdx"},
		{"-O", "vhdx", "-o", "block_size=1M"},
		{"-O", "vhdx", "-o", "subformat=fixed"},
	} {
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
