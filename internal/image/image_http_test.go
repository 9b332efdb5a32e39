package image

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestVersions(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/image", "/image/"} {
		r := e.mustCode(e.do("GET", p, "", nil), 300)
		vs := r.JSON(t)["versions"].([]any)
		if len(vs) == 0 || !strings.HasSuffix(vs[0].(map[string]any)["links"].([]any)[0].(map[string]any)["href"].(string), "/image/v2/") {
			t.Fatalf("versions: %s", r.Body)
		}
	}
	e.mustCode(e.do("GET", "/image/versions", "", nil), 200)
	for _, s := range []string{"image", "images", "member", "members"} {
		e.mustCode(e.do("GET", "/image/v2/schemas/"+s, "alice", nil), 200)
	}
}

func TestCreateGetUpdateDelete(t *testing.T) {
	e := newEnv(t)
	id := "0d5bcbc7-b066-4217-83f4-7111a60a399a"
	r := e.mustCode(e.do("POST", "/image/v2/images", "alice", map[string]any{
		"id": id, "name": "cirros", "disk_format": "qcow2", "container_format": "bare",
		"tags": []string{"a", "b", "a"}, "min_ram": 64, "login-user": "kvothe",
	}), 201)
	m := r.JSON(t)
	if m["id"] != id || m["status"] != "queued" || m["visibility"] != "shared" || m["owner"] != "p-alice" ||
		m["login-user"] != "kvothe" || m["size"] != nil || len(m["tags"].([]any)) != 2 || m["self"] != "/v2/images/"+id {
		t.Fatalf("create: %s", r.Body)
	}
	if !strings.HasSuffix(r.Header.Get("Location"), "/image/v2/images/"+id) {
		t.Fatalf("Location %q", r.Header.Get("Location"))
	}
	e.mustCode(e.do("POST", "/image/v2/images", "alice", map[string]any{"id": id}), 409)
	e.mustCode(e.do("POST", "/image/v2/images", "alice", map[string]any{"status": "active"}), 403)
	e.mustCode(e.do("POST", "/image/v2/images", "alice", map[string]any{"disk_format": "floppy"}), 400)
	e.mustCode(e.do("POST", "/image/v2/images", "alice", map[string]any{"visibility": "public"}), 403)
	e.mustCode(e.do("POST", "/image/v2/images", "reader", map[string]any{}), 403)

	r = e.mustCode(e.patch("alice", id,
		map[string]any{"op": "replace", "path": "/name", "value": "Fedora 17"},
		map[string]any{"op": "replace", "path": "/tags", "value": []string{"fedora", "beefy"}},
		map[string]any{"op": "add", "path": "/os_distro", "value": "fedora"},
		map[string]any{"op": "remove", "path": "/login-user"},
	), 200)
	m = r.JSON(t)
	if m["name"] != "Fedora 17" || m["os_distro"] != "fedora" || m["login-user"] != nil || fmt.Sprint(m["tags"]) != "[fedora beefy]" {
		t.Fatalf("patch: %s", r.Body)
	}
	e.mustCode(e.patch("alice", id, map[string]any{"op": "replace", "path": "/status", "value": "active"}), 403)
	e.mustCode(e.patch("alice", id, map[string]any{"op": "remove", "path": "/nope"}), 409)
	e.mustCode(e.do("PATCH", "/image/v2/images/"+id, "alice", "[]"), 415)
	e.mustCode(e.patch("bob", id, map[string]any{"op": "replace", "path": "/name", "value": "x"}), 404)

	e.mustCode(e.do("PUT", "/image/v2/images/"+id+"/tags/extra", "alice", nil), 204)
	e.mustCode(e.do("DELETE", "/image/v2/images/"+id+"/tags/fedora", "alice", nil), 204)
	e.mustCode(e.do("DELETE", "/image/v2/images/"+id+"/tags/fedora", "alice", nil), 404)
	m = e.mustCode(e.do("GET", "/image/v2/images/"+id, "alice", nil), 200).JSON(t)
	if fmt.Sprint(m["tags"]) != "[beefy extra]" {
		t.Fatalf("tags %v", m["tags"])
	}

	e.mustCode(e.patch("alice", id, map[string]any{"op": "replace", "path": "/protected", "value": true}), 200)
	r = e.mustCode(e.do("DELETE", "/image/v2/images/"+id, "alice", nil), 403)
	if !strings.Contains(string(r.Body), "is protected and cannot be deleted") {
		t.Fatalf("protected delete: %s", r.Body)
	}
	e.mustCode(e.patch("alice", id, map[string]any{"op": "replace", "path": "/protected", "value": false}), 200)
	e.mustCode(e.do("DELETE", "/image/v2/images/"+id, "bob", nil), 404)
	e.mustCode(e.do("DELETE", "/image/v2/images/"+id, "alice", nil), 204)
	r = e.mustCode(e.do("GET", "/image/v2/images/"+id, "alice", nil), 404)
	if !strings.Contains(string(r.Body), "No image found with ID "+id) {
		t.Fatalf("404 body: %s", r.Body)
	}
}

