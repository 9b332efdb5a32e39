package objectstore

import (
	"strings"
	"testing"
)

// TestDLONestedManifests: a DLO's segments are read as plain objects, as
// Swift fetches them with multipart-manifest=get. A DLO manifest among
// them gives its own bytes; an SLO manifest's own bytes are its JSON,
// which Swift cannot send in place of the size the listing promised, so
// the GET fails (409 before any byte here) while HEAD still answers.
func TestDLONestedManifests(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		e.must(201, "PUT", acctA+"/c", "tok-a", "")
		e.must(201, "PUT", acctA+"/c/seg/1", "tok-a", "one")
		e.must(201, "PUT", acctA+"/c/seg/2", "tok-a", "inner", "X-Object-Manifest: c/seg/1")
		e.must(201, "PUT", acctA+"/c/dlo", "tok-a", "", "X-Object-Manifest: c/seg/")
		if _, b := e.must(200, "GET", acctA+"/c/dlo", "tok-a", ""); b != "oneinner" {
			t.Fatalf("dlo over a dlo manifest: %q", b)
		}
		e.must(201, "PUT", acctA+"/c/seg/3?multipart-manifest=put", "tok-a", `[{"path":"/c/seg/1"}]`)
		_, b := e.must(409, "GET", acctA+"/c/dlo", "tok-a", "")
		if strings.Contains(b, `"path"`) || strings.Contains(b, `"name"`) {
			t.Fatalf("manifest JSON served: %q", b)
		}
		if resp, _ := e.must(200, "HEAD", acctA+"/c/dlo", "tok-a", ""); resp.Header.Get("Content-Length") != "11" {
			t.Fatalf("HEAD length %s", resp.Header.Get("Content-Length"))
		}
		e.must(409, "PUT", acctA+"/c/copy", "tok-a", "", "X-Copy-From: c/dlo")
		// A range that ends before the SLO segment is served.
		if _, b := e.must(206, "GET", acctA+"/c/dlo", "tok-a", "", "Range: bytes=0-2"); b != "one" {
			t.Fatalf("range %q", b)
		}
	})
}
