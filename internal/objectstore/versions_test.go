package objectstore

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// versionsOf lists a container with ?versions as (name, version_id,
// is_latest, content_type) lines.
func (e *testEnv) versionsOf(path, token, query string) []string {
	e.t.Helper()
	_, body := e.must(200, "GET", path+"?versions"+query, token, "")
	var items []map[string]any
	if err := json.Unmarshal([]byte(body), &items); err != nil {
		e.t.Fatalf("versions listing %q: %v", body, err)
	}
	var out []string
	for _, it := range items {
		if d, ok := it["subdir"]; ok {
			out = append(out, "subdir "+d.(string))
			continue
		}
		out = append(out, strings.Join([]string{it["name"].(string), it["version_id"].(string), fmtBool(it["is_latest"]), it["content_type"].(string)}, " "))
	}
	return out
}

func fmtBool(v any) string {
	if v == true {
		return "latest"
	}
	return "old"
}

func (e *testEnv) versionOf(method, path, token, body string, hdr ...string) string {
	e.t.Helper()
	resp, _ := e.do(method, path, token, body, hdr...)
	if resp.StatusCode >= 300 && resp.StatusCode != 404 {
		e.t.Fatalf("%s %s: %d", method, path, resp.StatusCode)
	}
	return resp.Header.Get("X-Object-Version-Id")
}