func TestVisibilityAndList(t *testing.T) {
	e := newEnv(t)
	priv := e.create("alice", map[string]any{"name": "priv", "visibility": "private"})
	shared := e.create("alice", map[string]any{"name": "shared"})
	comm := e.create("alice", map[string]any{"name": "comm", "visibility": "community"})
	pub := e.create("admin", map[string]any{"name": "pub", "visibility": "public", "os_distro": "debian"})
	e.mustCode(e.do("GET", "/image/v2/images/"+priv, "bob", nil), 404)
	e.mustCode(e.do("GET", "/image/v2/images/"+shared, "bob", nil), 404)
	e.mustCode(e.do("GET", "/image/v2/images/"+comm, "bob", nil), 200)
	e.mustCode(e.do("GET", "/image/v2/images/"+pub, "bob", nil), 200)
	e.mustCode(e.do("GET", "/image/v2/images/"+priv, "admin", nil), 200)

	names := func(token, query string) string {
		m := e.mustCode(e.do("GET", "/image/v2/images"+query, token, nil), 200).JSON(t)
		var out []string
		for _, im := range m["images"].([]any) {
			out = append(out, im.(map[string]any)["name"].(string))
		}
		return strings.Join(out, ",")
	}
	if got := names("bob", ""); got != "pub" {
		t.Fatalf("bob sees %q", got)
	}
	if got := names("bob", "?visibility=community"); got != "comm" {
		t.Fatalf("bob community %q", got)
	}
	if got := names("alice", "?sort=name:asc"); got != "comm,priv,pub,shared" {
		t.Fatalf("alice sees %q", got)
	}
	if got := names("alice", "?os_distro=debian"); got != "pub" {
		t.Fatalf("property filter %q", got)
	}
	if got := names("alice", "?name=in:priv,shared&sort_key=name&sort_dir=asc"); got != "priv,shared" {
		t.Fatalf("in filter %q", got)
	}
	e.mustCode(e.do("GET", "/image/v2/images?sort_key=bogus", "alice", nil), 400)
	e.mustCode(e.do("GET", "/image/v2/images?limit=x", "alice", nil), 400)
	e.mustCode(e.do("GET", "/image/v2/images?created_at=gt:2000-01-01T00:00:00Z", "alice", nil), 200)

	// Pagination follows next until it is absent.
	var seen []string
	next := "/v2/images?limit=1&sort_key=name&sort_dir=asc"
	for next != "" {
		m := e.mustCode(e.do("GET", "/image"+next, "alice", nil), 200).JSON(t)
		for _, im := range m["images"].([]any) {
			seen = append(seen, im.(map[string]any)["name"].(string))
		}
		next, _ = m["next"].(string)
		if len(seen) > 10 {
			t.Fatal("pagination does not end")
		}
	}
	if strings.Join(seen, ",") != "comm,priv,pub,shared" {
		t.Fatalf("paged %v", seen)
	}
}

