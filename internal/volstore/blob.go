package volstore

import (
	"context"
	"errors"
	"io"
	"os"

	"github.com/stratus-iaas/stratus/internal/blob"
	"github.com/stratus-iaas/stratus/internal/diskimage/convert"
)

// Blob keeps each key as a qcow2 object in a blob store (compact: an empty
// 1 TiB volume is a few hundred KiB), staging work through sparse temp
// files in a local directory.
type Blob struct {
	blobs   blob.Store
	staging *Local // temp files only
}

// NewBlob returns a store of qcow2 objects in blobs, staging in dir.
func NewBlob(blobs blob.Store, dir string) (*Blob, error) {
	l, err := NewLocal(dir)
	if err != nil {
		return nil, err
	}
	return &Blob{blobs: blobs, staging: l}, nil
}

// Kind implements Store.
func (b *Blob) Kind() string { return "blob" }

func blobKey(key string) (string, error) {
	if !validKey(key) {
		return "", errors.New("volstore: invalid key " + key)
	}
	return "volumes/" + key + ".qcow2", nil
}

// Path implements Store: blob volumes have no local file.
func (b *Blob) Path(key string) string { return "" }

// Create implements Store.
func (b *Blob) Create(ctx context.Context, key string, size int64) error {
	return b.Fill(ctx, key, size, nil)
}

// Fill implements Store: fill writes a sparse raw temp file, which is
// converted to qcow2 and stored.
func (b *Blob) Fill(ctx context.Context, key string, size int64, fill func(context.Context, *os.File) error) error {
	raw, err := b.staging.tempFile()
	if err != nil {
		return err
	}
	defer discard(raw)
	if err := raw.Truncate(size); err != nil {
		return err
	}
	if fill != nil {
		if err := fill(ctx, raw); err != nil {
			return err
		}
		if err := raw.Truncate(size); err != nil {
			return err
		}
	}
	return b.store(ctx, key, raw, size)
}

// store converts the raw file to qcow2 into a staged blob (written at
// offsets; on S3 uploaded at Commit) and commits it under key.
func (b *Blob) store(ctx context.Context, key string, raw *os.File, size int64) error {
	bk, err := blobKey(key)
	if err != nil {
		return err
	}
	w, err := b.blobs.Stage(ctx, bk)
	if err != nil {
		return err
	}
	_, err = convert.Convert(ctx, convert.Source{ReaderAt: raw, Size: size}, w,
		convert.Options{SrcFormat: "raw", DstFormat: "qcow2", SkipInspect: true})
	if err != nil {
		w.Abort()
		return err
	}
	return w.Commit()
}

// Copy implements Store: the qcow2 object is copied as it is.
func (b *Blob) Copy(ctx context.Context, src, dst string, progress func(done, total int64)) (bool, error) {
	sk, err := blobKey(src)
	if err != nil {
		return false, err
	}
	dk, err := blobKey(dst)
	if err != nil {
		return false, err
	}
	if _, ok := b.blobs.(blob.Copier); ok {
		// A server-side copy: no byte passes through this node.
		err := blob.Copy(ctx, b.blobs, sk, dk)
		if errors.Is(err, blob.ErrNotFound) {
			return false, ErrNotFound
		}
		if err == nil && progress != nil {
			if n, serr := b.blobs.Stat(ctx, dk); serr == nil {
				progress(n, n)
			}
		}
		return false, err
	}
	r, err := b.blobs.Open(ctx, sk)
	if errors.Is(err, blob.ErrNotFound) {
		return false, ErrNotFound
	}
	if err != nil {
		return false, err
	}
	defer r.Close()
	w, err := b.blobs.Create(ctx, dk)
	if err != nil {
		return false, err
	}
	pw := &progressWriter{w: w, total: r.Size(), progress: progress}
	if _, err := io.Copy(pw, &ctxReader{ctx: ctx, r: io.NewSectionReader(r, 0, r.Size())}); err != nil {
		w.Abort()
		return false, err
	}
	return false, w.Commit()
}

// Resize implements Store.
func (b *Blob) Resize(ctx context.Context, key string, size int64) error {
	r, err := b.open(ctx, key)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := r.f.Truncate(size); err != nil {
		return err
	}
	return b.store(ctx, key, r.f, size)
}

// Open implements Store: the object is converted to a raw temp file,
// removed when the reader is closed.
func (b *Blob) Open(ctx context.Context, key string) (Reader, error) {
	r, err := b.open(ctx, key)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (b *Blob) open(ctx context.Context, key string) (*tempReader, error) {
	bk, err := blobKey(key)
	if err != nil {
		return nil, err
	}
	src, err := b.blobs.Open(ctx, bk)
	if errors.Is(err, blob.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	defer src.Close()
	raw, err := b.staging.tempFile()
	if err != nil {
		return nil, err
	}
	res, err := convert.Convert(ctx, convert.Source{ReaderAt: src, Size: src.Size()}, raw,
		convert.Options{SrcFormat: "qcow2", DstFormat: "raw", SkipInspect: true})
	if err != nil {
		discard(raw)
		return nil, err
	}
	// The raw writer rounds up to whole sectors; volumes are whole GiB.
	return &tempReader{fileReader{f: raw, size: res.VirtualSize}}, nil
}

// Delete implements Store.
func (b *Blob) Delete(ctx context.Context, key string) error {
	bk, err := blobKey(key)
	if err != nil {
		return err
	}
	return b.blobs.Delete(ctx, bk)
}

// Allocated implements Store.
func (b *Blob) Allocated(ctx context.Context, key string) (int64, error) {
	bk, err := blobKey(key)
	if err != nil {
		return 0, err
	}
	return b.blobs.Stat(ctx, bk)
}

type tempReader struct{ fileReader }

func (r *tempReader) Close() error {
	err := r.f.Close()
	os.Remove(r.f.Name())
	return err
}

type progressWriter struct {
	w        io.Writer
	done     int64
	total    int64
	progress func(done, total int64)
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.done += int64(n)
	if p.progress != nil {
		p.progress(p.done, p.total)
	}
	return n, err
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