func TestObjectVersioning(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		a := acctA
		// An object written before versioning becomes the "null" version's
		// history once overwritten.
		e.must(201, "PUT", a+"/v", "tok-a", "", "X-Container-Read: pb:ub,.rlistings", "X-Container-Write: pb:ub")
		e.must(201, "PUT", a+"/v/o", "tok-a", "zero", "Content-Type: text/zero")
		e.must(204, "POST", a+"/v", "tok-a", "", "X-Versions-Enabled: true")
		resp, _ := e.must(204, "HEAD", a+"/v", "tok-b", "")
		if resp.Header.Get("X-Versions-Enabled") != "True" {
			t.Fatalf("X-Versions-Enabled %q", resp.Header.Get("X-Versions-Enabled"))
		}
		e.run([]step{{name: "the unversioned object", method: "HEAD", path: a + "/v/o", token: "tok-a", status: 200,
			headers: map[string]string{"X-Object-Version-Id": "null", "Content-Location": ""}}})
		v1 := e.versionOf("PUT", a+"/v/o", "tok-a", "one", "Content-Type: text/one", "X-Object-Meta-N: 1")
		v2 := e.versionOf("PUT", a+"/v/o", "tok-a", "twotwo", "Content-Type: text/two")
		if v1 == "" || v2 == "" || v2 <= v1 {
			t.Fatalf("version ids %q %q", v1, v2)
		}
		vs := e.versionsOf(a+"/v", "tok-a", "")
		if len(vs) != 3 || vs[0] != "o "+v2+" latest text/two" || vs[1] != "o "+v1+" old text/one" || !strings.HasSuffix(vs[2], " old text/zero") {
			t.Fatalf("versions %v", vs)
		}
		v0 := strings.Fields(vs[2])[1]
		e.run([]step{
			{name: "current", method: "GET", path: a + "/v/o", token: "tok-a", status: 200, want: "twotwo",
				headers: map[string]string{"X-Object-Version-Id": v2, "Content-Location": "/v1/AUTH_pa/v/o?version-id=" + v2, "Content-Type": "text/two"}},
			{name: "a version", method: "GET", path: a + "/v/o?version-id=" + v1, token: "tok-a", status: 200, want: "one",
				headers: map[string]string{"X-Object-Version-Id": v1, "X-Object-Meta-N": "1", "Content-Type": "text/one"}},
			{name: "the old null version", method: "GET", path: a + "/v/o?version-id=" + v0, token: "tok-a", status: 200, want: "zero"},
			{name: "version-id=null is not the current version", method: "GET", path: a + "/v/o?version-id=null", token: "tok-a", status: 404},
			{name: "the link", method: "HEAD", path: a + "/v/o?symlink=get", token: "tok-a", status: 200,
				headers: map[string]string{"X-Symlink-Target": "v/o?version-id=" + v2, "X-Object-Version-Id": v2, "X-Symlink-Target-Bytes": "6"}},
			{name: "no such version", method: "GET", path: a + "/v/o?version-id=1.5", token: "tok-a", status: 404},
			{name: "bad version", method: "GET", path: a + "/v/o?version-id=abc", token: "tok-a", status: 400, want: msgInvalidVersion},
			{name: "POST a version", method: "POST", path: a + "/v/o?version-id=" + v1, token: "tok-a", status: 400,
				want: "POST to a specific version is not allowed"},
			// ACL users read the current object; versions need the account.
			{name: "ACL reader, current", method: "GET", path: a + "/v/o", token: "tok-b", status: 200, want: "twotwo"},
			{name: "ACL reader, a version", method: "GET", path: a + "/v/o?version-id=" + v1, token: "tok-b", status: 403},
			{name: "anonymous, a version", method: "GET", path: a + "/v/o?version-id=" + v1, status: 401},
			{name: "ACL writer deletes a version", method: "DELETE", path: a + "/v/o?version-id=" + v1, token: "tok-b", status: 403},
			{name: "project reader deletes a version", method: "DELETE", path: a + "/v/o?version-id=" + v1, token: "tok-reader", status: 403},
			// POST changes the current version's metadata.
			{name: "POST", method: "POST", path: a + "/v/o", token: "tok-a", hdr: []string{"X-Object-Meta-Color: blue"}, status: 202},
			{name: "... seen on the current", method: "HEAD", path: a + "/v/o", token: "tok-a", status: 200, headers: map[string]string{"X-Object-Meta-Color": "blue"}},
			{name: "... and on its version", method: "HEAD", path: a + "/v/o?version-id=" + v2, token: "tok-a", status: 200, headers: map[string]string{"X-Object-Meta-Color": "blue"}},
		})
		// The listing shows the link with its version's size and ETag.
		_, body := e.must(200, "GET", a+"/v?format=json", "tok-a", "")
		var items []map[string]any
		json.Unmarshal([]byte(body), &items)
		if len(items) != 1 || items[0]["bytes"] != 6.0 || items[0]["hash"] != md5hex("twotwo") || items[0]["version_symlink"] != true ||
			items[0]["symlink_path"] != "/v1/AUTH_pa/v/o?version-id="+v2 {
			t.Fatalf("listing %s", body)
		}
		// Bytes: the container's include its versions', the account listing's too.
		resp, _ = e.must(204, "HEAD", a+"/v", "tok-a", "")
		if resp.Header.Get("X-Container-Bytes-Used") != "13" || resp.Header.Get("X-Container-Object-Count") != "1" {
			t.Fatalf("container usage %s bytes, %s objects", resp.Header.Get("X-Container-Bytes-Used"), resp.Header.Get("X-Container-Object-Count"))
		}
		_, body = e.must(200, "GET", a+"?format=json", "tok-a", "")
		if !strings.Contains(body, `"name":"v","count":1,"bytes":13`) || strings.Contains(body, "versions/") {
			t.Fatalf("account listing %s", body)
		}

		// DELETE writes a delete marker.
		resp, _ = e.must(204, "DELETE", a+"/v/o", "tok-a", "")
		marker := resp.Header.Get("X-Object-Version-Id")
		e.run([]step{
			{name: "deleted", method: "GET", path: a + "/v/o", token: "tok-a", status: 404},
			{name: "the marker", method: "HEAD", path: a + "/v/o?version-id=" + marker, token: "tok-a", status: 404,
				headers: map[string]string{"X-Object-Version-Id": marker, "Content-Type": deleteMarkerType}},
			{name: "older versions stay", method: "GET", path: a + "/v/o?version-id=" + v2, token: "tok-a", status: 200, want: "twotwo"},
			{name: "nothing there: a marker all the same", method: "DELETE", path: a + "/v/none", token: "tok-a", status: 404},
		})
		vs = e.versionsOf(a+"/v", "tok-a", "")
		if len(vs) != 5 || vs[0] != "none "+vs[0][5:] || !strings.HasSuffix(vs[0], "latest "+deleteMarkerType) ||
			vs[1] != "o "+marker+" latest "+deleteMarkerType || vs[2] != "o "+v2+" old text/two" {
			t.Fatalf("versions after delete %v", vs)
		}

		// Restore: PUT ?version-id makes a version current again.
		e.run([]step{
			{name: "restore with a body", method: "PUT", path: a + "/v/o?version-id=" + v1, token: "tok-a", body: "x", status: 400,
				want: "PUT version-id requests require a zero byte body"},
			{name: "restore null", method: "PUT", path: a + "/v/o?version-id=null", token: "tok-a", status: 400, want: msgInvalidVersion},
			{name: "restore a missing version", method: "PUT", path: a + "/v/o?version-id=1.5", token: "tok-a", status: 404,
				want: "The specified version does not exist"},
			{name: "restore by an ACL writer", method: "PUT", path: a + "/v/o?version-id=" + v1, token: "tok-b", status: 201,
				headers: map[string]string{"X-Object-Version-Id": v1, "Etag": md5hex("one")}},
			{name: "restored", method: "GET", path: a + "/v/o", token: "tok-a", status: 200, want: "one", headers: map[string]string{"X-Object-Version-Id": v1}},
			// Restore through a copy: a new version with an old one's bytes.
			{name: "copy a version", method: "COPY", path: a + "/v/o?version-id=" + v2, token: "tok-a", hdr: []string{"Destination: v/o"}, status: 201},
			{name: "copied", method: "GET", path: a + "/v/o", token: "tok-a", status: 200, want: "twotwo"},
			{name: "X-Copy-From a version", method: "PUT", path: a + "/v/o2?version-id=" + v0, token: "tok-a", hdr: []string{"X-Copy-From: v/o"}, status: 201},
			{name: "copied from the old null version", method: "GET", path: a + "/v/o2", token: "tok-a", status: 200, want: "zero"},
		})
		current := e.versionOf("HEAD", a+"/v/o", "tok-a", "")

		// DELETE ?version-id of an old version leaves the current alone; of
		// the current one, takes the link too (nothing becomes current).
		e.run([]step{
			{name: "delete an old version", method: "DELETE", path: a + "/v/o?version-id=" + v0, token: "tok-a", status: 204,
				headers: map[string]string{"X-Object-Version-Id": v0, "X-Object-Current-Version-Id": current}},
			{name: "again", method: "DELETE", path: a + "/v/o?version-id=" + v0, token: "tok-a", status: 404},
			{name: "delete the current version", method: "DELETE", path: a + "/v/o?version-id=" + current, token: "tok-a", status: 204,
				headers: map[string]string{"X-Object-Current-Version-Id": "null"}},
			{name: "no current object", method: "GET", path: a + "/v/o", token: "tok-a", status: 404},
			{name: "v2 stays", method: "GET", path: a + "/v/o?version-id=" + v2, token: "tok-a", status: 200, want: "twotwo"},
		})

		// A versioned container goes only when every version has gone.
		e.must(409, "DELETE", a+"/v", "tok-a", "")
		_, msg := e.must(409, "DELETE", a+"/v", "tok-a", "")
		if msg != "Delete all versions before deleting container." {
			t.Fatalf("delete message %q", msg)
		}
		e.must(204, "POST", a+"/v", "tok-a", "", "X-Versions-Enabled: false")
		e.must(204, "DELETE", a+"/v/o2?version-id=null", "tok-a", "")
		for _, line := range e.versionsOf(a+"/v", "tok-a", "") {
			f := strings.Fields(line)
			e.must(204, "DELETE", a+"/v/"+f[0]+"?version-id="+f[1], "tok-a", "")
		}
		e.must(204, "DELETE", a+"/v", "tok-a", "")
		resp, _ = e.must(204, "HEAD", a, "tok-a", "")
		if resp.Header.Get("X-Account-Container-Count") != "0" || resp.Header.Get("X-Account-Bytes-Used") != "0" {
			t.Fatalf("account after deleting the versioned container: %v", resp.Header)
		}
	})
}

