package image

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stratus-iaas/stratus/internal/diskimage"
)

// raggedReader returns data in reads of random length (1 byte to 1 MiB),
// as a network body does; after fail bytes it calls onFail and returns
// its error.
type raggedReader struct {
	data   []byte
	off    int
	rnd    *rand.Rand
	fail   int // -1: never
	onFail func() error
}

func newRagged(data []byte) *raggedReader {
	return &raggedReader{data: data, rnd: rand.New(rand.NewPCG(1, 2)), fail: -1}
}

func (r *raggedReader) Read(p []byte) (int, error) {
	if r.fail >= 0 && r.off >= r.fail {
		return 0, r.onFail()
	}
	if r.off == len(r.data) {
		return 0, io.EOF
	}
	n := min(len(p), 1+r.rnd.IntN(1<<20), len(r.data)-r.off)
	if r.fail >= 0 {
		n = min(n, r.fail-r.off)
	}
	copy(p, r.data[r.off:r.off+n])
	r.off += n
	return n, nil
}

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

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{7}).Read(b)
	return b
}

func TestCopyHashed(t *testing.T) {
	data := randomBytes(21<<20 + 12345) // more than the ring holds, not a chunk multiple
	md5sum, shasum := md5.Sum(data), sha512.Sum512(data)
	for _, tc := range []struct {
		name  string
		n     int   // bytes offered
		limit int64 // cap
		over  bool
	}{
		{"empty", 0, 1 << 40, false},
		{"small", 100, 1 << 40, false},
		{"exact chunk", chunkSize, 1 << 40, false},
		{"large", len(data), 1 << 40, false},
		{"at limit", len(data), int64(len(data)), false},
		{"over limit", len(data), int64(len(data)) - 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := data[:tc.n]
			var out bytes.Buffer
			hs, err := copyHashed(context.Background(), &out, newRagged(in), tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			if hs.over != tc.over {
				t.Fatalf("over = %v", hs.over)
			}
			want := in[:min(int64(len(in)), tc.limit)]
			if hs.n != int64(len(want)) || !bytes.Equal(out.Bytes(), want) {
				t.Fatalf("copied %d bytes (%d written), want %d, equal %v", hs.n, out.Len(), len(want), bytes.Equal(out.Bytes(), want))
			}
			if tc.n == len(data) && !tc.over {
				if hs.md5 != hex.EncodeToString(md5sum[:]) || hs.sha512 != hex.EncodeToString(shasum[:]) {
					t.Fatal("checksums differ")
				}
			} else {
				m, s := md5.Sum(want), sha512.Sum512(want)
				if hs.md5 != hex.EncodeToString(m[:]) || hs.sha512 != hex.EncodeToString(s[:]) {
					t.Fatal("checksums differ")
				}
			}
			if !bytes.Equal(hs.head, want[:min(len(want), diskimage.FullPrefixSize)]) ||
				!bytes.Equal(hs.tail, want[max(0, len(want)-diskimage.TailSize):]) {
				t.Fatalf("head %d / tail %d bytes wrong", len(hs.head), len(hs.tail))
			}
		})
	}
}

// readBackWriter can be read back, as the file store's writer can.
type readBackWriter struct{ bytes.Buffer }

func (w *readBackWriter) ReadAt(p []byte, off int64) (int, error) {
	return bytes.NewReader(w.Bytes()).ReadAt(p, off)
}

// A writer that can be read back is inspected through ReadAt, so the
// pipeline keeps no copy of the head and tail.
func TestCopyHashedReadBack(t *testing.T) {
	data := randomBytes(5 << 20)
	var w readBackWriter
	hs, err := copyHashed(context.Background(), &w, newRagged(data), 1<<40)
	if err != nil {
		t.Fatal(err)
	}
	if hs.head != nil || hs.tail != nil || !bytes.Equal(w.Bytes(), data) {
		t.Fatalf("head %d, tail %d bytes kept; copy equal %v", len(hs.head), len(hs.tail), bytes.Equal(w.Bytes(), data))
	}
}

// maxReadAhead is how far reading may run past the point where the
// pipeline should stop: the ring, plus the chunk being read.
const maxReadAhead = 17 * chunkSize

