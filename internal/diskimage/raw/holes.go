package raw

import (
	"errors"
	"io"
	"os"
	"syscall"
)

const (
	seekData = 3 // SEEK_DATA
	seekHole = 4 // SEEK_HOLE
)

// holeFinder asks the file system where a file's holes are, so holes in a
// raw source are skipped without being read (qemu-img does the same).
type holeFinder struct {
	f        *os.File
	disabled bool
}

// next returns the start of the next data at or after off and, when there
// is data there, the end of that data run; ok is false when the file
// system cannot tell.
func (h *holeFinder) next(off, size int64) (data, hole int64, ok bool) {
	if h.f == nil || h.disabled {
		return 0, 0, false
	}
	d, err := h.f.Seek(off, seekData)
	if err != nil {
		if errors.Is(err, syscall.ENXIO) {
			return size, size, true
		}
		h.disabled = true
		return 0, 0, false
	}
	if d > off {
		return min(d, size), 0, true
	}
	e, err := h.f.Seek(off, seekHole)
	if err != nil {
		h.disabled = true
		return 0, 0, false
	}
	return off, min(e, size), true
}

func newHoleFinder(r io.ReaderAt) holeFinder {
	f, _ := r.(*os.File)
	return holeFinder{f: f}
}
