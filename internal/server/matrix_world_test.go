package server

import (
	"archive/tar"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/catalog"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// The callers of the access matrix.
type caller string

const (
	ownerAdmin   caller = "owner-admin"  // admin role on the owning project (not a cloud admin)
	ownerMember  caller = "owner-member" // member role on the owning project
	ownerReader  caller = "owner-reader" // reader role on the owning project
	cloudAdmin   caller = "cloud-admin"  // admin role on the admin project
	otherMember  caller = "other-member" // member of another project
	aclRead      caller = "acl-read"     // named in c's read ACL; a member of the image's sharing
	aclWrite     caller = "acl-write"    // named in c's read and write ACLs; a member too
	anonymous    caller = "anonymous"
	containerKey caller = "container-key" // holds c's temp URL key, no token
	accountKey   caller = "account-key"   // holds the account's temp URL key, no token
)

var allCallers = callers{ownerAdmin, ownerMember, ownerReader, cloudAdmin, otherMember, aclRead, aclWrite, anonymous, containerKey, accountKey}

// world is a running node with an owning project whose account and images
// every caller is tried against.
type world struct {
	t         *testing.T
	srv       *httptest.Server
	mux       *httpapi.Mux
	tok       map[caller]string
	project   map[caller]string // the project each token is scoped to
	user      map[caller]string
	owner     string            // the owning project's id
	aclp      string            // the ACL users' project
	acct      string            // the owning account's path: /object-store/v1/AUTH_<owner>
	img       string            // a shared, active image of the owner, accepted by aclp
	scratch   map[caller]string // the image a probe's setup made for each caller
	task      string            // the owner's import task, of taskImage (shared like img)
	taskImage string
	nvV1      string // the first version of nv/o (object versioning)
}

const (
	accountKeyValue   = "the-account-key"
	containerKeyValue = "the-container-key"
)

func newWorld(t *testing.T) *world {
	s := testServer(t, nil)
	w := &world{t: t, srv: httptest.NewServer(s.Handler()), mux: s.mux, tok: map[caller]string{}, project: map[caller]string{}, user: map[caller]string{},
		scratch: map[caller]string{}}
	t.Cleanup(w.srv.Close)
	w.tok[cloudAdmin], w.project[cloudAdmin] = w.token("admin", "pw", "", "admin")
	roles := map[string]string{}
	var rl struct{ Roles []struct{ ID, Name string } }
	w.json(w.must(200, "GET", "/identity/v3/roles", cloudAdmin, nil), &rl)
	for _, r := range rl.Roles {
		roles[r.Name] = r.ID
	}
	w.owner, w.aclp = w.mkProject("owner"), w.mkProject("aclp")
	other := w.mkProject("other")
	for _, u := range []struct {
		c             caller
		project, role string
	}{
		{ownerAdmin, w.owner, "admin"}, {ownerMember, w.owner, "member"}, {ownerReader, w.owner, "reader"},
		{otherMember, other, "member"}, {aclRead, w.aclp, "member"}, {aclWrite, w.aclp, "member"},
	} {
		var out struct{ User struct{ ID string } }
		w.json(w.must(201, "POST", "/identity/v3/users", cloudAdmin,
			map[string]any{"user": map[string]any{"name": string(u.c), "password": "pw-" + string(u.c), "domain_id": "default"}}), &out)
		w.user[u.c] = out.User.ID
		w.must(204, "PUT", fmt.Sprintf("/identity/v3/projects/%s/users/%s/roles/%s", u.project, out.User.ID, roles[u.role]), cloudAdmin, nil)
		w.tok[u.c], w.project[u.c] = w.token(string(u.c), "pw-"+string(u.c), u.project, "")
	}
	w.acct = catalog.ObjectStorePrefix + "/v1/AUTH_" + w.owner
	w.objectFixture()
	w.imageFixture()
	w.metadefFixture()
	return w
}

func (w *world) mkProject(name string) string {
	var out struct{ Project struct{ ID string } }
	w.json(w.must(201, "POST", "/identity/v3/projects", cloudAdmin, map[string]any{"project": map[string]any{"name": name, "domain_id": "default"}}), &out)
	return out.Project.ID
}

// token issues a project-scoped token and returns it with the project's id.
func (w *world) token(user, password, projectID, projectName string) (string, string) {
	scope := map[string]any{"id": projectID}
	if projectName != "" {
		scope = map[string]any{"name": projectName, "domain": map[string]string{"id": "default"}}
	}
	body := map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{
			"user": map[string]any{"name": user, "domain": map[string]string{"id": "default"}, "password": password}}},
		"scope": map[string]any{"project": scope}}}
	r := w.must(201, "POST", "/identity/v3/auth/tokens", "", body)
	var out struct {
		Token struct{ Project struct{ ID string } }
	}
	w.json(r, &out)
	return r.header.Get("X-Subject-Token"), out.Token.Project.ID
}

