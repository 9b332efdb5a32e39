package s3blob

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/minio/minio-go/v7"

	"github.com/stratus-iaas/stratus/internal/blob"
)

// Stage implements blob.Store: the bytes go to a local file in StageDir,
// which the caller may write at any offset; Commit uploads it (parts read
// from the file in parallel) and removes it.
func (s *Store) Stage(ctx context.Context, key string) (blob.Staged, error) {
	obj, err := s.object(key)
	if err != nil {
		return nil, err
	}
	var b [12]byte
	rand.Read(b[:])
	f, err := os.OpenFile(filepath.Join(s.opts.StageDir, hex.EncodeToString(b[:])), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	return &staged{s: s, ctx: ctx, obj: obj, f: f}, nil
}

// sweepStage removes the staging files of a crashed process. A StageDir
// belongs to one node (it is in the node's data dir).
func sweepStage(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		os.Remove(filepath.Join(dir, e.Name()))
	}
}

type staged struct {
	s    *Store
	ctx  context.Context
	obj  string
	f    *os.File
	off  int64
	done bool
}

var _ blob.Staged = (*staged)(nil)

func (w *staged) Write(p []byte) (int, error) {
	n, err := w.f.WriteAt(p, w.off)
	w.off += int64(n)
	return n, err
}

func (w *staged) WriteAt(p []byte, off int64) (int, error) { return w.f.WriteAt(p, off) }
func (w *staged) ReadAt(p []byte, off int64) (int, error)  { return w.f.ReadAt(p, off) }
func (w *staged) Truncate(size int64) error                { return w.f.Truncate(size) }

// Fd lets the disk-image writers start writeback and drop written pages of
// the staging file as they do for their own files.
func (w *staged) Fd() uintptr { return w.f.Fd() }

func (w *staged) Commit() error {
	if w.done {
		return errDone
	}
	w.done = true
	defer w.remove()
	st, err := w.f.Stat()
	if err != nil {
		return err
	}
	return w.s.upload(context.WithoutCancel(w.ctx), w.obj, w.f, st.Size())
}

func (w *staged) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	return w.remove()
}

func (w *staged) remove() error {
	w.f.Close()
	return os.Remove(w.f.Name())
}

// upload sends size bytes of ra as obj: one PUT when they fit a part,
// else a multipart upload whose parts are read from ra in parallel.
func (s *Store) upload(ctx context.Context, obj string, ra io.ReaderAt, size int64) error {
	part := max(s.opts.PartSize, (size+maxParts-1)/maxParts)
	if size <= part {
		_, err := s.core.PutObject(ctx, s.opts.Bucket, obj, io.NewSectionReader(ra, 0, size), size, "", "", s.putOpts())
		if err != nil {
			return fmt.Errorf("blob: put %s: %w", obj, err)
		}
		return nil
	}
	id, err := s.core.NewMultipartUpload(ctx, s.opts.Bucket, obj, minio.PutObjectOptions{})
	if err != nil {
		return fmt.Errorf("blob: start upload: %w", err)
	}
	n := int((size + part - 1) / part)
	parts := make([]minio.CompletePart, n)
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	sem := make(chan struct{}, s.opts.Parallel)
	for i := 0; i < n; i++ {
		off := int64(i) * part
		sem <- struct{}{}
		mu.Lock()
		stop := firstErr != nil
		mu.Unlock()
		if stop {
			<-sem
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ln := min(part, size-off)
			p, err := s.core.PutObjectPart(ctx, s.opts.Bucket, obj, id, i+1, io.NewSectionReader(ra, off, ln), ln, s.partOpts())
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = fmt.Errorf("blob: upload part %d: %w", i+1, err)
			}
			parts[i] = minio.CompletePart{PartNumber: i + 1, ETag: p.ETag}
		}()
	}
	wg.Wait()
	if firstErr == nil {
		_, firstErr = s.core.CompleteMultipartUpload(ctx, s.opts.Bucket, obj, id, parts, minio.PutObjectOptions{})
	}
	if firstErr != nil {
		s.core.AbortMultipartUpload(ctx, s.opts.Bucket, obj, id)
		return firstErr
	}
	return nil
}
