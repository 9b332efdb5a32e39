package s3blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/minio/minio-go/v7"

	"github.com/stratus-iaas/stratus/internal/blob"
)

// Open implements blob.Store. The size comes from a HEAD; bytes are read
// by ranged GETs as they are asked for.
func (s *Store) Open(ctx context.Context, key string) (blob.Reader, error) {
	obj, err := s.object(key)
	if err != nil {
		return nil, err
	}
	info, err := s.cl.StatObject(ctx, s.opts.Bucket, obj, minio.StatObjectOptions{})
	if notFound(err) {
		return nil, blob.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("blob: open %s: %w", key, err)
	}
	return &reader{s: s, ctx: ctx, obj: obj, etag: info.ETag, size: info.Size}, nil
}

// reader reads one object. Read streams one GET from the current offset
// (reopened after a Seek elsewhere); ReadAt and ReadRange each send a
// ranged GET. Every GET names the ETag seen at Open, so a reader never
// mixes bytes of two versions of a key.
type reader struct {
	s    *Store
	ctx  context.Context
	obj  string
	etag string
	size int64

	pos     int64
	body    io.ReadCloser
	bodyPos int64

	mu    sync.Mutex // guards what ReadAt keeps
	reads int
	wins  []window
}

var (
	_ blob.Reader = (*reader)(nil)
	_ blob.Ranger = (*reader)(nil)
)

func (r *reader) Size() int64 { return r.size }

// get opens bytes [off, off+n) of the object.
func (r *reader) get(off, n int64) (io.ReadCloser, error) {
	opts := minio.GetObjectOptions{}
	if off != 0 || n != r.size {
		if err := opts.SetRange(off, off+n-1); err != nil {
			return nil, err
		}
	}
	if r.etag != "" {
		opts.SetMatchETag(r.etag)
	}
	rc, _, _, err := r.s.core.GetObject(r.ctx, r.s.opts.Bucket, r.obj, opts)
	if notFound(err) {
		return nil, blob.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("blob: read %s: %w", r.obj, err)
	}
	return &body{rc}, nil
}

// body is a GET's body that io.Copy drains with large buffers (fewer
// reads and writes per byte than its default 32 KiB, which showed when
// a node relays a large object from the store to its client).
type body struct{ io.ReadCloser }

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 1<<20); return &b }}

func (b *body) WriteTo(w io.Writer) (int64, error) {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	return io.CopyBuffer(writerOnly{w}, b.ReadCloser, *bp)
}

// writerOnly hides a destination's ReadFrom, which would copy with its
// own small buffer.
type writerOnly struct{ io.Writer }

func (r *reader) Read(p []byte) (int, error) {
	if r.pos >= r.size {
		return 0, io.EOF
	}
	if r.body != nil && r.bodyPos != r.pos {
		r.body.Close()
		r.body = nil
	}
	if r.body == nil {
		b, err := r.get(r.pos, r.size-r.pos)
		if err != nil {
			return 0, err
		}
		r.body, r.bodyPos = b, r.pos
	}
	p = p[:min(int64(len(p)), r.size-r.pos)]
	n, err := r.body.Read(p)
	r.pos += int64(n)
	r.bodyPos = r.pos
	if errors.Is(err, io.EOF) {
		r.body.Close()
		r.body = nil
		if r.pos < r.size {
			return n, io.ErrUnexpectedEOF
		}
		err = nil
	}
	return n, err
}

// WriteTo streams the rest of the object in one GET with large buffers.
func (r *reader) WriteTo(w io.Writer) (int64, error) {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	var total int64
	for {
		n, err := r.Read(buf)
		if n > 0 {
			m, werr := w.Write(buf[:n])
			total += int64(m)
			if werr != nil {
				return total, werr
			}
		}
		if err == io.EOF || (err == nil && r.pos >= r.size) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// ReadAt reads len(p) bytes at off. The first read is one ranged GET of
// exactly those bytes (an object GET of a small range). Later reads
// smaller than readAhead fetch a window of readAhead bytes and keep the
// last few windows, so the many small reads of an inspector or a
// converter cost a GET per window, not one each. Safe for concurrent use.
func (r *reader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("blob: negative offset")
	}
	if off >= r.size {
		return 0, io.EOF
	}
	n := min(int64(len(p)), r.size-off)
	if r.cached(p[:n], off) {
		return r.eof(n, len(p))
	}
	r.mu.Lock()
	r.reads++
	ahead := r.reads > 1 && n < readAhead
	r.mu.Unlock()
	fetch := n
	if ahead {
		fetch = min(readAhead, r.size-off)
	}
	buf := p[:n]
	if ahead {
		buf = make([]byte, fetch)
	}
	b, err := r.get(off, fetch)
	if err != nil {
		return 0, err
	}
	defer b.Close()
	got, err := io.ReadFull(b, buf)
	if err != nil {
		return 0, fmt.Errorf("blob: read %s at %d: %w", r.obj, off, err)
	}
	if ahead {
		copy(p, buf[:n])
		r.keep(window{off: off, b: buf[:got]})
	}
	return r.eof(n, len(p))
}

func (r *reader) eof(n int64, want int) (int, error) {
	if n < int64(want) {
		return int(n), io.EOF
	}
	return int(n), nil
}

// readAhead is the window a small ReadAt fetches; windows keeps that many.
const (
	readAhead = 1 << 20
	windows   = 4
)

type window struct {
	off int64
	b   []byte
}

// cached copies p from a kept window that holds all of it.
func (r *reader) cached(p []byte, off int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, w := range r.wins {
		if off >= w.off && off+int64(len(p)) <= w.off+int64(len(w.b)) {
			copy(p, w.b[off-w.off:])
			// Most recently used first.
			copy(r.wins[1:i+1], r.wins[:i])
			r.wins[0] = w
			return true
		}
	}
	return false
}

func (r *reader) keep(w window) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.wins) < windows {
		r.wins = append(r.wins, window{})
	}
	copy(r.wins[1:], r.wins[:len(r.wins)-1])
	r.wins[0] = w
}

// ReadRange implements blob.Ranger.
func (r *reader) ReadRange(off, n int64) (io.ReadCloser, error) {
	if off < 0 || n < 0 || off+n > r.size {
		return nil, fmt.Errorf("blob: range %d+%d outside %d bytes", off, n, r.size)
	}
	if n == 0 {
		return io.NopCloser(eofReader{}), nil
	}
	return r.get(off, n)
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

func (r *reader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.pos
	case io.SeekEnd:
		offset += r.size
	default:
		return 0, errors.New("blob: bad whence")
	}
	if offset < 0 {
		return 0, errors.New("blob: negative position")
	}
	r.pos = offset
	return offset, nil
}

func (r *reader) Close() error {
	if r.body != nil {
		r.body.Close()
		r.body = nil
	}
	return nil
}