// objectFixture lays out the owning account (see the matrix rows).
func (w *world) objectFixture() {
	a := w.acct
	w.as(204, "POST", a, nil, "X-Account-Meta-Temp-URL-Key: "+accountKeyValue)
	readers := w.aclp + ":" + w.user[aclRead] + "," + w.aclp + ":" + w.user[aclWrite]
	w.as(201, "PUT", a+"/c", nil, "X-Container-Read: "+readers, "X-Container-Write: "+w.aclp+":"+w.user[aclWrite],
		"X-Container-Meta-Temp-URL-Key: "+containerKeyValue)
	w.as(201, "PUT", a+"/c/o", "object")
	w.as(201, "PUT", a+"/c/seg-in", "in")
	w.as(201, "PUT", a+"/segs", nil)
	w.as(201, "PUT", a+"/segs/s1", "seg1")
	w.as(201, "PUT", a+"/private", nil)
	w.as(201, "PUT", a+"/private/o", "private")
	w.as(201, "PUT", a+"/c/slo-out?multipart-manifest=put", `[{"path":"/segs/s1"}]`)
	w.as(201, "PUT", a+"/c/dlo-out", nil, "X-Object-Manifest: segs/s")
	w.as(201, "PUT", a+"/c/slo-in?multipart-manifest=put", `[{"path":"/c/seg-in"}]`)
	w.as(201, "PUT", a+"/web", nil, "X-Container-Read: .r:*,.rlistings", "X-Container-Meta-Web-Index: index.html",
		"X-Container-Meta-Web-Listings: true")
	w.as(201, "PUT", a+"/web/index.html", "<html>home</html>")
	w.as(201, "PUT", a+"/arch", nil)
	w.as(201, "PUT", a+"/ver", nil, "X-Versions-Location: arch")
	w.as(201, "PUT", a+"/ver/o", "v1")
	// Object versioning (no ACL), and links from c into c and into private.
	w.as(201, "PUT", a+"/nv", nil, "X-Versions-Enabled: true")
	w.nvV1 = w.as(201, "PUT", a+"/nv/o", "v1").header.Get("X-Object-Version-Id")
	w.as(201, "PUT", a+"/nv/o", "v2")
	w.as(201, "PUT", a+"/c/link-in", nil, "X-Symlink-Target: c/o")
	w.as(201, "PUT", a+"/c/link-out", nil, "X-Symlink-Target: private/o")
}

// imageFixture makes w.img: shared, active, with property k=v, accepted
// by the ACL users' project.
func (w *world) imageFixture() {
	w.img = w.newImage("img", "shared", true)
	w.must(200, "PATCH", "/image/v2/images/"+w.img, ownerMember, patch("add", "/k", "v"))
	w.must(200, "POST", "/image/v2/images/"+w.img+"/members", ownerMember, map[string]string{"member": w.aclp})
	w.must(200, "PUT", "/image/v2/images/"+w.img+"/members/"+w.aclp, aclRead, map[string]string{"status": "accepted"})
	sharedImage("imported", false, func(w *world, id string) {
		w.must(204, "PUT", "/image/v2/images/"+id+"/stage", ownerMember, []byte("abcd"))
		w.must(202, "POST", "/image/v2/images/"+id+"/import", ownerMember, map[string]any{"method": map[string]string{"name": "glance-direct"}})
		var tasks struct{ Tasks []struct{ ID string } }
		w.json(w.must(200, "GET", "/image/v2/images/"+id+"/tasks", ownerMember, nil), &tasks)
		if len(tasks.Tasks) != 1 {
			w.t.Fatalf("import made %d tasks", len(tasks.Tasks))
		}
		w.task, w.taskImage = tasks.Tasks[0].ID, id
	})(w, ownerMember)
}

