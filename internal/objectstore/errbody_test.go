package objectstore

import (
	"strings"
	"testing"
)

// TestErrorBodies: Swift sends swob's short HTML page only when a response
// has no body of its own; an explicit message is the whole body.
func TestErrorBodies(t *testing.T) {
	e := newEnv(t)
	e.must(201, "PUT", acctA+"/c", "tok-a", "")
	e.must(201, "PUT", acctA+"/q", "tok-a", "", "X-Container-Meta-Quota-Bytes: 1")
	e.must(201, "PUT", acctA+"/c/o", "tok-a", "x")
	cases := []struct {
		method, path, body string
		hdr                []string
		status             int
		want               string
	}{
		{"GET", "/c?limit=10001", "", nil, 412, "Maximum limit is 10000"},
		{"PUT", "/q/o", "12", nil, 413, "Upload exceeds quota."},
		{"PUT", "/c/o2", "x", []string{"X-Delete-At: 1"}, 400, "X-Delete-At in past"},
		{"PUT", "/c/s?multipart-manifest=put", "{}", nil, 400, "Manifest must be a list.\n"},
		{"GET", "/nope/o", "", nil, 404, "<html><h1>Not Found</h1><p>The resource could not be found.</p></html>"},
		{"GET", "/c/o", "", []string{"If-Match: nope"}, 412,
			"<html><h1>Precondition Failed</h1><p>A precondition for this request was not met.</p></html>"},
		{"GET", "/c/" + strings.Repeat("n", 1025), "", nil, 400, "Object name length of 1025 longer than 1024"},
		{"HEAD", "/c/" + strings.Repeat("n", 1025), "", nil, 400, ""},
	}
	for _, c := range cases {
		resp, b := e.must(c.status, c.method, acctA+c.path, "tok-a", c.body, c.hdr...)
		if b != c.want || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s %s: %q (%s), want %q", c.method, c.path, b, resp.Header.Get("Content-Type"), c.want)
		}
	}
}
