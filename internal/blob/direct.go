package blob

import (
	"errors"
	"os"
	"sync"
	"unsafe"
)

// Large sequential writes bypass the page cache. Past directAfter bytes a
// writer stages what it receives in an aligned buffer and writes it with
// O_DIRECT, directChunk bytes at a time. Buffered writes of a large blob
// cost the kernel page allocation, dirty accounting and writeback; on
// these virtual machines that cost 0.2-2.3 s of system CPU per GiB,
// varying run to run, against 0.1 s for direct writes (measured with a
// 1 GiB write + fsync loop; docs/benchmarks.md). Small blobs stay
// buffered: one small write + fsync is cheaper than alignment padding.
const (
	directAlign = 4096
	directChunk = 1 << 20
	directAfter = 1 << 20
)

var directPool = sync.Pool{New: func() any {
	b := make([]byte, directChunk+directAlign)
	off := int(directAlign-uintptr(unsafe.Pointer(&b[0]))%directAlign) % directAlign
	b = b[off : off+directChunk]
	return &b
}}

// direct is the O_DIRECT side of an fsWriter: a second descriptor on the
// same temp file, and the staging buffer that starts at file offset base.
type direct struct {
	f    *os.File
	buf  *[]byte
	n    int   // bytes staged
	base int64 // file offset of (*buf)[0], aligned
}

// errNoDirect reports that the filesystem refused O_DIRECT; the writer
// then stays buffered.
var errNoDirect = errors.New("blob: O_DIRECT not supported")

func newDirect(path string, base int64) (*direct, error) {
	f, err := openDirect(path)
	if err != nil {
		return nil, errNoDirect
	}
	return &direct{f: f, buf: directPool.Get().(*[]byte), base: base}, nil
}

// write stages p, writing each full chunk through the direct descriptor.
func (d *direct) write(p []byte) error {
	for len(p) > 0 {
		if d.n == 0 && len(p) >= directAlign && uintptr(unsafe.Pointer(&p[0]))%directAlign == 0 {
			// Nothing staged and the caller's buffer is aligned (Go
			// allocates large buffers page-aligned): write it as it is,
			// without the copy.
			m := len(p) &^ (directAlign - 1)
			if _, err := d.f.WriteAt(p[:m], d.base); err != nil {
				return err
			}
			d.base += int64(m)
			p = p[m:]
			continue
		}
		c := copy((*d.buf)[d.n:], p)
		d.n += c
		p = p[c:]
		if d.n == directChunk {
			if _, err := d.f.WriteAt(*d.buf, d.base); err != nil {
				return err
			}
			d.base += directChunk
			d.n = 0
		}
	}
	return nil
}

// flush writes the staged bytes, the last block padded with zeros, so the
// file holds everything received; the padding is cut by the caller's
// truncate or overwritten by the next chunk written at the same base.
func (d *direct) flush() error {
	if d.n == 0 {
		return nil
	}
	end := (d.n + directAlign - 1) / directAlign * directAlign
	clear((*d.buf)[d.n:end])
	_, err := d.f.WriteAt((*d.buf)[:end], d.base)
	return err
}

func (d *direct) close() {
	d.f.Close()
	if d.buf != nil {
		directPool.Put(d.buf)
		d.buf = nil
	}
}