// newImage creates an image of the owner, with data when active.
func (w *world) newImage(name, visibility string, active bool) string {
	var im struct{ ID string }
	w.json(w.must(201, "POST", "/image/v2/images", ownerMember,
		map[string]any{"name": name, "disk_format": "raw", "container_format": "bare", "visibility": visibility}), &im)
	if active {
		w.must(204, "PUT", "/image/v2/images/"+im.ID+"/file", ownerMember, []byte("abcd"))
	}
	return im.ID
}

type patchBody string

// jsonBody is JSON text already encoded.
type jsonBody string

func patch(op, path, value string) patchBody {
	b, _ := json.Marshal([]map[string]string{{"op": op, "path": path, "value": value}})
	return patchBody(b)
}

// tarball is a tar archive of files.
func tarball(files map[string]string) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, body := range files {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(body))
	}
	tw.Close()
	return buf.Bytes()
}

type reply struct {
	status int
	header http.Header
	body   string
}

// request builds a request; body is nil, a string, []byte, a patchBody or
// a value sent as JSON; hdr are "Name: value" lines.
func (w *world) request(method, path string, body any, hdr ...string) *http.Request {
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd, ct = bytes.NewReader(b), "application/octet-stream"
	case patchBody:
		rd, ct = strings.NewReader(string(b)), "application/openstack-images-v2.1-json-patch"
	case jsonBody:
		rd, ct = strings.NewReader(string(b)), "application/json"
	default:
		js, _ := json.Marshal(b)
		rd, ct = bytes.NewReader(js), "application/json"
	}
	req, err := http.NewRequest(method, w.srv.URL+path, rd)
	if err != nil {
		w.t.Fatal(err)
	}
	if rd == nil && (method == "PUT" || method == "POST") {
		req.Body, req.ContentLength = http.NoBody, 0
		req.Header.Set("Content-Length", "0")
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for _, h := range hdr {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(k, strings.TrimSpace(v))
	}
	return req
}

// authorize makes req c's: a token, nothing, or a temp URL signature
// with a key (object-store requests only).
func (w *world) authorize(req *http.Request, c caller) {
	switch c {
	case anonymous:
	case containerKey, accountKey:
		path := req.URL.EscapedPath()
		if !strings.HasPrefix(path, catalog.ObjectStorePrefix+"/v1/") {
			return // keys mean nothing outside the object store
		}
		key := containerKeyValue
		if c == accountKey {
			key = accountKeyValue
		}
		exp := time.Now().Add(time.Hour).Unix()
		m := hmac.New(sha256.New, []byte(key))
		fmt.Fprintf(m, "%s\n%d\n%s", req.Method, exp, strings.TrimPrefix(req.URL.Path, catalog.ObjectStorePrefix))
		q := req.URL.RawQuery
		if q != "" {
			q += "&"
		}
		req.URL.RawQuery = q + fmt.Sprintf("temp_url_sig=%s&temp_url_expires=%d", hex.EncodeToString(m.Sum(nil)), exp)
	default:
		req.Header.Set("X-Auth-Token", w.tok[c])
	}
}

// noRedirect returns redirects as they are (a POST to a symlink is a 307).
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (w *world) do(req *http.Request) reply {
	w.t.Helper()
	resp, err := noRedirect.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, string(b)}
}

// must sends a request as c and checks the status.
func (w *world) must(status int, method, path string, c caller, body any, hdr ...string) reply {
	w.t.Helper()
	req := w.request(method, path, body, hdr...)
	if c != "" {
		w.authorize(req, c)
	}
	r := w.do(req)
	if r.status != status {
		w.t.Fatalf("%s %s as %s: %d, want %d: %.300s", method, path, c, r.status, status, r.body)
	}
	return r
}

// as is must as the owner's member (fixtures).
func (w *world) as(status int, method, path string, body any, hdr ...string) reply {
	w.t.Helper()
	return w.must(status, method, path, ownerMember, body, hdr...)
}

func (w *world) json(r reply, v any) {
	w.t.Helper()
	if err := json.Unmarshal([]byte(r.body), v); err != nil {
		w.t.Fatalf("decode %.200s: %v", r.body, err)
	}
}
