package objectstore

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stratus-iaas/stratus/internal/blob"
)

func TestReadSmall(t *testing.T) {
	const max = 8
	boom := errors.New("boom")
	cases := []struct {
		name     string
		src      io.Reader
		hint     int64
		want     string
		wantMore bool
		wantErr  error
	}{
		{"empty", strings.NewReader(""), 0, "", false, nil},
		{"empty unknown length", strings.NewReader(""), -1, "", false, nil},
		{"exactly max", strings.NewReader("12345678"), 8, "12345678", false, nil},
		{"exactly max unknown length", strings.NewReader("12345678"), -1, "12345678", false, nil},
		{"one over", strings.NewReader("123456789"), -1, "123456789", true, nil},
		{"far over", strings.NewReader(strings.Repeat("x", 100)), -1, "xxxxxxxxx", true, nil},
		{"hint smaller than body", strings.NewReader("123456789"), 3, "123456789", true, nil},
		{"hint larger than body", strings.NewReader("12"), 7, "12", false, nil},
		{"one byte at a time", iotest.OneByteReader(strings.NewReader("1234567")), -1, "1234567", false, nil},
		{"data with EOF", iotest.DataErrReader(strings.NewReader("abc")), 3, "abc", false, nil},
		{"error", iotest.ErrReader(boom), -1, "", false, boom},
		{"error after data", io.MultiReader(strings.NewReader("ab"), iotest.ErrReader(boom)), -1, "ab", false, boom},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, more, err := readSmall(c.src, c.hint, max)
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("err %v, want %v", err, c.wantErr)
			}
			if err == nil && (string(b) != c.want || more != c.wantMore) {
				t.Fatalf("got %q more=%v, want %q more=%v", b, more, c.want, c.wantMore)
			}
		})
	}
}

