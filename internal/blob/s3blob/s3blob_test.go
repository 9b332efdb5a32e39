package s3blob_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stratus-iaas/stratus/internal/blob"
	"github.com/stratus-iaas/stratus/internal/blob/blobtest"
	"github.com/stratus-iaas/stratus/internal/blob/s3blob"
)

// server is the SeaweedFS every test of this package shares (nil when weed
// is missing: each test then skips, or fails under STRATUS_REQUIRE_TOOLS=1).
var server *blobtest.Seaweed

func TestMain(m *testing.M) {
	code := func() int {
		if weed := blobtest.WeedPath(); weed != "" {
			dir, err := os.MkdirTemp("", "stratus-seaweed-")
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			defer os.RemoveAll(dir)
			if server, err = blobtest.StartSeaweed(weed, dir); err != nil {
				fmt.Fprintln(os.Stderr, "seaweedfs:", err)
				return 1
			}
			defer server.Stop()
		}
		return m.Run()
	}()
	os.Exit(code)
}

func need(t testing.TB) *blobtest.Seaweed {
	t.Helper()
	if server == nil {
		blobtest.RequireWeed(t) // skips, or fails in CI
		t.Fatal("weed found but not started")
	}
	return server
}

// open is a store on a fresh prefix of the shared test bucket, with the
// smallest part size S3 allows so that a few MiB make a multipart upload.
func open(t testing.TB, tweak ...func(*s3blob.Options)) *s3blob.Store {
	sw := need(t)
	o := sw.Options("stratus-test", "t"+fmt.Sprint(seq.Add(1)), t.TempDir())
	o.PartSize = 5 << 20
	for _, f := range tweak {
		f(&o)
	}
	return blobtest.OpenS3(t, o)
}

var seq atomic.Int64

func TestConformance(t *testing.T) {
	blobtest.Conformance(t, func(t *testing.T) blob.Store { return open(t) }, 12<<20+12345)
}

// TestUnsignedPayload: with unsigned payloads the store still works (the
// gateway accepts UNSIGNED-PAYLOAD requests from the identity).
func TestUnsignedPayload(t *testing.T) {
	blobtest.Conformance(t, func(t *testing.T) blob.Store {
		return open(t, func(o *s3blob.Options) { o.UnsignedPayload = true })
	}, 6<<20+1)
}

// TestBucketCreated: a missing bucket is created at start, and a second
// store on it (another node) starts too.
func TestBucketCreated(t *testing.T) {
	sw := need(t)
	o := sw.Options("fresh-"+fmt.Sprint(seq.Add(1)), "", t.TempDir())
	a := blobtest.OpenS3(t, o)
	b := blobtest.OpenS3(t, o)
	w, _ := a.Create(context.Background(), "k")
	w.Write([]byte("v"))
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if n, err := b.Stat(context.Background(), "k"); err != nil || n != 1 {
		t.Fatalf("other store: %d %v", n, err)
	}
}

// TestSigned: requests are signed, and a wrong secret is refused.
func TestSigned(t *testing.T) {
	sw := need(t)
	o := sw.Options("stratus-test", "", t.TempDir())
	o.SecretKey = "wrong" + o.SecretKey
	o.MaxRetries = 1
	if _, err := s3blob.New(context.Background(), o); err == nil {
		t.Fatal("a store with a wrong secret started")
	}
	o = sw.Options("stratus-test", "", t.TempDir())
	o.AccessKey, o.SecretKey, o.MaxRetries = "", "", 1
	if _, err := s3blob.New(context.Background(), o); err == nil {
		t.Fatal("an anonymous store started")
	}
}

// TestAbortRemovesUpload: an aborted multipart upload leaves no object
// and no pending upload.
func TestAbortRemovesUpload(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	w, err := s.Create(ctx, "aborted")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(bytes.Repeat([]byte("x"), 11<<20)); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(ctx, "aborted"); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("stat: %v", err)
	}
	// Nothing pending: a sweep with no age limit finds nothing to abort.
	if n, err := s.SweepUploads(ctx, 0); err != nil || n != 0 {
		t.Fatalf("pending uploads after abort: %d %v", n, err)
	}
	// A writer dropped without Commit or Abort (a crashed node) leaves an
	// upload that the sweep aborts.
	w, _ = s.Create(ctx, "crashed")
	w.Write(bytes.Repeat([]byte("y"), 6<<20))
	if n, err := s.SweepUploads(ctx, 0); err != nil || n != 1 {
		t.Fatalf("sweep: %d %v", n, err)
	}
}

// flaky fails the first attempt of every part upload with a 503, as an
// overloaded gateway does.
type flaky struct {
	next   http.RoundTripper
	seen   map[string]bool
	failed atomic.Int64
}

