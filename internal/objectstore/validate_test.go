package objectstore

import (
	"testing"
)

// TestSmallValidations are Swift's refusals for odd headers
// (constraints.check_delete_headers, copy.py, acl.clean_acl) and its
// Python-mimetypes content-type guess.
func TestSmallValidations(t *testing.T) {
	e := newEnv(t)
	e.must(201, "PUT", acctA+"/c", "tok-a", "")
	e.must(201, "PUT", acctA+"/c/src", "tok-a", "x")
	cases := []struct {
		method, path, body string
		hdr                []string
		status             int
		want               string
	}{
		{"PUT", "/c/o", "x", []string{"X-Delete-After: 0"}, 400, "X-Delete-After in past"},
		{"PUT", "/c/o", "x", []string{"X-Delete-After: -1"}, 400, "X-Delete-After in past"},
		{"PUT", "/c/o", "x", []string{"X-Delete-After: 1.5"}, 400, "Non-integer X-Delete-After"},
		{"PUT", "/c/o", "x", []string{"X-Delete-At: 4000000000.5"}, 400, "Non-integer X-Delete-At"},
		{"PUT", "/c/o", "x", []string{"X-Delete-At: soon"}, 400, "Non-integer X-Delete-At"},
		{"POST", "/c/src", "", []string{"X-Delete-After: 0"}, 400, "X-Delete-After in past"},
		{"PUT", "/c/o", "x", []string{"X-Copy-From: c/src"}, 400, "Copy requests require a zero byte body"},
		{"PUT", "/w", "", []string{"X-Container-Write: .r:*"}, 400, "Referrers not allowed in write ACL: '.r:*'"},
		{"POST", "/c", "", []string{"X-Container-Write: pb:ub,.referrer:x.com"}, 400, "Referrers not allowed in write ACL: '.referrer:x.com'"},
		{"POST", "/c", "", []string{"X-Container-Read: .r:-"}, 400, "No host/domain value after referrer designation in ACL: '.r:-'"},
		{"POST", "/c", "", []string{"X-Container-Read: .x:y"}, 400, "Unknown designator '.x' in ACL: '.x:y'"},
		{"POST", "/c", "", []string{"X-Container-Read: .ref:*.example.com, .rlistings"}, 204, ""},
	}
	for _, c := range cases {
		if _, b := e.must(c.status, c.method, acctA+c.path, "tok-a", c.body, c.hdr...); b != c.want {
			t.Errorf("%s %s %v: %q want %q", c.method, c.path, c.hdr, b, c.want)
		}
	}
	// clean_acl stores the normalised form.
	if resp, _ := e.must(204, "HEAD", acctA+"/c", "tok-a", ""); resp.Header.Get("X-Container-Read") != ".r:.example.com,.rlistings" {
		t.Errorf("stored ACL %q", resp.Header.Get("X-Container-Read"))
	}
	for name, want := range map[string]string{"a.html": "text/html", "a.css": "text/css", "a.png": "image/png", "a.txt": "text/plain"} {
		e.must(201, "PUT", acctA+"/c/"+name, "tok-a", "x", "X-Detect-Content-Type: true")
		if resp, _ := e.must(200, "HEAD", acctA+"/c/"+name, "tok-a", ""); resp.Header.Get("Content-Type") != want {
			t.Errorf("%s: %q want %q", name, resp.Header.Get("Content-Type"), want)
		}
	}
}
