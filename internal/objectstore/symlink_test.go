package objectstore

import (
	"encoding/json"
	"strings"
	"testing"
)

// step is one request of a scripted test and what it must answer.
type step struct {
	name                string
	method, path, token string
	body                string
	hdr                 []string
	status              int
	want                string            // the body, when set
	headers             map[string]string // response headers that must be set so ("" : absent)
}

func (e *testEnv) run(steps []step) {
	e.t.Helper()
	for _, s := range steps {
		resp, body := e.do(s.method, s.path, s.token, s.body, s.hdr...)
		if resp.StatusCode != s.status {
			e.t.Errorf("%s: %s %s: %d, want %d: %.300s", s.name, s.method, s.path, resp.StatusCode, s.status, body)
			continue
		}
		if s.want != "" && body != s.want {
			e.t.Errorf("%s: body %q, want %q", s.name, body, s.want)
		}
		for k, v := range s.headers {
			if got := resp.Header.Get(k); got != v {
				e.t.Errorf("%s: %s %q, want %q", s.name, k, got, v)
			}
		}
	}
}

func TestSymlinks(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		a := acctA
		e.must(201, "PUT", a+"/c", "tok-a", "")
		e.must(201, "PUT", a+"/c/t", "tok-a", "hello", "Content-Type: text/plain", "X-Object-Meta-Color: red")
		const tmd5 = "5d41402abc4b2a76b9719d911017c592"
		loc := "/v1/AUTH_pa/c/t"
		e.run([]step{
			{name: "a body", method: "PUT", path: a + "/c/l", token: "tok-a", body: "x", hdr: []string{"X-Symlink-Target: c/t"},
				status: 400, want: "Symlink requests require a zero byte body", headers: map[string]string{"Content-Type": "text/plain"}},
			{name: "leading slash", method: "PUT", path: a + "/c/l", token: "tok-a", hdr: []string{"X-Symlink-Target: /c/t"}, status: 412, want: msgSymlinkForm},
			{name: "no object", method: "PUT", path: a + "/c/l", token: "tok-a", hdr: []string{"X-Symlink-Target: c"}, status: 412, want: msgSymlinkForm},
			{name: "empty object", method: "PUT", path: a + "/c/l", token: "tok-a", hdr: []string{"X-Symlink-Target: c/"}, status: 412, want: msgSymlinkForm},
			{name: "itself", method: "PUT", path: a + "/c/l", token: "tok-a", hdr: []string{"X-Symlink-Target: c/l"}, status: 400, want: "Symlink cannot target itself"},
			{name: "account with a slash", method: "PUT", path: a + "/c/l", token: "tok-a", hdr: []string{"X-Symlink-Target: c/t", "X-Symlink-Target-Account: a/b"},
				status: 412, want: "Account name cannot contain slashes"},
			{name: "bad etag", method: "PUT", path: a + "/c/l", token: "tok-a", hdr: []string{"X-Symlink-Target: c/t", `X-Symlink-Target-Etag: a"b`},
				status: 400, want: "Bad X-Symlink-Target-Etag format"},
			{name: "POST a target", method: "POST", path: a + "/c/t", token: "tok-a", hdr: []string{"X-Symlink-Target: c/x"},
				status: 400, want: "A PUT request is required to set a symlink target"},

			{name: "make a link", method: "PUT", path: a + "/c/l", token: "tok-a", hdr: []string{"X-Symlink-Target: c/t"}, status: 201,
				headers: map[string]string{"Etag": emptyMD5}},
			{name: "read through it", method: "GET", path: a + "/c/l", token: "tok-a", status: 200, want: "hello",
				headers: map[string]string{"Content-Location": loc, "Content-Type": "text/plain", "X-Object-Meta-Color": "red", "Etag": tmd5}},
			{name: "the link itself", method: "HEAD", path: a + "/c/l?symlink=get", token: "tok-a", status: 200,
				headers: map[string]string{"X-Symlink-Target": "c/t", "Content-Type": "application/symlink", "Content-Length": "0",
					"Content-Location": "", "X-Object-Meta-Color": "", "X-Symlink-Target-Etag": ""}},
			{name: "POST to a link", method: "POST", path: a + "/c/l", token: "tok-a", hdr: []string{"X-Object-Meta-Shape: round"}, status: 307,
				want:    "The requested POST was applied to a symlink. POST directly to the target to apply requested metadata.",
				headers: map[string]string{"Location": loc}},
			{name: "... applied to the link", method: "HEAD", path: a + "/c/l?symlink=get", token: "tok-a", status: 200,
				headers: map[string]string{"X-Object-Meta-Shape": "round", "X-Symlink-Target": "c/t"}},
			{name: "... not to the target", method: "HEAD", path: a + "/c/t", token: "tok-a", status: 200, headers: map[string]string{"X-Object-Meta-Shape": ""}},

			{name: "static, wrong etag", method: "PUT", path: a + "/c/s", token: "tok-a", hdr: []string{"X-Symlink-Target: c/t", "X-Symlink-Target-Etag: 0123"},
				status: 409, want: "Object Etag '" + tmd5 + "' does not match X-Symlink-Target-Etag header '0123'", headers: map[string]string{"Content-Location": loc}},
			{name: "static, missing target", method: "PUT", path: a + "/c/s", token: "tok-a", hdr: []string{"X-Symlink-Target: c/none", "X-Symlink-Target-Etag: " + tmd5},
				status: 409, want: "X-Symlink-Target does not exist"},
			{name: "static", method: "PUT", path: a + "/c/s", token: "tok-a", hdr: []string{"X-Symlink-Target: c/t", `X-Symlink-Target-Etag: "` + tmd5 + `"`}, status: 201},
			{name: "static, itself", method: "HEAD", path: a + "/c/s?symlink=get", token: "tok-a", status: 200,
				headers: map[string]string{"X-Symlink-Target-Etag": tmd5, "X-Symlink-Target-Bytes": "5", "Content-Type": "text/plain"}},
			{name: "static reads", method: "GET", path: a + "/c/s", token: "tok-a", status: 200, want: "hello"},

			{name: "dangling", method: "PUT", path: a + "/c/d", token: "tok-a", hdr: []string{"X-Symlink-Target: c/none"}, status: 201},
			{name: "dangling read", method: "GET", path: a + "/c/d", token: "tok-a", status: 404, headers: map[string]string{"Content-Location": "/v1/AUTH_pa/c/none"}},
			{name: "two links", method: "PUT", path: a + "/c/l2", token: "tok-a", hdr: []string{"X-Symlink-Target: c/l"}, status: 201},
			{name: "two hops", method: "GET", path: a + "/c/l2", token: "tok-a", status: 200, want: "hello", headers: map[string]string{"Content-Location": loc}},
			{name: "three links", method: "PUT", path: a + "/c/l3", token: "tok-a", hdr: []string{"X-Symlink-Target: c/l2"}, status: 201},
			{name: "three hops", method: "GET", path: a + "/c/l3", token: "tok-a", status: 409,
				want: "Too many levels of symbolic links, maximum allowed is 2"},
			{name: "a loop", method: "PUT", path: a + "/c/x", token: "tok-a", hdr: []string{"X-Symlink-Target: c/y"}, status: 201},
			{name: "... closed", method: "PUT", path: a + "/c/y", token: "tok-a", hdr: []string{"X-Symlink-Target: c/x"}, status: 201},
			{name: "... read", method: "HEAD", path: a + "/c/x", token: "tok-a", status: 409},

			// A COPY copies the target, or with ?symlink=get the link.
			{name: "copy through", method: "COPY", path: a + "/c/l", token: "tok-a", hdr: []string{"Destination: c/copy"}, status: 201},
			{name: "... a plain object", method: "GET", path: a + "/c/copy?symlink=get", token: "tok-a", status: 200, want: "hello",
				headers: map[string]string{"X-Symlink-Target": ""}},
			{name: "copy the link", method: "COPY", path: a + "/c/l?symlink=get", token: "tok-a", hdr: []string{"Destination: c/lcopy"}, status: 201},
			{name: "... a link", method: "GET", path: a + "/c/lcopy?symlink=get", token: "tok-a", status: 200, headers: map[string]string{"X-Symlink-Target": "c/t"}},
			{name: "delete the link", method: "DELETE", path: a + "/c/lcopy", token: "tok-a", status: 204},
			{name: "... not the target", method: "GET", path: a + "/c/t", token: "tok-a", status: 200, want: "hello"},
		})
		// The static link notices its target changed.
		e.must(201, "PUT", a+"/c/t", "tok-a", "changed")
		e.run([]step{{name: "static, target changed", method: "GET", path: a + "/c/s", token: "tok-a", status: 409,
			want: "Object Etag '" + md5hex("changed") + "' does not match X-Symlink-Target-Etag header '" + tmd5 + "'"}})

		// Listings: JSON names the target, XML and plain do not.
		_, body := e.must(200, "GET", a+"/c?format=json&prefix=s", "tok-a", "")
		var items []map[string]any
		json.Unmarshal([]byte(body), &items)
		if len(items) != 1 || items[0]["symlink_path"] != loc || items[0]["symlink_etag"] != tmd5 || items[0]["symlink_bytes"] != 5.0 ||
			items[0]["bytes"] != 0.0 || items[0]["hash"] != emptyMD5 {
			t.Fatalf("JSON listing %s", body)
		}
		if _, body := e.must(200, "GET", a+"/c?format=xml&prefix=l", "tok-a", ""); strings.Contains(body, "symlink_path") || strings.Contains(body, "/v1/") {
			t.Fatalf("XML listing %s", body)
		}
	})
}