func TestCopyHashedStops(t *testing.T) {
	data := randomBytes(64 << 20)
	errNet := errors.New("connection reset")

	t.Run("read error mid-stream", func(t *testing.T) {
		r := newRagged(data)
		r.fail, r.onFail = 5<<20+3, func() error { return errNet }
		var out bytes.Buffer
		if _, err := copyHashed(context.Background(), &out, r, 1<<40); !errors.Is(err, errNet) {
			t.Fatalf("err = %v", err)
		}
		if !bytes.Equal(out.Bytes(), data[:r.fail]) {
			t.Fatalf("wrote %d bytes, want the %d read, in order", out.Len(), r.fail)
		}
	})
	t.Run("truncated body", func(t *testing.T) {
		r := newRagged(data)
		r.fail, r.onFail = 1<<20, func() error { return io.ErrUnexpectedEOF }
		if _, err := copyHashed(context.Background(), io.Discard, r, 1<<40); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("write error mid-stream", func(t *testing.T) {
		r := newRagged(data)
		w := &failWriter{after: 3 << 20}
		if _, err := copyHashed(context.Background(), w, r, 1<<40); !errors.Is(err, errDisk) {
			t.Fatalf("err = %v", err)
		}
		if r.off > w.after+maxReadAhead {
			t.Fatalf("read %d bytes after the write failed at %d", r.off, w.after)
		}
	})
	t.Run("cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		r := newRagged(data)
		at := 4 << 20
		// The reader cancels once it has given at bytes, then keeps going:
		// the pipeline must stop reading by itself.
		r.fail, r.onFail = at, func() error {
			cancel()
			r.fail = -1
			return nil
		}
		if _, err := copyHashed(ctx, io.Discard, r, 1<<40); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
		if r.off > at+maxReadAhead {
			t.Fatalf("read %d bytes after cancel at %d", r.off, at)
		}
	})
	t.Run("cancelled before start", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		r := newRagged(data)
		if _, err := copyHashed(ctx, io.Discard, r, 1<<40); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
		if r.off != 0 {
			t.Fatalf("read %d bytes", r.off)
		}
	})
}

// A failed or cancelled upload leaves the image queued, with no blob and
// no temp file.
func TestUploadFailsCleanly(t *testing.T) {
	e := newEnv(t)
	data := randomBytes(12 << 20)
	for _, tc := range []struct {
		name string
		body func(cancel func()) io.Reader
	}{
		{"body error", func(func()) io.Reader {
			r := newRagged(data)
			r.fail, r.onFail = 6<<20, func() error { return io.ErrUnexpectedEOF }
			return r
		}},
		{"client gone", func(cancel func()) io.Reader {
			r := newRagged(data)
			r.fail, r.onFail = 6<<20, func() error { cancel(); return errors.New("client disconnected") }
			return r
		}},
		{"context cancelled", func(cancel func()) io.Reader {
			r := newRagged(data)
			r.fail, r.onFail = 6<<20, func() error { cancel(); r.fail = -1; return nil }
			return r
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := e.create("alice", map[string]any{"disk_format": "raw", "container_format": "bare"})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req := httptest.NewRequestWithContext(ctx, "PUT", "/image/v2/images/"+id+"/file", tc.body(cancel))
			req.Header.Set("X-Auth-Token", "alice")
			req.Header.Set("Content-Type", "application/octet-stream")
			w := httptest.NewRecorder()
			e.h.ServeHTTP(w, req)
			if w.Code == 204 {
				t.Fatal("upload succeeded")
			}
			m := e.mustCode(e.do("GET", "/image/v2/images/"+id, "alice", nil), 200).JSON(t)
			if m["status"] != "queued" || m["size"] != nil || m["checksum"] != nil {
				t.Fatalf("after failed upload: %v", m)
			}
			if _, err := e.svc.blobs.Stat(context.Background(), DataKey(id)); err == nil {
				t.Fatal("blob kept")
			}
			// The image can still be uploaded.
			e.mustCode(e.do("PUT", "/image/v2/images/"+id+"/file", "alice", data[:1000]), 204)
		})
	}
	root := e.svc.blobs.(interface{ Path(string) (string, error) })
	p, _ := root.Path("x")
	if tmp, _ := os.ReadDir(filepath.Join(filepath.Dir(p), ".tmp")); len(tmp) != 0 {
		t.Fatalf("%d temp files left", len(tmp))
	}
}