func TestMembers(t *testing.T) {
	e := newEnv(t)
	id := e.create("alice", map[string]any{"name": "s"})
	priv := e.create("alice", map[string]any{"name": "p", "visibility": "private"})
	e.mustCode(e.do("POST", "/image/v2/images/"+priv+"/members", "alice", map[string]any{"member": "p-bob"}), 403)
	r := e.mustCode(e.do("POST", "/image/v2/images/"+id+"/members", "alice", map[string]any{"member": "p-bob"}), 200)
	if m := r.JSON(t); m["status"] != "pending" || m["member_id"] != "p-bob" || m["schema"] != "/v2/schemas/member" {
		t.Fatalf("member: %s", r.Body)
	}
	e.mustCode(e.do("POST", "/image/v2/images/"+id+"/members", "alice", map[string]any{"member": "p-bob"}), 409)
	e.mustCode(e.do("POST", "/image/v2/images/"+id+"/members", "alice", map[string]any{"member": "p-carol"}), 200)
	// Pending: bob can read it but does not list it.
	e.mustCode(e.do("GET", "/image/v2/images/"+id, "bob", nil), 200)
	if n := len(e.mustCode(e.do("GET", "/image/v2/images", "bob", nil), 200).JSON(t)["images"].([]any)); n != 0 {
		t.Fatalf("pending image listed")
	}
	if n := len(e.mustCode(e.do("GET", "/image/v2/images?member_status=pending&visibility=shared", "bob", nil), 200).JSON(t)["images"].([]any)); n != 1 {
		t.Fatalf("member_status=pending lists %d", n)
	}
	// A member sees only itself; the owner sees all.
	if n := len(e.mustCode(e.do("GET", "/image/v2/images/"+id+"/members", "bob", nil), 200).JSON(t)["members"].([]any)); n != 1 {
		t.Fatalf("bob sees %d members", n)
	}
	if n := len(e.mustCode(e.do("GET", "/image/v2/images/"+id+"/members", "alice", nil), 200).JSON(t)["members"].([]any)); n != 2 {
		t.Fatalf("owner sees %d members", n)
	}
	e.mustCode(e.do("GET", "/image/v2/images/"+id+"/members/p-carol", "bob", nil), 404)
	e.mustCode(e.do("PUT", "/image/v2/images/"+id+"/members/p-bob", "alice", map[string]any{"status": "accepted"}), 403)
	e.mustCode(e.do("PUT", "/image/v2/images/"+id+"/members/p-bob", "bob", map[string]any{"status": "bogus"}), 400)
	r = e.mustCode(e.do("PUT", "/image/v2/images/"+id+"/members/p-bob", "bob", map[string]any{"status": "accepted"}), 200)
	if r.JSON(t)["status"] != "accepted" {
		t.Fatalf("update: %s", r.Body)
	}
	if n := len(e.mustCode(e.do("GET", "/image/v2/images", "bob", nil), 200).JSON(t)["images"].([]any)); n != 1 {
		t.Fatalf("accepted image not listed")
	}
	// Rejected members can still read the image (K5), but do not list it.
	e.mustCode(e.do("PUT", "/image/v2/images/"+id+"/members/p-bob", "bob", map[string]any{"status": "rejected"}), 200)
	e.mustCode(e.do("GET", "/image/v2/images/"+id, "bob", nil), 200)
	e.mustCode(e.do("DELETE", "/image/v2/images/"+id+"/members/p-bob", "bob", nil), 403)
	e.mustCode(e.do("DELETE", "/image/v2/images/"+id+"/members/p-bob", "alice", nil), 204)
	e.mustCode(e.do("GET", "/image/v2/images/"+id, "bob", nil), 404)
	e.mustCode(e.do("GET", "/image/v2/images/"+id+"/members", "bob", nil), 404)
}

