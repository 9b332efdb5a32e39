package objectstore

import (
	"fmt"
	"strings"
	"testing"
)

// Manifest validation follows slo.py 2.30: every entry is checked first and
// all problems are listed as "Index N: ..." lines (text/plain); then each
// segment is looked up and its problems listed under "Errors:".
func TestSLOManifestValidation(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		e.must(201, "PUT", acctA+"/c", "tok-a", "")
		e.must(201, "PUT", acctA+"/segs", "tok-a", "")
		e.must(201, "PUT", acctA+"/segs/a", "tok-a", "aaaa")
		e.must(201, "PUT", acctA+"/segs/empty", "tok-a", "")
		for _, tc := range []struct {
			manifest string
			status   int
			ct, body string
		}{
			{`[{"path":"/segs/a","size_bytes":4,"foo":1,"Bar":2}]`, 400, "text/plain",
				"Index 0: extraneous keys \"Bar\", \"foo\"\n"},
			{`[{"path":"/segs/a","name":"x"},{"path":"nope"},7,{"etag":"x"}]`, 400, "text/plain",
				"Index 0: extraneous keys \"name\"\n" +
					"Index 1: path does not refer to an object. Path must be of the form /container/object.\n" +
					"Index 2: not a JSON object\n" +
					"Index 3: expected keys to include one of 'data' or 'path'\n"},
			{`[{"path":5},{"path":"/segs/a","etag":5},{"path":"/segs/a","size_bytes":"x"}]`, 400, "text/plain",
				"Index 0: \"path\" must be a string\nIndex 1: \"etag\" must be a string or null (if provided)\nIndex 2: invalid size_bytes\n"},
			{`[{"path":"/segs/a","size_bytes":0},{"path":"/segs/a"}]`, 400, "text/plain",
				"Index 0: too small; each segment must be at least 1 byte.\n"},
			{`[{"path":"/segs/a","range":"x"},{"path":"/segs/a","range":"0-1,2-3"},{"path":"/segs/a","size_bytes":4,"range":"9-"}]`, 400, "text/plain",
				"Index 0: invalid range\nIndex 1: multiple ranges (only one allowed)\nIndex 2: unsatisfiable range\n"},
			{`[{"path":"/c/m"}]`, 400, "text/plain", "Index 0: manifest must not include itself as a segment\n"},
			{`{"path":"/segs/a"}`, 400, "", "Manifest must be a list.\n"},
			// Inline data: strict base64 of at least one byte, beside at least one object.
			{`[{"data":"a b="},{"data":5},{"data":""},{"data":"QQ"},{"data":"QQ==","etag":"x"},{"path":"/segs/a"}]`, 400, "text/plain",
				"Index 0: data must be valid base64\nIndex 1: data must be valid base64\n" +
					"Index 2: too small; each segment must be at least 1 byte.\nIndex 3: data must be valid base64\n" +
					"Index 4: extraneous keys \"etag\"\n"},
			{`[{"data":"QQ=="},{"data":"Qg=="}]`, 400, "text/plain",
				"Inline data segments require at least one object-backed segment.\n"},
			// Only the last segment may be empty.
			{`[{"path":"/segs/empty"},{"path":"/segs/a"}]`, 400, "text/plain",
				"Errors:\n/segs/empty, Too small; each segment must be at least 1 byte.\n"},
			{`[{"path":"/segs/a","size_bytes":"4"},{"path":"segs/empty","size_bytes":0}]`, 201, "", ""},
			// Every problem of a segment is listed.
			{`[{"path":"/segs/a","size_bytes":3,"etag":"x"},{"path":"/segs/gone"}]`, 400, "text/plain",
				"Errors:\n/segs/a, Size Mismatch\n/segs/a, Etag Mismatch\n/segs/gone, 404 Not Found\n"},
		} {
			resp, b := e.do("PUT", acctA+"/c/m?multipart-manifest=put", "tok-a", tc.manifest)
			if resp.StatusCode != tc.status || tc.ct != "" && resp.Header.Get("Content-Type") != tc.ct || tc.body != "" && b != tc.body {
				t.Errorf("%s: %d %q %q", tc.manifest, resp.StatusCode, resp.Header.Get("Content-Type"), b)
			}
		}
		_, b := e.must(400, "PUT", acctA+"/c/m?multipart-manifest=put", "tok-a", `[{"path":"/segs/gone"}]`, "Accept: application/json")
		if want := `{"Errors": [["/segs/gone", "404 Not Found"]]}`; b != want {
			t.Errorf("json errors %s want %s", b, want)
		}
		if _, b = e.must(200, "GET", acctA+"/c/m", "tok-a", ""); b != "aaaa" {
			t.Errorf("manifest with an empty last segment: %q", fmt.Sprint(b))
		}
	})
}