// inlineRows counts the inline blobs stored.
func (e *testEnv) inlineRows() int {
	e.t.Helper()
	var n int
	if err := e.svc.db.R().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM swift_inline`).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// blobFiles counts the object files in the blob store.
func (e *testEnv) blobFiles() int {
	e.t.Helper()
	n := 0
	if err := e.blobs.List(context.Background(), "swift/", func(blob.Info) error { n++; return nil }); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *testEnv) expect(rows, files int) {
	e.t.Helper()
	if r, f := e.inlineRows(), e.blobFiles(); r != rows || f != files {
		e.t.Fatalf("inline rows %d, blob files %d; want %d, %d", r, f, rows, files)
	}
}

func TestInlineStorage(t *testing.T) {
	e := newEnvWith(t, Options{InlineMax: 16})
	e.must(201, "PUT", acctA+"/c", "tok-a", "")
	small, big := "sixteen bytes!!!", "seventeen bytes!!"

	// At the limit: inline, no file; one byte more: a file, no row.
	e.must(201, "PUT", acctA+"/c/a", "tok-a", small)
	e.expect(1, 0)
	e.must(201, "PUT", acctA+"/c/b", "tok-a", big)
	e.expect(1, 1)
	if _, b := e.must(200, "GET", acctA+"/c/a", "tok-a", ""); b != small {
		t.Fatalf("GET inline: %q", b)
	}
	resp, b := e.must(206, "GET", acctA+"/c/a", "tok-a", "", "Range: bytes=3-6")
	if b != small[3:7] || resp.Header.Get("Content-Range") != "bytes 3-6/16" {
		t.Fatalf("range of inline: %q %q", b, resp.Header.Get("Content-Range"))
	}

	// Overwriting frees the old bytes in the same transaction, whichever
	// store held them.
	e.must(201, "PUT", acctA+"/c/a", "tok-a", "new")
	e.expect(1, 1)
	e.must(201, "PUT", acctA+"/c/a", "tok-a", big)
	e.expect(0, 2)
	e.must(201, "PUT", acctA+"/c/a", "tok-a", small)
	e.expect(1, 1)

	// Copies share the inline bytes; they go with the last row.
	e.must(201, "PUT", acctA+"/c/copy", "tok-a", "", "X-Copy-From: c/a")
	e.expect(1, 1)
	e.must(204, "DELETE", acctA+"/c/a", "tok-a", "")
	e.expect(1, 1)
	if _, b := e.must(200, "GET", acctA+"/c/copy", "tok-a", ""); b != small {
		t.Fatalf("GET copy after source delete: %q", b)
	}
	// A copy onto itself keeps its bytes.
	e.must(201, "PUT", acctA+"/c/copy", "tok-a", "", "X-Copy-From: c/copy", "X-Object-Meta-K: v")
	if _, b := e.must(200, "GET", acctA+"/c/copy", "tok-a", ""); b != small {
		t.Fatalf("GET after self-copy: %q", b)
	}
	e.expect(1, 1)
	e.must(204, "DELETE", acctA+"/c/copy", "tok-a", "")
	e.expect(0, 1)

	// An owner's small PUT skips the container read before the body; the
	// transaction still refuses a missing container, and stores nothing.
	e.must(404, "PUT", acctA+"/nocontainer/o", "tok-a", "abc")
	e.must(404, "PUT", acctA+"/nocontainer/o", "tok-a", big)
	e.expect(0, 1)

	// A refused PUT (ETag mismatch) stores nothing.
	e.must(422, "PUT", acctA+"/c/bad", "tok-a", "abc", "ETag: 00000000000000000000000000000000")
	e.must(404, "GET", acctA+"/c/bad", "tok-a", "")
	e.expect(0, 1)

	// A chunked body of unknown length is measured as it arrives.
	req, _ := http.NewRequest("PUT", e.srv.URL+acctA+"/c/chunked", io.MultiReader(strings.NewReader("chun"), strings.NewReader("ked")))
	req.Header.Set("X-Auth-Token", "tok-a")
	req.ContentLength = -1
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("chunked PUT: %v %v", err, resp)
	}
	resp.Body.Close()
	if _, b := e.must(200, "GET", acctA+"/c/chunked", "tok-a", ""); b != "chunked" {
		t.Fatalf("chunked GET: %q", b)
	}
	e.expect(1, 1)
}

func TestInlineVersionsAndExpiry(t *testing.T) {
	e := newEnv(t)
	e.must(201, "PUT", acctA+"/arch", "tok-a", "")
	e.must(201, "PUT", acctA+"/v", "tok-a", "", "X-Versions-Location: arch")
	e.must(201, "PUT", acctA+"/v/o", "tok-a", "one")
	e.must(201, "PUT", acctA+"/v/o", "tok-a", "two")
	e.expect(2, 0) // the old version is archived with its bytes
	e.must(204, "DELETE", acctA+"/v/o", "tok-a", "")
	if _, b := e.must(200, "GET", acctA+"/v/o", "tok-a", ""); b != "one" {
		t.Fatalf("restored version: %q", b)
	}
	e.expect(1, 0)
	e.must(204, "DELETE", acctA+"/v/o", "tok-a", "")
	e.expect(0, 0)

	// Expired objects reaped by a container DELETE take their bytes along.
	e.must(201, "PUT", acctA+"/x", "tok-a", "")
	e.must(201, "PUT", acctA+"/x/o", "tok-a", "short-lived", "X-Delete-After: 1")
	e.expect(1, 0)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		resp, _ := e.do("DELETE", acctA+"/x", "tok-a", "")
		if resp.StatusCode == 204 {
			break
		}
		if resp.StatusCode != 409 || time.Now().After(deadline) {
			t.Fatalf("DELETE container with an expired object: %d", resp.StatusCode)
		}
	}
	e.expect(0, 0)
}

func TestInlineLargeObjectSegments(t *testing.T) {
	e := newEnv(t)
	e.must(201, "PUT", acctA+"/seg", "tok-a", "")
	e.must(201, "PUT", acctA+"/seg/1", "tok-a", "hello ")
	e.must(201, "PUT", acctA+"/seg/2", "tok-a", "world")
	e.must(201, "PUT", acctA+"/seg/dlo", "tok-a", "", "X-Object-Manifest: seg/")
	// The DLO lists its own (empty) manifest object too; segments first.
	if _, b := e.must(200, "GET", acctA+"/seg/dlo", "tok-a", ""); b != "hello world" {
		t.Fatalf("DLO over inline segments: %q", b)
	}
	manifest := `[{"path":"/seg/1","etag":null,"size_bytes":null},{"path":"/seg/2","etag":null,"size_bytes":null}]`
	e.must(201, "PUT", acctA+"/seg/slo?multipart-manifest=put", "tok-a", manifest)
	_, b := e.must(206, "GET", acctA+"/seg/slo", "tok-a", "", "Range: bytes=4-7")
	if b != "o wo" {
		t.Fatalf("SLO range over inline segments: %q", b)
	}
}