func TestActionsAndData(t *testing.T) {
	e := newEnv(t)
	id := e.create("alice", map[string]any{"name": "raw", "disk_format": "raw", "container_format": "bare"})
	e.mustCode(e.do("GET", "/image/v2/images/"+id+"/file", "alice", nil), 204)
	e.mustCode(e.do("POST", "/image/v2/images/"+id+"/actions/deactivate", "alice", nil), 403)
	data := []byte(strings.Repeat("stratus!", 300000))
	e.mustCode(e.do("PUT", "/image/v2/images/"+id+"/file", "bob", data), 404)
	e.mustCode(e.do("PUT", "/image/v2/images/"+id+"/file", "alice", data), 204)
	sum := md5.Sum(data)
	m := e.mustCode(e.do("GET", "/image/v2/images/"+id, "alice", nil), 200).JSON(t)
	if m["status"] != "active" || m["checksum"] != hex.EncodeToString(sum[:]) || m["size"].(float64) != float64(len(data)) ||
		m["os_hash_algo"] != "sha512" || len(m["os_hash_value"].(string)) != 128 || m["virtual_size"].(float64) != float64(len(data)) {
		t.Fatalf("after upload: %v", m)
	}
	e.mustCode(e.do("PUT", "/image/v2/images/"+id+"/file", "alice", data), 409)
	r := e.mustCode(e.do("GET", "/image/v2/images/"+id+"/file", "alice", nil), 200)
	if string(r.Body) != string(data) || r.Header.Get("Content-MD5") != hex.EncodeToString(sum[:]) {
		t.Fatalf("download: %d bytes, md5 header %q", len(r.Body), r.Header.Get("Content-MD5"))
	}
	r = e.mustCode(e.do("GET", "/image/v2/images/"+id+"/file", "alice", nil, "Range", "bytes=8-15"), 206)
	if string(r.Body) != "stratus!" || r.Header.Get("Content-Range") != fmt.Sprintf("bytes 8-15/%d", len(data)) {
		t.Fatalf("range: %q %q", r.Body, r.Header.Get("Content-Range"))
	}
	e.mustCode(e.do("GET", "/image/v2/images/"+id+"/file", "alice", nil, "Range", "bytes=99999999-"), 416)
	// Glance serves one range; several are 400, a bad one 416 in its own words.
	r = e.mustCode(e.do("GET", "/image/v2/images/"+id+"/file", "alice", nil, "Range", "bytes=0-1,8-9"), 400)
	if !strings.Contains(string(r.Body), "Requests with multiple ranges are not supported in Glance.") {
		t.Fatalf("multiple ranges: %s", r.Body)
	}
	r = e.mustCode(e.do("GET", "/image/v2/images/"+id+"/file", "alice", nil, "Range", "bytes=9-8"), 416)
	if !strings.Contains(string(r.Body), "Invalid Range header.") {
		t.Fatalf("bad range: %s", r.Body)
	}
	// The legacy Content-Range request header is still a range.
	r = e.mustCode(e.do("GET", "/image/v2/images/"+id+"/file", "alice", nil, "Content-Range", "bytes 16-23/*"), 206)
	if string(r.Body) != "stratus!" || r.Header.Get("Content-Range") != fmt.Sprintf("bytes 16-23/%d", len(data)) || r.Header.Get("Content-MD5") != "" {
		t.Fatalf("content-range: %q %q", r.Body, r.Header.Get("Content-Range"))
	}

	e.mustCode(e.do("POST", "/image/v2/images/"+id+"/actions/deactivate", "alice", nil), 204)
	e.mustCode(e.do("GET", "/image/v2/images/"+id+"/file", "alice", nil), 403)
	e.mustCode(e.do("GET", "/image/v2/images/"+id+"/file", "admin", nil), 200)
	e.mustCode(e.do("POST", "/image/v2/images/"+id+"/actions/reactivate", "alice", nil), 204)
	e.mustCode(e.do("GET", "/image/v2/images/"+id+"/file", "alice", nil), 200)
}