func (f *flaky) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == "PUT" && r.URL.Query().Get("partNumber") != "" {
		id := r.URL.Query().Get("partNumber")
		if !f.seen[id] {
			f.seen[id] = true
			f.failed.Add(1)
			if r.Body != nil {
				io.Copy(io.Discard, r.Body)
				r.Body.Close()
			}
			body := `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`
			return &http.Response{StatusCode: 503, Status: "503 Slow Down", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
				Header: http.Header{"Content-Type": {"application/xml"}}, Body: io.NopCloser(strings.NewReader(body)),
				ContentLength: int64(len(body)), Request: r}, nil
		}
	}
	return f.next.RoundTrip(r)
}

// TestRetries: parts refused once are sent again (with backoff) and the
// upload completes with the right bytes.
func TestRetries(t *testing.T) {
	f := &flaky{next: http.DefaultTransport, seen: map[string]bool{}}
	s := open(t, func(o *s3blob.Options) { o.Transport = f; o.Parallel = 1 })
	ctx := context.Background()
	want := bytes.Repeat([]byte("0123456789abcdef"), (11<<20)/16)
	w, err := s.Create(ctx, "retried")
	if err != nil {
		t.Fatal(err)
	}
	w.Write(want)
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if f.failed.Load() != 3 {
		t.Fatalf("%d parts refused, want 3", f.failed.Load())
	}
	r, err := s.Open(ctx, "retried")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, _ := io.ReadAll(r)
	if !bytes.Equal(got, want) {
		t.Fatal("retried upload differs")
	}
}

// TestReaderPinsVersion: a reader opened before a key is replaced never
// returns bytes of the new value.
func TestReaderPinsVersion(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	for _, v := range []string{"old value", "new value, longer"} {
		w, _ := s.Create(ctx, "k")
		io.WriteString(w, v)
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
		if v == "old value" {
			r, err := s.Open(ctx, "k")
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				b := make([]byte, 3)
				if _, err := r.ReadAt(b, 0); err == nil {
					t.Errorf("read %q from a replaced value", b)
				}
			}()
		}
	}
}

func TestParseURL(t *testing.T) {
	env := map[string]string{"AWS_ACCESS_KEY_ID": "ak", "AWS_SECRET_ACCESS_KEY": "sk", "AWS_REGION": "r1"}
	o, err := s3blob.ParseURL("s3://bkt/some/prefix?endpoint=http://127.0.0.1:8333&part_size=8388608&parallel=2&unsigned_payload=true", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if o.Bucket != "bkt" || o.Prefix != "some/prefix/" || o.Endpoint != "http://127.0.0.1:8333" || o.AccessKey != "ak" ||
		o.SecretKey != "sk" || o.Region != "r1" || o.PartSize != 8<<20 || o.Parallel != 2 || !o.UnsignedPayload {
		t.Fatalf("%+v", o)
	}
	for _, bad := range []string{"http://x", "s3://bkt", "s3://?endpoint=http://x", "s3://bkt?endpoint=http://x&part_size=100", "s3://bkt?endpoint=http://x&parallel=0", "s3://bkt?endpoint=http://x&unsigned_payload=maybe"} {
		if _, err := s3blob.ParseURL(bad, func(string) string { return "" }); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// counting counts the GETs a store sends.
type counting struct {
	next http.RoundTripper
	gets atomic.Int64
}

func (c *counting) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == "GET" && r.URL.Query().Get("location") == "" && r.URL.Query().Get("list-type") == "" {
		c.gets.Add(1)
	}
	return c.next.RoundTrip(r)
}

// TestReadAhead: small reads at offsets (an inspector's, a converter's)
// cost a GET per 1 MiB window, not one each, and return the right bytes,
// also when several goroutines read at once.
func TestReadAhead(t *testing.T) {
	c := &counting{next: http.DefaultTransport}
	s := open(t, func(o *s3blob.Options) { o.Transport = c })
	ctx := context.Background()
	want := make([]byte, 3<<20+100)
	for i := range want {
		want[i] = byte(i * 31 >> 7)
	}
	w, _ := s.Create(ctx, "k")
	w.Write(want)
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	r, err := s.Open(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	before := c.gets.Load()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := make([]byte, 4096)
			for off := int64(g) * 4096; off < int64(len(want)); off += 4 * 4096 {
				n, err := r.ReadAt(b, off)
				if (err != nil && err != io.EOF) || !bytes.Equal(b[:n], want[off:off+int64(n)]) {
					errs <- fmt.Errorf("ReadAt %d: %d %v", off, n, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	reads := int64(len(want)/4096 + 1)
	if gets := c.gets.Load() - before; gets > 16 {
		t.Fatalf("%d GETs for %d reads of 4 KiB", gets, reads)
	}
}
