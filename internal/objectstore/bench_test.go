package objectstore

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stratus-iaas/stratus/internal/blob"
)

// group makes the service commit through blob.Group, as the server does
// on the filesystem (on S3 the store is used as it is).
func (e *testEnv) group() {
	if fs, ok := e.blobs.(*blob.FS); ok {
		e.svc.blobs = blob.NewGroup(fs)
	}
}

// BenchmarkPut4K measures concurrent 4 KiB PUTs through the HTTP stack
// with group-committed blobs and rows (fsync before every 201).
func BenchmarkPut4K(b *testing.B) {
	e := newEnv(b)
	e.group()
	req, _ := http.NewRequest("PUT", e.srv.URL+acctA+"/c", nil)
	req.Header.Set("X-Auth-Token", "tok-a")
	http.DefaultClient.Do(req)
	payload := make([]byte, 4096)
	var n atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	http.DefaultTransport.(*http.Transport).MaxIdleConnsPerHost = 64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			req, _ := http.NewRequest("PUT", fmt.Sprintf("%s%s/c/o-%d", e.srv.URL, acctA, i), bytes.NewReader(payload))
			req.Header.Set("X-Auth-Token", "tok-a")
			resp, err := http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode != 201 {
				b.Fatal(err)
			}
			resp.Body.Close()
		}
	})
}

// BenchmarkPut256M measures one large streaming PUT (MD5 while streaming,
// fsync before the 201).
func BenchmarkPut256M(b *testing.B) {
	e := newEnv(b)
	e.group()
	e.must(201, "PUT", acctA+"/c", "tok-a", "")
	payload := make([]byte, 256<<20)
	b.SetBytes(int64(len(payload)))
	for i := 0; i < b.N; i++ {
		req, _ := http.NewRequest("PUT", fmt.Sprintf("%s%s/c/big-%d", e.srv.URL, acctA, i), bytes.NewReader(payload))
		req.Header.Set("X-Auth-Token", "tok-a")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 201 {
			b.Fatal(err)
		}
		resp.Body.Close()
	}
}

// BenchmarkGet4K measures concurrent owner GETs of 4 KiB objects.
func BenchmarkGet4K(b *testing.B) {
	b.Run("inline", func(b *testing.B) { benchGet4K(b, newEnv(b)) })
	b.Run("files", func(b *testing.B) { benchGet4K(b, newEnvWith(b, Options{InlineMax: -1})) })
}

func benchGet4K(b *testing.B, e *testEnv) {
	e.must(201, "PUT", acctA+"/c", "tok-a", "")
	payload := string(make([]byte, 4096))
	for i := 0; i < 64; i++ {
		e.must(201, "PUT", fmt.Sprintf("%s/c/o-%d", acctA, i), "tok-a", payload)
	}
	http.DefaultTransport.(*http.Transport).MaxIdleConnsPerHost = 64
	var n atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("GET", fmt.Sprintf("%s%s/c/o-%d", e.srv.URL, acctA, n.Add(1)%64), nil)
			req.Header.Set("X-Auth-Token", "tok-a")
			resp, err := http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode != 200 {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}
