package convert

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"io"
	"testing"

	"github.com/stratus-iaas/stratus/internal/diskimage"
)

// failAt is a ReaderAt whose reads past off fail.
type failAt struct {
	r   *bytes.Reader
	off int64
}

func (f failAt) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > f.off {
		n, _ := f.r.ReadAt(p[:max(0, f.off-off)], off)
		return n, errors.New("disk on fire")
	}
	return f.r.ReadAt(p, off)
}

func TestHashReaderAt(t *testing.T) {
	data := make([]byte, 5<<20+3)
	for i := range data {
		data[i] = byte(i*7 + i>>13)
	}
	for _, size := range []int{0, 1, 1 << 20, 1<<20 + 1, len(data)} {
		h := md5.New()
		if err := hashReaderAt(context.Background(), bytes.NewReader(data), int64(size), h); err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if want := md5.Sum(data[:size]); !bytes.Equal(h.Sum(nil), want[:]) {
			t.Fatalf("size %d: wrong digest", size)
		}
	}
	// A read error stops the hashing with an I/O error, after the bytes read.
	var got bytes.Buffer
	err := hashReaderAt(context.Background(), failAt{bytes.NewReader(data), 3<<20 + 5}, int64(len(data)), &got)
	var de *diskimage.Error
	if !errors.As(err, &de) || de.Kind != diskimage.KindIO || got.Len() != 3<<20+5 || !bytes.Equal(got.Bytes(), data[:got.Len()]) {
		t.Fatalf("read error: %v after %d bytes", err, got.Len())
	}
	// A source shorter than size is an error, not a short digest.
	if err := hashReaderAt(context.Background(), bytes.NewReader(data[:100]), 200, io.Discard); !errors.As(err, &de) {
		t.Fatalf("short source: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := hashReaderAt(ctx, bytes.NewReader(data), int64(len(data)), io.Discard); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}
