package diskimage

import (
	"encoding/binary"
	"errors"
	"io"
)

// ErrNeedMoreData is wrapped by errors from Detect and InspectPrefix when
// the buffered head is too short to decide anything.
var ErrNeedMoreData = errors.New("more of the image is needed")

// errBeyondEOF and errBudget are internal: inspectors turn them into
// findings through result.fetch.
var (
	errBeyondEOF = errors.New("range lies beyond the end of the file")
	errBudget    = errors.New("inspection read budget exhausted")
)

// source is the only way inspectors see image bytes. It serves a range from
// the buffered head or tail when it can, and otherwise from the ReaderAt,
// charging every byte it reads there against a budget so that no header
// field, however large, can make inspection read (or allocate) more than
// MaxInspectRead. Without a ReaderAt (streaming callers) a range outside the
// buffers is ErrNeedMoreData.
type source struct {
	r      io.ReaderAt
	size   int64
	head   []byte // bytes [0, len(head))
	tail   []byte // bytes [size-len(tail), size)
	budget int64
}

// newReaderSource reads the first DetectPrefixSize bytes once; all
// signature checks are then served from memory.
func newReaderSource(r io.ReaderAt, size int64) (*source, error) {
	s := &source{r: r, size: size, budget: MaxInspectRead}
	n := min(size, DetectPrefixSize)
	head, err := s.read(0, n)
	if err != nil {
		return nil, err
	}
	s.head = head
	return s, nil
}

func newBufferSource(head, tail []byte, size int64) *source {
	if int64(len(head)) > size {
		head = head[:size]
	}
	if int64(len(tail)) > size {
		tail = tail[int64(len(tail))-size:]
	}
	if int64(len(head)+len(tail)) >= size && int64(len(head)) < size {
		// Head and tail together hold the whole image: join them so that
		// ranges straddling the seam can be served too.
		whole := make([]byte, size)
		copy(whole, head)
		copy(whole[size-int64(len(tail)):], tail)
		head, tail = whole, nil
	}
	return &source{size: size, head: head, tail: tail}
}

// read returns exactly n bytes at off. The slice may alias a buffer and must
// not be modified.
func (s *source) read(off, n int64) ([]byte, error) {
	if off < 0 || n < 0 || off > s.size || n > s.size-off {
		return nil, errBeyondEOF
	}
	if off+n <= int64(len(s.head)) {
		return s.head[off : off+n], nil
	}
	if ts := s.size - int64(len(s.tail)); off >= ts {
		return s.tail[off-ts : off-ts+n], nil
	}
	if s.r == nil {
		return nil, ErrNeedMoreData
	}
	if n > s.budget {
		return nil, errBudget
	}
	s.budget -= n
	buf := make([]byte, n)
	got, err := s.r.ReadAt(buf, off)
	if int64(got) == n {
		return buf, nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return nil, &Error{Kind: KindIO, Reason: "reading image", Err: err}
}

// prefix returns up to n bytes from the start of the image without any
// read: signature checks only ever look at the head.
func (s *source) prefix(n int) []byte {
	if n > len(s.head) {
		n = len(s.head)
	}
	return s.head[:n]
}

// fetch reads a region an inspector needs, turning the ways that can fail
// on hostile input into findings: a region past EOF is corruption, a region
// larger than the budget is refused, and a region a streaming caller did not
// buffer is noted as unchecked. It returns nil, nil in those cases, so
// callers write `b, err := r.fetch(...); if b == nil { return err }`.
func (r *result) fetch(s *source, off, n int64, what string) ([]byte, error) {
	b, err := s.read(off, n)
	switch {
	case err == nil:
		return b, nil
	case errors.Is(err, errBeyondEOF):
		r.refuse(KindCorrupt, "%s (offset %d, %d bytes) lies beyond the end of the %d-byte file", what, off, n, s.size)
	case errors.Is(err, errBudget):
		r.refuse(KindUnsafe, "%s (%d bytes) exceeds the inspection read limit of %d bytes", what, n, MaxInspectRead)
	case errors.Is(err, ErrNeedMoreData):
		r.warn("%s not checked: it lies outside the buffered part of the upload", what)
	default:
		return nil, err
	}
	return nil, nil
}

// Little helpers for fixed-layout headers; callers check lengths first.
func be16(b []byte, off int) uint16 { return binary.BigEndian.Uint16(b[off:]) }
func be32(b []byte, off int) uint32 { return binary.BigEndian.Uint32(b[off:]) }
func be64(b []byte, off int) uint64 { return binary.BigEndian.Uint64(b[off:]) }
func le16(b []byte, off int) uint16 { return binary.LittleEndian.Uint16(b[off:]) }
func le32(b []byte, off int) uint32 { return binary.LittleEndian.Uint32(b[off:]) }
func le64(b []byte, off int) uint64 { return binary.LittleEndian.Uint64(b[off:]) }

// mulFits returns a*b and whether it fits in an int64 (both non-negative).
func mulFits(a, b uint64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	if a > (1<<63-1)/b {
		return 0, false
	}
	return int64(a * b), true
}

// ceilDiv divides rounding up; d must be > 0.
func ceilDiv(n, d uint64) uint64 {
	q := n / d
	if n%d != 0 {
		q++
	}
	return q
}

func isPow2(v uint64) bool { return v != 0 && v&(v-1) == 0 }
