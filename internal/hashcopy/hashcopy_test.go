package hashcopy

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha512"
	"errors"
	"io"
	"testing"

	"github.com/stratus-iaas/stratus/internal/hashcopy/hashcopytest"
)

// failWriter fails every write once it holds after bytes.
type failWriter struct {
	bytes.Buffer
	after int
}

var errDisk = errors.New("disk full")

func (w *failWriter) Write(p []byte) (int, error) {
	if w.Len()+len(p) > w.after {
		return 0, errDisk
	}
	return w.Buffer.Write(p)
}

func TestCopy(t *testing.T) {
	data := hashcopytest.RandomBytes(ringSize*ChunkSize + 3<<20 + 12345) // more than the ring holds, not a chunk multiple
	for _, tc := range []struct {
		name  string
		n     int   // bytes offered
		limit int64 // cap
		over  bool
	}{
		{"empty", 0, 1 << 40, false},
		{"small", 100, 1 << 40, false},
		{"exact first chunk", FirstChunk, 1 << 40, false},
		{"first chunk and one more", FirstChunk + ChunkSize, 1 << 40, false},
		{"large", len(data), 1 << 40, false},
		{"at limit", len(data), int64(len(data)), false},
		{"over limit", len(data), int64(len(data)) - 1, true},
		{"over limit at a chunk boundary", len(data), FirstChunk + 2*ChunkSize, true},
		{"over limit at the first chunk's end", len(data), FirstChunk, true},
		{"zero limit", 10, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := data[:tc.n]
			want := in[:min(int64(len(in)), tc.limit)]
			var out, copy2 bytes.Buffer
			m, s := md5.New(), sha512.New()
			res, err := Copy(context.Background(), &out, hashcopytest.NewRagged(in), tc.limit, m, s, &copy2)
			if err != nil {
				t.Fatal(err)
			}
			if res.Over != tc.over || res.N != int64(len(want)) {
				t.Fatalf("got %+v, want N %d over %v", res, len(want), tc.over)
			}
			if !bytes.Equal(out.Bytes(), want) || !bytes.Equal(copy2.Bytes(), want) {
				t.Fatalf("wrote %d / %d bytes, want %d in order", out.Len(), copy2.Len(), len(want))
			}
			wm, ws := md5.Sum(want), sha512.Sum512(want)
			if !bytes.Equal(m.Sum(nil), wm[:]) || !bytes.Equal(s.Sum(nil), ws[:]) {
				t.Fatal("checksums differ")
			}
		})
	}
}

// maxReadAhead is how far reading may run past the point where the copy
// should stop: the ring, plus the chunk being read.
const maxReadAhead = (ringSize + 1) * ChunkSize

func TestCopyStops(t *testing.T) {
	data := hashcopytest.RandomBytes(96 << 20)
	errNet := errors.New("connection reset")

	t.Run("read error mid-stream", func(t *testing.T) {
		r := hashcopytest.NewRagged(data)
		r.Fail, r.OnFail = 5<<20+3, func() error { return errNet }
		var out bytes.Buffer
		if _, err := Copy(context.Background(), &out, r, 1<<40, md5.New()); !errors.Is(err, errNet) {
			t.Fatalf("err = %v", err)
		}
		if !bytes.Equal(out.Bytes(), data[:r.Fail]) {
			t.Fatalf("wrote %d bytes, want the %d read, in order", out.Len(), r.Fail)
		}
	})
	t.Run("body cut short", func(t *testing.T) {
		for _, at := range []int{100, FirstChunk, FirstChunk + ChunkSize, 1<<20 + 7} {
			r := hashcopytest.NewRagged(data)
			r.Fail, r.OnFail = at, func() error { return io.ErrUnexpectedEOF }
			if _, err := Copy(context.Background(), io.Discard, r, 1<<40); !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("cut at %d: err = %v, want io.ErrUnexpectedEOF", at, err)
			}
		}
	})
	t.Run("write error mid-stream", func(t *testing.T) {
		r := hashcopytest.NewRagged(data)
		w := &failWriter{after: 3 << 20}
		if _, err := Copy(context.Background(), w, r, 1<<40, md5.New()); !errors.Is(err, errDisk) {
			t.Fatalf("err = %v", err)
		}
		if r.Off > w.after+maxReadAhead {
			t.Fatalf("read %d bytes after the write failed at %d", r.Off, w.after)
		}
	})
	t.Run("cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		r := hashcopytest.NewRagged(data)
		at := 4 << 20
		// The reader cancels once it has given at bytes, then keeps going:
		// the copy must stop reading by itself.
		r.Fail, r.OnFail = at, func() error {
			cancel()
			r.Fail = -1
			return nil
		}
		if _, err := Copy(ctx, io.Discard, r, 1<<40); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
		if r.Off > at+maxReadAhead {
			t.Fatalf("read %d bytes after cancel at %d", r.Off, at)
		}
	})
	t.Run("cancelled before start", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		r := hashcopytest.NewRagged(data)
		if _, err := Copy(ctx, io.Discard, r, 1<<40); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
		if r.Off != 0 {
			t.Fatalf("read %d bytes", r.Off)
		}
	})
}

// Benchmark of the copy with the two digests of an image upload, to a
// discarding writer: bounded by the slower digest on one core each.
func BenchmarkCopyImageDigests(b *testing.B) {
	data := hashcopytest.RandomBytes(64 << 20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Copy(context.Background(), io.Discard, bytes.NewReader(data), 1<<40, md5.New(), sha512.New()); err != nil {
			b.Fatal(err)
		}
	}
}
