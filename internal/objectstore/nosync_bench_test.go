package objectstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stratus-iaas/stratus/internal/blob"
)

// memStore keeps blobs in memory: it isolates the row and HTTP costs of
// a PUT from the blob fsyncs (for BenchmarkPut4KRowsOnly only).
type memStore struct {
	mu sync.Mutex
	m  map[string][]byte
}

type memWriter struct {
	s   *memStore
	key string
	buf bytes.Buffer
}

func (w *memWriter) Write(p []byte) (int, error) { return w.buf.Write(p) }
func (w *memWriter) Commit() error {
	w.s.mu.Lock()
	w.s.m[w.key] = w.buf.Bytes()
	w.s.mu.Unlock()
	return nil
}
func (w *memWriter) Abort() error { return nil }

func (s *memStore) Create(ctx context.Context, key string) (blob.Writer, error) {
	return &memWriter{s: s, key: key}, nil
}
func (s *memStore) Open(ctx context.Context, key string) (blob.Reader, error) {
	return nil, blob.ErrNotFound
}
func (s *memStore) Stat(ctx context.Context, key string) (int64, error) { return 0, blob.ErrNotFound }
func (s *memStore) Delete(ctx context.Context, key string) error {
	s.mu.Lock()
	delete(s.m, key)
	s.mu.Unlock()
	return nil
}

func (s *memStore) Stage(ctx context.Context, key string) (blob.Staged, error) {
	return nil, errors.New("memStore: no staging")
}
func (s *memStore) List(ctx context.Context, prefix string, fn func(blob.Info) error) error {
	return nil
}

// BenchmarkPut4KRowsOnly is BenchmarkPut4K with the blob fsyncs taken out.
func BenchmarkPut4KRowsOnly(b *testing.B) {
	e := newEnv(b)
	e.svc.blobs = &memStore{m: map[string][]byte{}}
	e.must(201, "PUT", acctA+"/c", "tok-a", "")
	payload := make([]byte, 4096)
	http.DefaultTransport.(*http.Transport).MaxIdleConnsPerHost = 64
	var n atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("PUT", fmt.Sprintf("%s%s/c/o-%d", e.srv.URL, acctA, n.Add(1)), bytes.NewReader(payload))
			req.Header.Set("X-Auth-Token", "tok-a")
			resp, err := http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode != 201 {
				b.Fatal(err)
			}
			resp.Body.Close()
		}
	})
}
