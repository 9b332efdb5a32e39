package objectstore

import (
	"encoding/json"
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
		if n, ok := countRanges(strings.TrimPrefix(strings.TrimSpace(h), "bytes=")); ok && n < len(rs) {
			t.Fatalf("%q: countRanges %d < %d ranges", h, n, len(rs))
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