func TestObjectVersioningModes(t *testing.T) {
	e := newEnv(t)
	a := acctA
	e.must(201, "PUT", a+"/arch", "tok-a", "")
	e.must(201, "PUT", a+"/legacy", "tok-a", "", "X-Versions-Location: arch")
	e.run([]step{
		{name: "enable on a legacy container", method: "POST", path: a + "/legacy", token: "tok-a", hdr: []string{"X-Versions-Enabled: true"},
			status: 400, want: msgLegacyVersioned},
		{name: "disable on a legacy container", method: "POST", path: a + "/legacy", token: "tok-a", hdr: []string{"X-Versions-Enabled: false"},
			status: 400, want: msgLegacyVersioned},
		{name: "both at once", method: "PUT", path: a + "/both", token: "tok-a", hdr: []string{"X-Versions-Enabled: true", "X-History-Location: arch"},
			status: 400, want: msgLegacyVersioned},
		{name: "new mode", method: "PUT", path: a + "/new", token: "tok-a", hdr: []string{"X-Versions-Enabled: true"}, status: 201},
		{name: "legacy on a new-mode container", method: "POST", path: a + "/new", token: "tok-a", hdr: []string{"X-Versions-Location: arch"}, status: 400},
		{name: "version-aware request on an unversioned container", method: "GET", path: a + "/arch/x?version-id=1.0", token: "tok-a", status: 400,
			want: msgNotVersioned},
	})
	// An owner's GET learns whether the container has versions from a cache
	// this node forgets when it changes the container.
	e.must(201, "PUT", a+"/later", "tok-a", "")
	e.must(201, "PUT", a+"/later/o", "tok-a", "x")
	e.run([]step{{name: "not versioned yet", method: "HEAD", path: a + "/later/o", token: "tok-a", status: 200,
		headers: map[string]string{"X-Object-Version-Id": ""}}})
	e.must(204, "POST", a+"/later", "tok-a", "", "X-Versions-Enabled: true")
	e.run([]step{{name: "versioned now", method: "HEAD", path: a + "/later/o", token: "tok-a", status: 200,
		headers: map[string]string{"X-Object-Version-Id": "null"}}})
	// version-id=null on a legacy container is a plain DELETE: legacy restores.
	e.must(201, "PUT", a+"/legacy/o", "tok-a", "1")
	e.must(201, "PUT", a+"/legacy/o", "tok-a", "2")
	e.must(204, "DELETE", a+"/legacy/o?version-id=null", "tok-a", "")
	e.run([]step{{name: "legacy restored", method: "GET", path: a + "/legacy/o", token: "tok-a", status: 200, want: "1",
		headers: map[string]string{"X-Object-Version-Id": ""}}})
	if vs := e.versionsOf(a+"/legacy", "tok-a", ""); !slices.Equal(vs, []string{"o null latest application/octet-stream"}) {
		t.Fatalf("legacy ?versions %v", vs)
	}

	// Disabled: writes overwrite, the history stays readable.
	v1 := e.versionOf("PUT", a+"/new/o", "tok-a", "1")
	e.must(204, "POST", a+"/new", "tok-a", "", "X-Versions-Enabled: false")
	if v := e.versionOf("PUT", a+"/new/o", "tok-a", "2"); v != "" {
		t.Fatalf("a PUT with versioning off made version %q", v)
	}
	e.run([]step{
		{name: "unversioned current", method: "GET", path: a + "/new/o", token: "tok-a", status: 200, want: "2",
			headers: map[string]string{"X-Object-Version-Id": "null"}},
		{name: "old version", method: "GET", path: a + "/new/o?version-id=" + v1, token: "tok-a", status: 200, want: "1"},
		{name: "DELETE with versioning off: no marker", method: "DELETE", path: a + "/new/o", token: "tok-a", status: 204,
			headers: map[string]string{"X-Object-Version-Id": ""}},
	})
	if vs := e.versionsOf(a+"/new", "tok-a", ""); len(vs) != 1 || vs[0] != "o "+v1+" old application/octet-stream" {
		t.Fatalf("versions %v", vs)
	}
}

