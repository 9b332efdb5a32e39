package objectstore

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// The object store reads these from requests: they must never panic, and
// what they accept must hold their invariants.

func FuzzParseManifest(f *testing.F) {
	for _, s := range []string{
		`[{"path":"/c/a","etag":null,"size_bytes":4,"range":"0-1"}]`,
		`[{"data":"aGVsbG8="},{"path":"/c/a"}]`,
		`[{"data":"QQ"},{"path":"c"},7,null,{"path":"/c/m"}]`,
		`[{"path":"/c/a","size_bytes":"1e3","range":"-0,5-"}]`,
		`{"path":"/c/a"}`, `[]`, `[`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		segs, errs, err := parseManifest(raw, "c/m")
		if err != nil || len(errs) > 0 {
			return
		}
		var entries []json.RawMessage
		if json.Unmarshal(raw, &entries) != nil || len(entries) != len(segs) {
			t.Fatalf("accepted %d segments from %q", len(segs), raw)
		}
		objects := 0
		for _, sg := range segs {
			if sg.Data != nil {
				if len(sg.Data) == 0 {
					t.Fatalf("empty data segment accepted from %q", raw)
				}
				continue
			}
			objects++
			if !strings.Contains(strings.Trim(sg.Path, "/"), "/") || strings.TrimLeft(sg.Path, "/") == "c/m" {
				t.Fatalf("path %q accepted", sg.Path)
			}
		}
		if len(segs) > 0 && objects == 0 {
			t.Fatalf("only data segments accepted from %q", raw)
		}
	})
}

func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"bytes=0-0", "bytes=-5", "bytes=3-", "bytes=1-2,4-5,-1", "bytes=9-1", "bytes= , ", "items=0-1", "bytes=0-9223372036854775807", "bytes=--1"} {
		f.Add(s, int64(10))
	}
	f.Fuzz(func(t *testing.T, h string, size int64) {
		if size < 0 {
			size = -size
		}
		if size < 0 {
			return
		}
		rs, err := parseRange(h, size)
		if err != nil {
			return
		}
		for _, r := range rs {
			if r.start < 0 || r.start >= r.end || r.end > size {
				t.Fatalf("%q of %d: range %+v", h, size, r)
			}
		}
		if specs, ok := parseRangeSpec(strings.TrimPrefix(strings.ReplaceAll(h, " ", ""), "bytes=")); ok && len(specs) < len(rs) {
			t.Fatalf("%q: %d specs < %d ranges", h, len(specs), len(rs))
		}
	})
}

func FuzzTempURLFields(f *testing.F) {
	for _, s := range []string{"da39a3ee5e6b4b0d3255bfef95601890afd80709", "sha256:abc_-", "sha512:AAAA", "md5:x", "1700000000", "2030-01-01T00:00:00Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if newHash, mac, err := decodeSig(s); err == nil && newHash().Size() != len(mac) && !strings.Contains(s, ":") {
			t.Fatalf("hex signature %q: %d bytes for a %d-byte digest", s, len(mac), newHash().Size())
		}
		parseExpires(s)
		parseACL(s)
		dloTarget(s)
	})
}

// FuzzObjectAPI sends what a client controls — a query, one header value
// under every header the object store reads, a body — to the handlers.
// Bad input is the client's error: every answer must be below 500.
func FuzzObjectAPI(f *testing.F) {
	e := newEnv(f)
	h := e.srv.Config.Handler
	send := func(method, path, body string, hdr http.Header) (int, string) {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header = hdr
		req.Header.Set("X-Auth-Token", "tok-a")
		req.Header.Set("Content-Length", strconv.Itoa(len(body)))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code, w.Body.String()
	}
	for _, r := range []struct{ method, path, body string }{
		{"PUT", acctA + "/c", ""}, {"PUT", acctA + "/c/a", "aaaa"}, {"PUT", acctA + "/c/b", "bbbbbbbb"},
		{"PUT", acctA + "/c/slo?multipart-manifest=put", `[{"path":"/c/a"},{"data":"eA=="}]`},
	} {
		if code, body := send(r.method, r.path, r.body, http.Header{}); code >= 300 {
			f.Fatalf("%s %s: %d %s", r.method, r.path, code, body)
		}
	}
	for _, s := range []struct{ query, value, body string }{
		{"format=json&limit=2&marker=a&delimiter=/&prefix=c", "bytes=0-1,3-", `[{"path":"/c/a"}]`},
		{"format=xml&end_marker=z&path=d", "c/a", "c/a\nc/b\n"},
		{"multipart-manifest=get&format=raw", `"` + md5hex("aaaa") + `"`, `[{"data":"QQ=="}]`},
		{"temp_url_sig=sha256:AAAA&temp_url_expires=99999999999", ".r:*,.rlistings,pa:u", "x"},
		{"bulk-delete", "Thu, 01 Dec 1994 16:00:00 GMT", "/c/a\n/c/missing\n"},
	} {
		f.Add(s.query, s.value, s.body)
	}
	headers := []string{"Range", "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since",
		"X-Delete-At", "X-Delete-After", "X-Copy-From", "Destination", "X-Object-Manifest", "Content-Type",
		"X-Detect-Content-Type", "X-Container-Read", "X-Container-Write", "X-Versions-Location",
		"X-Container-Meta-Quota-Bytes", "X-Container-Meta-Quota-Count", "X-Object-Meta-K", "Accept", "ETag",
		"X-Account-Meta-Temp-URL-Key", "X-Container-Meta-Web-Index", "X-Container-Meta-Web-Listings", "Content-Range"}
	f.Fuzz(func(t *testing.T, query, value, body string) {
		ctl := func(r rune) bool { return r < 0x20 || r == 0x7f }
		if strings.ContainsAny(query, " #") || strings.ContainsFunc(query, ctl) || strings.ContainsFunc(value, ctl) {
			return // not what a client can send
		}
		hdr := http.Header{}
		for _, k := range headers {
			hdr.Set(k, value)
		}
		for _, c := range []struct{ method, path string }{
			{"GET", acctA + "?" + query}, {"GET", acctA + "/c?" + query},
			{"GET", acctA + "/c/slo?" + query}, {"HEAD", acctA + "/c/b?" + query},
			{"PUT", acctA + "/c/n?" + query}, {"POST", acctA + "/c/b?" + query},
			{"COPY", acctA + "/c/b?" + query}, {"POST", acctA + "?" + query},
			{"PUT", acctA + "/c/m?multipart-manifest=put"}, {"DELETE", acctA + "/c/n?" + query},
		} {
			if code, out := send(c.method, c.path, body, hdr.Clone()); code >= 500 {
				t.Fatalf("%s %s %q (headers %q): %d %s", c.method, c.path, body, value, code, out)
			}
		}
	})
}