func TestUploadSizeChecks(t *testing.T) {
	e := newEnv(t)
	bare := e.create("alice", map[string]any{})
	r := e.mustCode(e.do("PUT", "/image/v2/images/"+bare+"/file", "alice", []byte("abc")), 400)
	if !strings.Contains(string(r.Body), "must be set prior to saving data") {
		t.Fatalf("no formats: %s", r.Body)
	}
	id := e.create("alice", map[string]any{"disk_format": "raw", "container_format": "bare"})
	e.mustCode(e.do("PUT", "/image/v2/images/"+id+"/file", "alice", []byte("abc"), "X-Openstack-Image-Size", "4"), 400)
	m := e.mustCode(e.do("GET", "/image/v2/images/"+id, "alice", nil), 200).JSON(t)
	if m["status"] != "queued" {
		t.Fatalf("after failed upload: %v", m["status"])
	}
	// A chunked body longer than its x-openstack-image-size is refused
	// whole, not stored as its first declared bytes.
	req := httptest.NewRequest("PUT", "/image/v2/images/"+id+"/file", io.MultiReader(strings.NewReader("abcdef")))
	req.Header.Set("X-Auth-Token", "alice")
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("X-Openstack-Image-Size", "4")
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	if w.Code != 400 || !strings.Contains(w.Body.String(), "exceeds the declared size (4 bytes)") {
		t.Fatalf("chunked body over its declared size: %d %s", w.Code, w.Body)
	}
	m = e.mustCode(e.do("GET", "/image/v2/images/"+id, "alice", nil), 200).JSON(t)
	if m["status"] != "queued" || m["size"] != nil {
		t.Fatalf("after over-long upload: %v size %v", m["status"], m["size"])
	}
	big := make([]byte, 65<<20)
	e.mustCode(e.do("PUT", "/image/v2/images/"+id+"/file", "alice", big), 413)
	m = e.mustCode(e.do("GET", "/image/v2/images/"+id, "alice", nil), 200).JSON(t)
	if m["status"] != "queued" {
		t.Fatalf("after too-large upload: %v", m["status"])
	}
}

// A list served from rendered JSON shows every change made since.
func TestListSeesUpdates(t *testing.T) {
	e := newEnv(t)
	id := e.create("alice", map[string]any{"name": "before", "disk_format": "raw", "container_format": "bare"})
	list := func() map[string]any {
		m := e.mustCode(e.do("GET", "/image/v2/images", "alice", nil), 200).JSON(t)
		return m["images"].([]any)[0].(map[string]any)
	}
	if list()["name"] != "before" {
		t.Fatal("first list")
	}
	e.mustCode(e.patch("alice", id, map[string]any{"op": "replace", "path": "/name", "value": "after"}), 200)
	if got := list()["name"]; got != "after" {
		t.Fatalf("after patch: %v", got)
	}
	e.mustCode(e.do("PUT", "/image/v2/images/"+id+"/tags/x", "alice", nil), 204)
	if got := list()["tags"]; fmt.Sprint(got) != "[x]" {
		t.Fatalf("after tag: %v", got)
	}
	e.mustCode(e.do("PUT", "/image/v2/images/"+id+"/file", "alice", []byte("data")), 204)
	if got := list()["status"]; got != "active" {
		t.Fatalf("after upload: %v", got)
	}
}

// Deleting an image while its bytes stream in ends the upload with 410
// and keeps nothing.
func TestDeleteDuringUpload(t *testing.T) {
	e := newEnv(t)
	id := e.create("alice", map[string]any{"disk_format": "raw", "container_format": "bare"})
	pr, pw := io.Pipe()
	done := make(chan resp)
	go func() {
		req := httptest.NewRequest("PUT", "/image/v2/images/"+id+"/file", pr)
		req.Header.Set("X-Auth-Token", "alice")
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Content-Type", "application/octet-stream")
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, req)
		done <- resp{Code: w.Code, Body: w.Body.Bytes()}
	}()
	pw.Write(bytes.Repeat([]byte{1}, 3<<20))
	for e.mustCode(e.do("GET", "/image/v2/images/"+id, "alice", nil), 200).JSON(t)["status"] != "saving" {
		time.Sleep(5 * time.Millisecond)
	}
	e.mustCode(e.do("DELETE", "/image/v2/images/"+id, "alice", nil), 204)
	pw.Close()
	r := <-done
	if r.Code != 410 || !strings.Contains(string(r.Body), "could not be found after upload") {
		t.Fatalf("upload: %d %s", r.Code, r.Body)
	}
	if kept := imageBlobs(t, e); len(kept) != 0 {
		t.Fatalf("bytes of a deleted image kept: %v", kept)
	}
}