func TestVersionsListingPaging(t *testing.T) {
	e := newEnv(t)
	a := acctA
	e.must(201, "PUT", a+"/v", "tok-a", "", "X-Versions-Enabled: true")
	ids := map[string][]string{}
	for _, name := range []string{"a", "b/1", "b/2", "c"} {
		for i := range 2 {
			ids[name] = append(ids[name], e.versionOf("PUT", a+"/v/"+name, "tok-a", name+string(rune('0'+i))))
		}
	}
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"&limit=3", []string{"a " + ids["a"][1] + " latest", "a " + ids["a"][0] + " old", "b/1 " + ids["b/1"][1] + " latest"}},
		{"&marker=a", []string{"b/1 " + ids["b/1"][1] + " latest", "b/1 " + ids["b/1"][0] + " old", "b/2 " + ids["b/2"][1] + " latest",
			"b/2 " + ids["b/2"][0] + " old", "c " + ids["c"][1] + " latest", "c " + ids["c"][0] + " old"}},
		// Within a name's versions, then the names after it (the name's link
		// is before the marker, so none of its versions is marked latest: Swift's paging).
		{"&marker=a&version_marker=" + ids["a"][1] + "&limit=2", []string{"a " + ids["a"][0] + " old", "b/1 " + ids["b/1"][1] + " latest"}},
		{"&marker=a&version_marker=null&prefix=a", []string{"a " + ids["a"][1] + " old", "a " + ids["a"][0] + " old"}},
		{"&delimiter=/", []string{"a " + ids["a"][1] + " latest", "a " + ids["a"][0] + " old", "subdir b/", "c " + ids["c"][1] + " latest", "c " + ids["c"][0] + " old"}},
		// Reversed, a name's versions come oldest first (Swift reverses the versions listing too).
		{"&prefix=b/&reverse=true&limit=2", []string{"b/2 " + ids["b/2"][0] + " old", "b/2 " + ids["b/2"][1] + " latest"}},
	} {
		got := e.versionsOf(a+"/v", "tok-a", c.query)
		for i := range got {
			got[i] = strings.TrimSuffix(got[i], " application/octet-stream")
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("?versions%s:\n got %v\nwant %v", c.query, got, c.want)
		}
	}
	for _, c := range []struct{ query, msg string }{
		{"&version_marker=1.0", "version_marker param requires marker"},
		{"&marker=a&version_marker=x", "invalid version_marker param"},
		{"&delimiter=1", "invalid delimiter param"},
	} {
		if _, body := e.must(400, "GET", a+"/v?versions"+c.query, "tok-a", ""); body != c.msg {
			t.Errorf("?versions%s: %q, want %q", c.query, body, c.msg)
		}
	}
	e.must(406, "GET", a+"/v?versions", "tok-a", "", "Accept: text/plain")
}

