package image

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/diskimage"
	"github.com/stratus-iaas/stratus/internal/hashcopy"
	"github.com/stratus-iaas/stratus/internal/hashcopy/hashcopytest"
)

func TestCopyHashed(t *testing.T) {
	data := hashcopytest.RandomBytes(40<<20 + 12345) // more than the ring holds, not a chunk multiple
	md5sum, shasum := md5.Sum(data), sha512.Sum512(data)
	for _, tc := range []struct {
		name  string
		n     int   // bytes offered
		limit int64 // cap
		over  bool
	}{
		{"empty", 0, 1 << 40, false},
		{"small", 100, 1 << 40, false},
		{"exact first chunk", hashcopy.FirstChunk, 1 << 40, false},
		{"first chunk and one more", hashcopy.FirstChunk + hashcopy.ChunkSize, 1 << 40, false},
		{"large", len(data), 1 << 40, false},
		{"at limit", len(data), int64(len(data)), false},
		{"over limit", len(data), int64(len(data)) - 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := data[:tc.n]
			var out bytes.Buffer
			hs, err := copyHashed(context.Background(), &out, hashcopytest.NewRagged(in), tc.limit)
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
	data := hashcopytest.RandomBytes(5 << 20)
	var w readBackWriter
	hs, err := copyHashed(context.Background(), &w, hashcopytest.NewRagged(data), 1<<40)
	if err != nil {
		t.Fatal(err)
	}
	if hs.head != nil || hs.tail != nil || !bytes.Equal(w.Bytes(), data) {
		t.Fatalf("head %d, tail %d bytes kept; copy equal %v", len(hs.head), len(hs.tail), bytes.Equal(w.Bytes(), data))
	}
}

// A failed or cancelled upload leaves the image queued, with no blob and
// no temp file.
func TestUploadFailsCleanly(t *testing.T) {
	e := newEnv(t)
	data := hashcopytest.RandomBytes(12 << 20)
	for _, tc := range []struct {
		name string
		body func(cancel func()) io.Reader
	}{
		{"body error", func(func()) io.Reader {
			r := hashcopytest.NewRagged(data)
			r.Fail, r.OnFail = 6<<20, func() error { return io.ErrUnexpectedEOF }
			return r
		}},
		{"client gone", func(cancel func()) io.Reader {
			r := hashcopytest.NewRagged(data)
			r.Fail, r.OnFail = 6<<20, func() error { cancel(); return errors.New("client disconnected") }
			return r
		}},
		{"context cancelled", func(cancel func()) io.Reader {
			r := hashcopytest.NewRagged(data)
			r.Fail, r.OnFail = 6<<20, func() error { cancel(); r.Fail = -1; return nil }
			return r
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := e.create("alice", map[string]any{"disk_format": "raw", "container_format": "bare"})
			before := len(imageBlobs(t, e))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req := httptest.NewRequestWithContext(ctx, "PUT", "/image/v2/images/"+id+"/file", tc.body(cancel))
			req.Header.Set("X-Auth-Token", "alice")
			req.Header.Set("Content-Type", "application/octet-stream")
			w := httptest.NewRecorder()
			func() {
				defer func() {
					// A request whose client went away is aborted
					// (net/http then drops the connection).
					if v := recover(); v != nil && v != http.ErrAbortHandler {
						panic(v)
					}
				}()
				e.h.ServeHTTP(w, req)
			}()
			if w.Code == 204 {
				t.Fatal("upload succeeded")
			}
			m := e.mustCode(e.do("GET", "/image/v2/images/"+id, "alice", nil), 200).JSON(t)
			if m["status"] != "queued" || m["size"] != nil || m["checksum"] != nil {
				t.Fatalf("after failed upload: %v", m)
			}
			if kept := imageBlobs(t, e); len(kept) != before {
				t.Fatalf("blob kept: %v", kept)
			}
			// The image can still be uploaded.
			e.mustCode(e.do("PUT", "/image/v2/images/"+id+"/file", "alice", data[:1000]), 204)
		})
	}
	if root, ok := e.svc.blobs.(interface{ Path(string) (string, error) }); ok {
		p, _ := root.Path("x")
		if tmp, _ := os.ReadDir(filepath.Join(filepath.Dir(p), ".tmp")); len(tmp) != 0 {
			t.Fatalf("%d temp files left", len(tmp))
		}
	}
	if s3, ok := e.svc.blobs.(interface {
		SweepUploads(context.Context, time.Duration) (int, error)
	}); ok {
		if n, err := s3.SweepUploads(context.Background(), 0); err != nil || n != 0 {
			t.Fatalf("%d multipart uploads left (%v)", n, err)
		}
	}
}