// Both of Glance's patch media types: v2.1 is RFC 6902 ({"op", "path"}),
// v2.0 names the operation by its key ({"replace": "/name"}); tempest and
// older clients send v2.0.
func TestPatchMediaTypes(t *testing.T) {
	e := newEnv(t)
	id := e.create("alice", map[string]any{"name": "a", "disk_format": "raw", "container_format": "bare"})
	v20 := func(body string) resp {
		return e.do("PATCH", "/image/v2/images/"+id, "alice", body, "Content-Type", "application/openstack-images-v2.0-json-patch")
	}
	v21 := func(body string) resp {
		return e.do("PATCH", "/image/v2/images/"+id, "alice", body, "Content-Type", "application/openstack-images-v2.1-json-patch")
	}
	m := e.mustCode(v20(`[{"replace": "/name", "value": "b"}, {"add": "/k", "value": "v"}, {"add": "/protected", "value": true}]`), 200).JSON(t)
	if m["name"] != "b" || m["k"] != "v" || m["protected"] != true {
		t.Fatalf("after v2.0 patch: %v", m)
	}
	m = e.mustCode(v20(`[{"remove": "/k"}, {"replace": "/protected", "value": false}]`), 200).JSON(t)
	if _, ok := m["k"]; ok || m["protected"] != false {
		t.Fatalf("after v2.0 remove: %v", m)
	}
	for _, tc := range []struct {
		name string
		send func(string) resp
		body string
		msg  string
	}{
		{"v2.0 no operation", v20, `[{"path": "/name", "value": "c"}]`, `Operation objects must contain exactly one member named "add", "remove", or "replace".`},
		{"v2.0 two operations", v20, `[{"add": "/name", "replace": "/name", "value": "c"}]`, `Operation objects must contain only one member named "add", "remove", or "replace".`},
		{"v2.0 bad pointer", v20, `[{"replace": "name", "value": "c"}]`, `Invalid JSON pointer for this resource: 'name'`},
		{"v2.1 no op", v21, `[{"path": "/name", "value": "c"}]`, "Unable to find `op` in JSON Schema change. It must be one of the following: add, remove, replace."},
		{"v2.1 v2.0 body", v21, `[{"replace": "/name", "value": "c"}]`, "Unable to find `op` in JSON Schema change."},
		{"v2.1 bad op", v21, `[{"op": "move", "path": "/name"}]`, "Invalid operation: `move`. It must be one of the following: add, remove, replace."},
		{"v2.1 no path", v21, `[{"op": "replace", "value": "c"}]`, "Unable to find 'path' in JSON Schema change"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.mustCode(tc.send(tc.body), 400)
			if msg, _ := r.JSON(t)["message"].(string); !strings.HasPrefix(msg, tc.msg) {
				t.Fatalf("message %q, want %q", msg, tc.msg)
			}
		})
	}
	if m := e.mustCode(e.do("GET", "/image/v2/images/"+id, "alice", nil), 200).JSON(t); m["name"] != "b" {
		t.Fatalf("a refused patch changed the image: %v", m["name"])
	}
}

