package vhd

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/stratus-iaas/stratus/internal/diskimage"
)

// tailFile is a file of size bytes that reads as zeros but for its last
// 512 bytes, a footer.
type tailFile struct {
	size   int64
	footer []byte
}

func (f tailFile) ReadAt(p []byte, off int64) (int, error) {
	clear(p)
	for i := range p {
		if o := off + int64(i) - (f.size - sector); o >= 0 && o < sector {
			p[i] = f.footer[o]
		}
	}
	return len(p), nil
}

func fixedFooter(creator string, size uint64) []byte {
	be := binary.BigEndian
	f := make([]byte, sector)
	copy(f, "conectix")
	copy(f[28:], creator)
	be.PutUint64(f[40:], size)
	be.PutUint64(f[48:], size)
	be.PutUint32(f[60:], typeFixed)
	var sum uint32
	for _, c := range f {
		sum += uint32(c)
	}
	be.PutUint32(f[64:], ^sum)
	return f
}

// TestMaxSize: the reader opens fixed disks up to 2040 GiB, as qemu does,
// and refuses larger ones on its own (without the inspector).
func TestMaxSize(t *testing.T) {
	for _, c := range []struct {
		size uint64
		ok   bool
	}{
		{2040 << 30, true},
		{2040<<30 + 512, false},
		{1 << 50, false},
	} {
		r, err := NewReader(tailFile{int64(c.size) + sector, fixedFooter("win ", c.size)}, int64(c.size)+sector)
		switch {
		case c.ok && err != nil:
			t.Errorf("%d bytes: %v", c.size, err)
		case c.ok && r.Size() != int64(c.size):
			t.Errorf("%d bytes: size %d", c.size, r.Size())
		case !c.ok && (diskimage.KindOf(err) != diskimage.KindUnsupported || !strings.Contains(fmtErr(err), "exceeds 2040 GiB")):
			t.Errorf("%d bytes: got %v, want a refusal naming 2040 GiB", c.size, err)
		}
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
