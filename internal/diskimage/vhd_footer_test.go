package diskimage

import "testing"

func TestVHDVirtualSize(t *testing.T) {
	const chs = 1024 * 16 * 63 // sectors of the geometry used below
	cases := []struct {
		creator string
		cyls    uint16
		heads   byte
		secs    byte
		current uint64
		want    int64
	}{
		{"win ", 1024, 16, 63, 5000 * 512, 5000 * 512},
		{"qem2", 1024, 16, 63, 5000 * 512, 5000 * 512},
		{"d2v ", 1024, 16, 63, 5000 * 512, 5000 * 512},
		{"CTXS", 1024, 16, 63, 5000 * 512, 5000 * 512},
		{"tap\x00", 1024, 16, 63, 5000 * 512, 5000 * 512},
		{"win ", 1024, 16, 63, 5000*512 + 100, 5000 * 512}, // whole sectors only
		{"tap ", 1024, 16, 63, 5000 * 512, chs * 512},
		{"vpc ", 1024, 16, 63, 5000 * 512, chs * 512},
		{"qemu", 1024, 16, 63, 5000 * 512, chs * 512},
		{"vbox", 1024, 16, 63, 5000 * 512, chs * 512},
		{"vbox", 65535, 16, 255, 5000 * 512, 5000 * 512}, // maximum geometry
	}
	for _, c := range cases {
		f := vhdFooter(vhdTypeDynamic, c.current, 512)
		copy(f[28:], c.creator)
		be.PutUint16(f[56:], c.cyls)
		f[58], f[59] = c.heads, c.secs
		if got := VHDVirtualSize(f); got != c.want {
			t.Errorf("creator %q, CHS %d/%d/%d, current_size %d: %d, want %d", c.creator, c.cyls, c.heads, c.secs, c.current, got, c.want)
		}
	}
}
