package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// swiftDo is a raw request with a token and "Name: value" headers; it does
// not follow redirects.
func swiftDo(t *testing.T, method, url, token, body string, hdr ...string) (*http.Response, string) {
	t.Helper()
	var rd io.Reader
	if body != "" || method == "PUT" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	for _, h := range hdr {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(k, strings.TrimSpace(v))
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestObjectVersioningSwiftCLI drives object versioning (X-Versions-Enabled)
// with Debian's swift client: versions, listing them, reading and deleting
// one, delete markers, and deleting the container with its versions.
func TestObjectVersioningSwiftCLI(t *testing.T) {
	n := StartNode(t)
	dir := t.TempDir()
	swift := func(args ...string) string { t.Helper(); return swiftCLI(t, n, dir, args...) }
	if out := swift("capabilities"); !strings.Contains(out, "object_versioning") || !strings.Contains(out, "symlink") {
		t.Fatalf("capabilities lack object_versioning or symlink:\n%s", out)
	}
	swift("post", "-H", "X-Versions-Enabled: true", "vc")
	if out := swift("stat", "vc"); !strings.Contains(out, "X-Versions-Enabled: True") {
		t.Fatalf("stat:\n%s", out)
	}
	f := filepath.Join(dir, "f")
	for _, content := range []string{"first\n", "second!\n"} {
		if err := os.WriteFile(f, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		swift("upload", "vc", "f", "--object-name", "doc")
	}
	lines := strings.Split(strings.TrimSpace(swift("list", "vc", "--versions", "-l")), "\n")
	// size, date, time, version id, type, name; newest first; a total line.
	if len(lines) != 3 || !strings.HasSuffix(lines[0], " doc") || strings.Fields(lines[0])[0] != "8" || strings.Fields(lines[1])[0] != "6" {
		t.Fatalf("versions:\n%s", strings.Join(lines, "\n"))
	}
	old := strings.Fields(lines[1])[3]
	if out := swift("download", "vc", "doc", "--version-id", old, "-o", "-"); out != "first\n" {
		t.Fatalf("old version %q", out)
	}
	if out := swift("download", "vc", "doc", "-o", "-"); out != "second!\n" {
		t.Fatalf("current %q", out)
	}
	if out := swift("stat", "vc", "doc", "--version-id", old); !strings.Contains(out, "X-Object-Version-Id: "+old) {
		t.Fatalf("stat of a version:\n%s", out)
	}
	swift("delete", "vc", "doc")
	if out := swift("list", "vc"); strings.TrimSpace(out) != "" {
		t.Fatalf("listing after delete: %q", out)
	}
	if out := swift("list", "vc", "--versions", "-l"); !strings.Contains(out, "application/x-deleted;swift_versions_deleted=1") {
		t.Fatalf("no delete marker:\n%s", out)
	}
	swift("delete", "vc", "doc", "--version-id", old)
	if out := swift("list", "vc", "--versions"); strings.Count(out, "doc") != 2 {
		t.Fatalf("after deleting a version:\n%s", out)
	}
	// The container goes only with its versions: --versions deletes them all first.
	tok, url := swiftAuth(t, n)
	if resp, body := swiftDo(t, "DELETE", url+"/vc", tok, ""); resp.StatusCode != 409 || body != "Delete all versions before deleting container." {
		t.Fatalf("delete with versions: %d %q", resp.StatusCode, body)
	}
	swift("delete", "vc", "--versions")
	if out := swift("list"); strings.Contains(out, "vc") || strings.Contains(out, "versions") {
		t.Fatalf("containers after delete: %q", out)
	}
}

// TestSymlinksHTTP checks symlinks on the wire: following, ?symlink=get,
// static links, loops, the 307 of a POST, listings, and that a link never
// lets another project read what it could not read directly.
func TestSymlinksHTTP(t *testing.T) {
	n := StartNode(t)
	tok, url := swiftAuth(t, n)
	must := func(status int, method, path, body string, hdr ...string) (*http.Response, string) {
		t.Helper()
		resp, b := swiftDo(t, method, url+path, tok, body, hdr...)
		if resp.StatusCode != status {
			t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, status, b)
		}
		return resp, b
	}
	must(201, "PUT", "/private", "")
	must(201, "PUT", "/private/o", "secret", "Content-Type: text/plain")
	must(201, "PUT", "/links", "")
	must(201, "PUT", "/links/l", "", "X-Symlink-Target: private/o")
	if resp, body := must(200, "GET", "/links/l", ""); body != "secret" || !strings.HasSuffix(resp.Header.Get("Content-Location"), "/private/o") {
		t.Fatalf("through the link: %q %v", body, resp.Header)
	}
	if resp, _ := must(200, "HEAD", "/links/l?symlink=get", ""); resp.Header.Get("X-Symlink-Target") != "private/o" ||
		resp.Header.Get("Content-Type") != "application/symlink" {
		t.Fatalf("the link: %v", resp.Header)
	}
	_, body := must(200, "GET", "/links?format=json", "")
	var items []map[string]any
	if err := json.Unmarshal([]byte(body), &items); err != nil || len(items) != 1 || !strings.HasSuffix(items[0]["symlink_path"].(string), "/private/o") {
		t.Fatalf("listing %s", body)
	}
	if resp, body := swiftDo(t, "PUT", url+"/links/s", tok, "", "X-Symlink-Target: private/o", "X-Symlink-Target-Etag: 00"); resp.StatusCode != 409 ||
		!strings.Contains(body, "does not match X-Symlink-Target-Etag header '00'") {
		t.Fatalf("static link with a wrong etag: %d %s", resp.StatusCode, body)
	}
	must(201, "PUT", "/links/a", "", "X-Symlink-Target: links/b")
	must(201, "PUT", "/links/b", "", "X-Symlink-Target: links/a")
	if _, body := must(409, "GET", "/links/a", ""); body != "Too many levels of symbolic links, maximum allowed is 2" {
		t.Fatalf("loop: %q", body)
	}
	if resp, _ := must(307, "POST", "/links/l", "", "X-Object-Meta-X: y"); !strings.HasSuffix(resp.Header.Get("Location"), "/private/o") {
		t.Fatalf("POST to a link: %v", resp.Header)
	}

	// Another project's member, given read access to "links" only.
	n.MustOpenStack(t, "project", "create", "sym-other")
	n.MustOpenStack(t, "user", "create", "sym-user", "--password", "pw", "--project", "sym-other")
	n.MustOpenStack(t, "role", "add", "--project", "sym-other", "--user", "sym-user", "member")
	other := n.Token(t, "sym-user", "pw", "sym-other")
	must(204, "POST", "/links", "", "X-Container-Read: sym-other:sym-user")
	if resp, _ := swiftDo(t, "GET", url+"/links/l?symlink=get", other, ""); resp.StatusCode != 200 {
		t.Fatalf("the other project reads the link itself: %d", resp.StatusCode)
	}
	if resp, body := swiftDo(t, "GET", url+"/links/l", other, ""); resp.StatusCode != 403 || strings.Contains(body, "secret") {
		t.Fatalf("the other project read a private object through a link: %d %q", resp.StatusCode, body)
	}
}