// A link is read as its target would be read directly: ACLs, temp URL
// scopes and other accounts' rules apply to the target.
func TestSymlinkAccess(t *testing.T) {
	e := newEnv(t)
	a, b := acctA, "/object-store/v1/AUTH_pb"
	e.must(204, "POST", a, "tok-a", "", "X-Account-Meta-Temp-URL-Key: akey")
	e.must(201, "PUT", a+"/private", "tok-a", "")
	e.must(201, "PUT", a+"/private/t", "tok-a", "secret")
	e.must(201, "PUT", a+"/shared", "tok-a", "", "X-Container-Read: pb:ub", "X-Container-Meta-Temp-URL-Key: ckey")
	e.must(201, "PUT", a+"/shared/t", "tok-a", "shared")
	e.must(201, "PUT", a+"/shared/out", "tok-a", "", "X-Symlink-Target: private/t")
	e.must(201, "PUT", a+"/shared/in", "tok-a", "", "X-Symlink-Target: shared/t")
	// Bob's account: a container alice may read, and a link to it from alice's.
	e.must(201, "PUT", b+"/bobs", "tok-b", "", "X-Container-Read: pa:ua")
	e.must(201, "PUT", b+"/bobs/o", "tok-b", "bob's")
	e.must(201, "PUT", a+"/private/cross", "tok-a", "", "X-Symlink-Target: bobs/o", "X-Symlink-Target-Account: AUTH_pb")
	e.must(201, "PUT", a+"/shared/cross", "tok-a", "", "X-Symlink-Target: bobs/o", "X-Symlink-Target-Account: AUTH_pb")
	e.run([]step{
		{name: "ACL reader, target in the container", method: "GET", path: a + "/shared/in", token: "tok-b", status: 200, want: "shared"},
		{name: "ACL reader, private target", method: "GET", path: a + "/shared/out", token: "tok-b", status: 403,
			headers: map[string]string{"Content-Location": "/v1/AUTH_pa/private/t"}},
		{name: "ACL reader, the link itself", method: "GET", path: a + "/shared/out?symlink=get", token: "tok-b", status: 200},
		{name: "anonymous", method: "GET", path: a + "/shared/in", status: 401},
		{name: "static link to what one cannot read", method: "PUT", path: b + "/bobs/s", token: "tok-b",
			hdr: []string{"X-Symlink-Target: private/t", "X-Symlink-Target-Account: AUTH_pa", "X-Symlink-Target-Etag: " + md5hex("secret")}, status: 403},
		{name: "cross-account target one may read", method: "GET", path: a + "/private/cross", token: "tok-a", status: 200, want: "bob's",
			headers: map[string]string{"Content-Location": "/v1/AUTH_pb/bobs/o"}},
		{name: "cross-account, the target's owner through the link's container", method: "GET", path: a + "/shared/cross", token: "tok-b", status: 200},
		// Temp URLs: a container key reaches its container only, an account key its account.
		{name: "container key, target inside", method: "GET", path: tempURL("ckey", "GET", "/shared/in"), status: 200, want: "shared"},
		{name: "container key, target outside", method: "GET", path: tempURL("ckey", "GET", "/shared/out"), status: 401},
		{name: "account key, other container", method: "GET", path: tempURL("akey", "GET", "/shared/out"), status: 200, want: "secret"},
		{name: "account key, other account", method: "GET", path: tempURL("akey", "GET", "/shared/cross"), status: 401},
		{name: "temp URL: symlink=get is not honoured", method: "GET", path: tempURL("ckey", "GET", "/shared/in") + "&symlink=get", status: 200, want: "shared"},
		{name: "temp URL may not make a link", method: "PUT", path: tempURL("akey", "PUT", "/shared/new"), hdr: []string{"X-Symlink-Target: private/t"}, status: 400},
	})
	// Bob loses his read on bobs for alice: her link stops reading it.
	e.must(204, "POST", b+"/bobs", "tok-b", "", "X-Container-Read: ")
	e.run([]step{{name: "cross-account, ACL gone", method: "GET", path: a + "/private/cross", token: "tok-a", status: 403}})
	// The Go API follows links under the same rules.
	if _, err := e.svc.OpenObject(t.Context(), testAuth["tok-b"], "AUTH_pa", "shared", "out"); err == nil {
		t.Fatal("OpenObject read a private target through a link")
	}
	r, err := e.svc.OpenObject(t.Context(), testAuth["tok-b"], "AUTH_pa", "shared", "in")
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if r.Size() != int64(len("shared")) {
		t.Fatalf("OpenObject through a link: %d bytes", r.Size())
	}
}