// Versioned writes through temp URLs and the Go API.
func TestObjectVersioningTempURLAndAPI(t *testing.T) {
	e := newEnv(t)
	a := acctA
	e.must(201, "PUT", a+"/v", "tok-a", "", "X-Versions-Enabled: true", "X-Container-Meta-Temp-URL-Key: ckey")
	v1 := e.versionOf("PUT", a+"/v/o", "tok-a", "one")
	resp, _ := e.must(201, "PUT", tempURL("ckey", "PUT", "/v/o"), "", "two")
	if resp.Header.Get("X-Object-Version-Id") == "" {
		t.Fatal("temp URL PUT made no version")
	}
	// A container key reads the current version through the link (the
	// versions container is reached pre-authorised); version-id is ignored.
	e.run([]step{
		{name: "temp URL GET", method: "GET", path: tempURL("ckey", "GET", "/v/o"), status: 200, want: "two"},
		{name: "temp URL GET with version-id", method: "GET", path: tempURL("ckey", "GET", "/v/o") + "&version-id=" + v1, status: 200, want: "two"},
		{name: "temp URL DELETE with version-id", method: "DELETE", path: tempURL("ckey", "DELETE", "/v/o") + "&version-id=" + v1, status: 204},
		{name: "... deleted the current (a marker)", method: "GET", path: a + "/v/o", token: "tok-a", status: 404},
		{name: "... not the version", method: "GET", path: a + "/v/o?version-id=" + v1, token: "tok-a", status: 200, want: "one"},
	})
	ctx := context.Background()
	if _, err := e.svc.PutObject(ctx, testAuth["tok-a"], "AUTH_pa", "v", "api", strings.NewReader("x"), PutOptions{Size: 1}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DeleteObject(ctx, testAuth["tok-a"], "AUTH_pa", "v", "api"); err != nil {
		t.Fatal(err)
	}
	if vs := e.versionsOf(a+"/v", "tok-a", "&prefix=api"); len(vs) != 2 || !strings.Contains(vs[0], deleteMarkerType) {
		t.Fatalf("Go API versions %v", vs)
	}
	// An expired link hides the name; its version stays.
	v := e.versionOf("PUT", a+"/v/exp", "tok-a", "soon", "X-Delete-After: 100")
	rc, _ := newReqCtx(testAuth["tok-a"], "AUTH_pa", "v", "exp")
	expire := func(o *Object, expiry bool) {
		if expiry {
			o.DeleteAt = time.Now().Unix() - 1
		}
	}
	if _, err := e.svc.commitUpdate(ctx, rc, expire); err != nil {
		t.Fatal(err)
	}
	e.run([]step{
		{name: "expired link", method: "GET", path: a + "/v/exp", token: "tok-a", status: 404},
		{name: "its version", method: "GET", path: a + "/v/exp?version-id=" + url.QueryEscape(v), token: "tok-a", status: 200, want: "soon"},
	})
}

func TestVersionKeys(t *testing.T) {
	names := []string{"", "a", "a\x01", "a\x01b", "a\x02", "a/b", "ab", "b", "é"}
	var keys []string
	for _, n := range names {
		for _, us := range []int64{1_700_000_000_000_010, 1_600_000_000_000_000} {
			k := versionKey(n, us)
			got, gus, ok := parseVersionKey(k)
			if !ok || got != n || gus != us {
				t.Fatalf("versionKey(%q, %d) = %q parses as %q %d %v", n, us, k, got, gus, ok)
			}
			keys = append(keys, k)
		}
	}
	// Keys sort by name, then newest first: a name's versions stay together.
	if !slices.IsSorted(keys) {
		t.Fatalf("version keys out of order: %q", keys)
	}
	for _, c := range []struct {
		in  string
		us  int64
		bad bool
	}{{"1600000000.12345", 1600000000123450, false}, {"1600000000", 1600000000000000, false}, {"1600000000.1", 1600000000100000, false},
		{"1600000000.123456", 1600000000123460, false}, {"-1", 0, true}, {"1e5", 0, true}, {"99999999999", 0, true}, {"9999999999.999999", 0, true}, {"9999993999999.99999", 0, true}, {"9999999999.99999", 9999999999999990, false}, {"null", 0, true}} {
		us, err := parseVersionID(c.in)
		if (err != nil) != c.bad || !c.bad && us != c.us {
			t.Errorf("parseVersionID(%q) = %d, %v", c.in, us, err)
		}
	}
}

// FuzzVersionParams: a version id from a client either is refused or
// names the timestamp it prints back as; a version key of any name parses
// back to that name and timestamp.
func FuzzVersionParams(f *testing.F) {
	f.Add("1600000000.12345", "obj")
	f.Add("9999999999.99999", "a\x01\x01b")
	f.Add(".5", "\x01")
	f.Fuzz(func(t *testing.T, id, name string) {
		us, err := parseVersionID(id)
		if err != nil {
			return
		}
		if back, err := parseVersionID(versionID(us)); err != nil || back != us {
			t.Fatalf("version id %q -> %d -> %q -> %d, %v", id, us, versionID(us), back, err)
		}
		k := versionKey(name, us)
		if n, u, ok := parseVersionKey(k); !ok || n != name || u != us {
			t.Fatalf("key of (%q, %d) parses as (%q, %d, %v)", name, us, n, u, ok)
		}
	})
}

// The versions container is out of every request's reach, also through an
// escaped slash in the path.
func TestVersionsContainerUnreachable(t *testing.T) {
	e := newEnv(t)
	e.must(201, "PUT", acctA+"/v", "tok-a", "", "X-Versions-Enabled: true")
	e.must(201, "PUT", acctA+"/v/o", "tok-a", "one")
	for _, p := range []string{"/%01versions%2Fv", "/%01versions%2fv?format=json", "/%01versions%2Fv/o", "/a%2Fb"} {
		for _, m := range []string{"GET", "PUT", "POST", "DELETE"} {
			if resp, body := e.do(m, acctA+p, "tok-a", ""); resp.StatusCode != 412 {
				t.Errorf("%s %s: %d %s", m, p, resp.StatusCode, body)
			}
		}
	}
	if _, body := e.must(200, "GET", acctA+"?format=json&prefix=%01", "tok-a", ""); body != "[]" {
		t.Errorf("account listing shows %s", body)
	}
}