// Glance serves the metadata-definition schemas; tempest's
// MetadataSchemaTest checks each one's name.
func TestMetadefSchemas(t *testing.T) {
	e := newEnv(t)
	for path, name := range map[string]string{
		"namespace": "namespace", "namespaces": "namespaces",
		"resource_type": "resource_type_association", "resource_types": "resource_type_associations",
		"property": "property", "properties": "properties", "object": "object", "objects": "objects",
		"tag": "tag", "tags": "tags",
	} {
		m := e.mustCode(e.do("GET", "/image/v2/schemas/metadefs/"+path, "alice", nil), 200).JSON(t)
		if m["name"] != name || m["properties"] == nil {
			t.Errorf("%s: name %v", path, m["name"])
		}
	}
	e.mustCode(e.do("GET", "/image/v2/schemas/metadefs/nothing", "alice", nil), 404)
	e.mustCode(e.do("GET", "/image/v2/schemas/metadefs/tag", "", nil), 401)
}

// Image columns named in the query filter by equality, as in Glance
// (tempest test_list_images_param_size).
func TestListFilterByColumn(t *testing.T) {
	e := newEnv(t)
	a := e.create("alice", map[string]any{"name": "a", "disk_format": "raw", "container_format": "bare", "min_ram": 512})
	b := e.create("alice", map[string]any{"name": "b", "disk_format": "raw", "container_format": "bare"})
	e.mustCode(e.do("PUT", "/image/v2/images/"+a+"/file", "alice", []byte("0123456789")), 204)
	e.mustCode(e.do("PUT", "/image/v2/images/"+b+"/file", "alice", []byte("01234")), 204)
	sum := md5.Sum([]byte("01234"))
	for query, want := range map[string]string{
		"size=10":                                "a",
		"size=5":                                 "b",
		"size=6":                                 "",
		"size=abc":                               "",
		"virtual_size=5":                         "b",
		"min_ram=512":                            "a",
		"checksum=" + hex.EncodeToString(sum[:]): "b",
		"os_hash_algo=sha512&size=10":            "a",
		"min_disk=0&sort_key=name&sort_dir=asc":  "a,b",
		"size=10&tempest_prop=x":                 "",
	} {
		m := e.mustCode(e.do("GET", "/image/v2/images?"+query, "alice", nil), 200).JSON(t)
		var names []string
		for _, im := range m["images"].([]any) {
			names = append(names, im.(map[string]any)["name"].(string))
		}
		if got := strings.Join(names, ","); got != want {
			t.Errorf("?%s: %q, want %q", query, got, want)
		}
	}
}

// Time filters compare to the second, as the API shows times: an image's
// own created_at matches eq:, gte: and lte:, not gt:, lt: or neq:.
func TestTimeFiltersUseShownPrecision(t *testing.T) {
	e := newEnv(t)
	id := e.create("alice", map[string]any{"name": "timed"})
	m := e.mustCode(e.do("GET", "/image/v2/images/"+id, "alice", nil), 200).JSON(t)
	shown := m["created_at"].(string)
	at, err := time.Parse(time.RFC3339, shown)
	if err != nil {
		t.Fatal(err)
	}
	next := at.Add(time.Second).Format(time.RFC3339)
	half := at.Add(500 * time.Millisecond).Format(time.RFC3339Nano)
	for _, tc := range []struct {
		filter string
		want   bool
	}{
		{shown, true},
		{"eq:" + shown, true},
		{"gte:" + shown, true},
		{"lte:" + shown, true},
		{"gt:" + shown, false},
		{"lt:" + shown, false},
		{"neq:" + shown, false},
		{"lt:" + next, true},
		{"gte:" + next, false},
		{"eq:" + half, false},
		{"neq:" + half, true},
		{"lt:" + half, true},
		{"gt:" + half, false},
	} {
		for _, col := range []string{"created_at", "updated_at"} {
			l := e.mustCode(e.do("GET", "/image/v2/images?"+col+"="+url.QueryEscape(tc.filter), "alice", nil), 200).JSON(t)
			if got := len(l["images"].([]any)) == 1; got != tc.want {
				t.Errorf("%s=%s: listed %v, want %v", col, tc.filter, got, tc.want)
			}
		}
	}
}
