package s3blob

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/minio/minio-go/v7"

	"github.com/stratus-iaas/stratus/internal/blob"
)

// Create implements blob.Store: a streaming writer whose size is unknown.
func (s *Store) Create(ctx context.Context, key string) (blob.Writer, error) {
	return s.CreateSized(ctx, key, -1)
}

// CreateSized implements blob.SizedCreator: with the size known, the part
// size is chosen so the stream fits S3's 10,000 parts.
func (s *Store) CreateSized(ctx context.Context, key string, size int64) (blob.Writer, error) {
	obj, err := s.object(key)
	if err != nil {
		return nil, err
	}
	part := s.opts.PartSize
	if size > part*maxParts {
		part = (size + maxParts - 1) / maxParts
		part = (part + 1<<20 - 1) &^ (1<<20 - 1)
	}
	ctx, cancel := context.WithCancel(ctx)
	return &writer{s: s, ctx: ctx, cancel: cancel, obj: obj, part: part, sized: size >= 0,
		sem: make(chan struct{}, s.parallel(part))}, nil
}

// parallel is how many parts of size part one upload sends at once: the
// configured number, fewer for huge parts so an upload buffers at most
// about 64 MiB more than the parts in flight.
func (s *Store) parallel(part int64) int {
	n := s.opts.Parallel
	if budget := int(max(1, (64<<20)/part)); budget < n {
		n = budget
	}
	return n
}

// writer uploads a stream as parts of w.part bytes, each sent by its own
// goroutine (at most cap(w.sem) at once) while the next one fills. A
// stream that ends within its first part is sent as one PUT at Commit.
type writer struct {
	s      *Store
	ctx    context.Context
	cancel context.CancelFunc
	obj    string
	part   int64
	sized  bool // part fixed from a known size; else it grows (growPart)

	buf      *[]byte // the part being filled
	fill     int
	uploadID string
	next     int // number of the next part
	sem      chan struct{}
	wg       sync.WaitGroup
	mu       sync.Mutex
	parts    []minio.CompletePart
	err      error // first failure of a part
	done     bool
}

// growPart is the part size for part number n of a stream of unknown
// size: the configured size for the first 1,000 parts, then doubled every
// 1,000 parts up to 512 MiB, so 10,000 parts hold 2.9 TB from 16 MiB parts.
func (w *writer) growPart(n int) int64 {
	p := w.s.opts.PartSize << min(5, (n-1)/1000)
	return min(max(p, w.s.opts.PartSize), 512<<20)
}

func (w *writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, errDone
	}
	written := 0
	for len(p) > 0 {
		if err := w.failed(); err != nil {
			return written, err
		}
		if w.buf == nil {
			w.buf = getBuf(w.curPart())
			w.fill = 0
		}
		n := copy((*w.buf)[w.fill:], p)
		w.fill += n
		written += n
		p = p[n:]
		if w.fill == len(*w.buf) {
			if err := w.flush(); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

func (w *writer) curPart() int64 {
	if w.sized {
		return w.part
	}
	return w.growPart(w.next + 1)
}

func (w *writer) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// flush sends the filled part on its own goroutine, starting the
// multipart upload with the first one; it waits while cap(sem) parts are
// in flight.
func (w *writer) flush() error {
	if w.uploadID == "" {
		id, err := w.s.core.NewMultipartUpload(w.ctx, w.s.opts.Bucket, w.obj, minio.PutObjectOptions{})
		if err != nil {
			return fmt.Errorf("blob: start upload: %w", err)
		}
		w.uploadID = id
	}
	w.next++
	num, buf, n := w.next, w.buf, w.fill
	w.buf = nil
	select {
	case w.sem <- struct{}{}:
	case <-w.ctx.Done():
		putBuf(buf)
		return w.ctx.Err()
	}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		defer func() { <-w.sem }()
		defer putBuf(buf)
		p, err := w.s.core.PutObjectPart(w.ctx, w.s.opts.Bucket, w.obj, w.uploadID, num,
			bytes.NewReader((*buf)[:n]), int64(n), w.s.partOpts())
		w.mu.Lock()
		defer w.mu.Unlock()
		if err != nil {
			if w.err == nil {
				w.err = fmt.Errorf("blob: upload part %d: %w", num, err)
			}
			w.cancel()
			return
		}
		w.parts = append(w.parts, minio.CompletePart{PartNumber: num, ETag: p.ETag})
	}()
	return nil
}

// Commit sends what is left and completes the upload: the object becomes
// visible whole, replacing any previous one.
func (w *writer) Commit() error {
	if w.done {
		return errDone
	}
	w.done = true
	defer w.cancel()
	if w.uploadID == "" {
		var b []byte
		if w.buf != nil {
			b = (*w.buf)[:w.fill]
			defer putBuf(w.buf)
		}
		// A started commit finishes even if the caller's context ends.
		ctx := context.WithoutCancel(w.ctx)
		_, err := w.s.core.PutObject(ctx, w.s.opts.Bucket, w.obj, bytes.NewReader(b), int64(len(b)), "", "", w.s.putOpts())
		if err != nil {
			return fmt.Errorf("blob: put %s: %w", w.obj, err)
		}
		return nil
	}
	var err error
	if w.buf != nil && w.fill > 0 {
		err = w.flush()
	}
	w.wg.Wait()
	if err == nil {
		err = w.failed()
	}
	if err == nil {
		slices.SortFunc(w.parts, func(a, b minio.CompletePart) int { return a.PartNumber - b.PartNumber })
		_, err = w.s.core.CompleteMultipartUpload(context.WithoutCancel(w.ctx), w.s.opts.Bucket, w.obj, w.uploadID, w.parts, minio.PutObjectOptions{})
		if err != nil {
			err = fmt.Errorf("blob: complete %s: %w", w.obj, err)
		}
	}
	if err != nil {
		w.abortUpload()
	}
	return err
}

// Abort discards the stream and the parts sent so far.
func (w *writer) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	w.cancel()
	w.wg.Wait()
	if w.buf != nil {
		putBuf(w.buf)
		w.buf = nil
	}
	return w.abortUpload()
}

func (w *writer) abortUpload() error {
	if w.uploadID == "" {
		return nil
	}
	return w.s.core.AbortMultipartUpload(context.WithoutCancel(w.ctx), w.s.opts.Bucket, w.obj, w.uploadID)
}

// Part buffers of the default size are pooled; others are allocated.
var bufPool = sync.Pool{New: func() any { b := make([]byte, defaultPartSize); return &b }}

func getBuf(n int64) *[]byte {
	if n == defaultPartSize {
		return bufPool.Get().(*[]byte)
	}
	b := make([]byte, n)
	return &b
}

func putBuf(b *[]byte) {
	if int64(len(*b)) == defaultPartSize {
		bufPool.Put(b)
	}
}