// GET and HEAD of an SLO send X-Manifest-Etag, the MD5 of the manifest as
// stored (the ETag of ?multipart-manifest=get), as slo.py 2.30 does.
func TestSLOManifestEtag(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		e.must(201, "PUT", acctA+"/c", "tok-a", "")
		e.must(201, "PUT", acctA+"/c/a", "tok-a", "aaaa")
		e.must(201, "PUT", acctA+"/c/m?multipart-manifest=put", "tok-a", `[{"path":"/c/a"}]`)
		resp, b := e.must(200, "GET", acctA+"/c/m?multipart-manifest=get", "tok-a", "")
		want := md5hex(b)
		if resp.Header.Get("Etag") != want || resp.Header.Get("X-Manifest-Etag") != "" {
			t.Fatalf("manifest get %v, md5 %s", resp.Header, want)
		}
		for _, m := range []string{"GET", "HEAD"} {
			if resp, _ := e.must(200, m, acctA+"/c/m", "tok-a", ""); resp.Header.Get("X-Manifest-Etag") != want {
				t.Errorf("%s X-Manifest-Etag %q want %q", m, resp.Header.Get("X-Manifest-Etag"), want)
			}
		}
		if resp, _ := e.must(200, "GET", acctA+"/c/a", "tok-a", ""); resp.Header.Get("X-Manifest-Etag") != "" {
			t.Errorf("plain object has X-Manifest-Etag")
		}
	})
}

// slo.py 2.30 accepts an empty manifest: an SLO of no bytes.
func TestSLOEmptyManifest(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		e.must(201, "PUT", acctA+"/c", "tok-a", "")
		e.must(201, "PUT", acctA+"/c/m?multipart-manifest=put", "tok-a", `[]`)
		const emptyETag = `"d41d8cd98f00b204e9800998ecf8427e"` // md5 of no segment ETags
		for _, method := range []string{"HEAD", "GET"} {
			resp, b := e.must(200, method, acctA+"/c/m", "tok-a", "")
			if resp.Header.Get("X-Static-Large-Object") != "True" || resp.Header.Get("Etag") != emptyETag ||
				resp.Header.Get("Content-Length") != "0" || b != "" {
				t.Fatalf("%s: %v %q", method, resp.Header, b)
			}
		}
		e.must(416, "GET", acctA+"/c/m", "tok-a", "", "Range: bytes=0-0")
		if _, b := e.must(200, "GET", acctA+"/c/m?multipart-manifest=get", "tok-a", ""); b != "[]" {
			t.Fatalf("manifest: %q", b)
		}
		e.must(200, "DELETE", acctA+"/c/m?multipart-manifest=delete", "tok-a", "")
		e.must(404, "HEAD", acctA+"/c/m", "tok-a", "")
	})
}

// Inline data segments (slo.py 2.30): stored in the manifest, served in
// place, counted in the size and in the ETag by their MD5, listed as they
// were given by ?multipart-manifest=get, skipped by multipart-manifest=delete.
func TestSLODataSegments(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		e.must(201, "PUT", acctA+"/c", "tok-a", "")
		e.must(201, "PUT", acctA+"/c/a", "tok-a", "aaaa")
		// "hello", then /c/a, then "!" (written as "IR==": Python ignores the unused bits).
		resp, _ := e.must(201, "PUT", acctA+"/c/m?multipart-manifest=put", "tok-a",
			`[{"data":"aGVsbG8="},{"path":"/c/a"},{"data":"IR=="}]`)
		want := `"` + md5hex(md5hex("hello")+md5hex("aaaa")+md5hex("!")) + `"`
		if resp.Header.Get("Etag") != want {
			t.Fatalf("ETag %q want %q", resp.Header.Get("Etag"), want)
		}
		resp, b := e.must(200, "GET", acctA+"/c/m", "tok-a", "")
		if b != "helloaaaa!" || resp.Header.Get("Etag") != want {
			t.Fatalf("GET %q %v", b, resp.Header)
		}
		if resp, _ := e.must(200, "HEAD", acctA+"/c/m", "tok-a", ""); resp.Header.Get("Content-Length") != "10" {
			t.Errorf("HEAD length %q", resp.Header.Get("Content-Length"))
		}
		for rg, body := range map[string]string{"bytes=3-6": "loaa", "bytes=-1": "!", "bytes=0-0": "h"} {
			if _, b := e.must(206, "GET", acctA+"/c/m", "tok-a", "", "Range: "+rg); b != body {
				t.Errorf("%s: %q want %q", rg, b, body)
			}
		}
		if _, b := e.must(200, "GET", acctA+"/c/m?multipart-manifest=get&format=raw", "tok-a", ""); b !=
			`[{"data":"aGVsbG8="},{"etag":"`+md5hex("aaaa")+`","path":"/c/a","size_bytes":4},{"data":"IQ=="}]` {
			t.Errorf("raw manifest %s", b)
		}
		// A copy of the SLO is its joined bytes.
		e.must(201, "PUT", acctA+"/c/copy", "tok-a", "", "X-Copy-From: c/m")
		if _, b := e.must(200, "GET", acctA+"/c/copy", "tok-a", ""); b != "helloaaaa!" {
			t.Errorf("copy %q", b)
		}
		_, b = e.must(200, "DELETE", acctA+"/c/m?multipart-manifest=delete", "tok-a", "", "Accept: application/json")
		if !strings.Contains(b, `"Number Deleted": 2`) {
			t.Errorf("delete report %s", b)
		}
		e.must(404, "HEAD", acctA+"/c/a", "tok-a", "")
	})
}
