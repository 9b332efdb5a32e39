package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// unscopedToken is a token of user with no project scope.
func unscopedToken(t *testing.T, n *Node, user, password string) string {
	t.Helper()
	body := fmt.Sprintf(`{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":%q,"domain":{"id":"default"},"password":%q}}}}}`, user, password)
	resp, err := http.Post(n.URL+"/identity/v3/auth/tokens", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 201 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("unscoped token: %d %s", resp.StatusCode, b)
	}
	return resp.Header.Get("X-Subject-Token")
}

// hangingServer serves /hang by sending a little and then waiting until
// release is closed: a web-download that keeps its project's job slot.
func hangingServer(t *testing.T) (srv *httptest.Server, port string, release func()) {
	t.Helper()
	ch := make(chan struct{})
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1048576")
		w.Write(make([]byte, 4096))
		w.(http.Flusher).Flush()
		select {
		case <-ch:
		case <-r.Context().Done():
		}
	}))
	_, port, _ = net.SplitHostPort(srv.Listener.Addr().String())
	var once sync.Once
	release = func() { once.Do(func() { close(ch) }) }
	t.Cleanup(func() { release(); srv.Close() })
	return srv, port, release
}

// TestK5ErrorCodes sends every documented error of the seven K5 APIs once
// (both parameter sets of register image), over HTTP, and checks code,
// status and the exact message under the API's own key.
func TestK5ErrorCodes(t *testing.T) {
	srv, port, release := hangingServer(t)
	n := StartNode(t, "STRATUS_IMAGE_SIZE_CAP=4194304", "STRATUS_EXPORT_SIZE_CAP=1048576", "STRATUS_JOB_PROJECT_WORKERS=1",
		"STRATUS_WEB_DOWNLOAD_ALLOWED_PORTS="+port, "STRATUS_WEB_DOWNLOAD_ALLOWED_HOSTS=127.0.0.1")
	k := newK5(t, n, "admin", AdminPassword, "admin")
	n.MustOpenStack(t, "user", "create", "--project", "admin", "--password", "pr", "r1")
	n.MustOpenStack(t, "role", "add", "--project", "admin", "--user", "r1", "reader")
	n.MustOpenStack(t, "user", "create", "--password", "pn", "noproject")
	rd := &k5{n: n, tok: n.Token(t, "r1", "pr", "admin"), proj: k.proj}
	unscoped := &k5{n: n, tok: unscopedToken(t, n, "noproject", "pn")}
	anon := &k5{n: n}

	vmdk := k.putObject(t, "disks", "disk.vmdk", []byte("not really a disk"))
	k.putObject(t, "disks", "big.vmdk", make([]byte, 5<<20))
	big := "/v1/AUTH_" + k.proj + "/disks/big.vmdk"
	small := imgCreate(t, n, k.tok, map[string]any{"name": "small", "disk_format": "raw", "container_format": "bare"})
	if code, _ := imgPut(t, n, k.tok, small, bytes.NewReader(make([]byte, 512<<10))); code != 204 {
		t.Fatalf("upload: %d", code)
	}
	large := imgCreate(t, n, k.tok, map[string]any{"name": "large", "disk_format": "raw", "container_format": "bare"})
	if code, _ := imgPut(t, n, k.tok, large, bytes.NewReader(make([]byte, 2<<20))); code != 204 {
		t.Fatalf("upload: %d", code)
	}
	empty := imgCreate(t, n, k.tok, map[string]any{"name": "empty"})
	k.putObject(t, "out", "keep", []byte("x"))
	out := "/v1/AUTH_" + k.proj + "/out"
	pw := "c3RyYXR1cw==" // "stratus", not the admin's password

	newSet := func(kv ...any) map[string]any {
		m := map[string]any{"name": "n", "location": vmdk, "os_type": "Red Hat Enterprise Linux 7"}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
			} else {
				m[kv[i].(string)] = kv[i+1]
			}
		}
		return m
	}
	oldSet := func(kv ...any) map[string]any {
		m := newSet("id", "44294f46-d9fe-45bb-ba5f-0b93a69c4416", "conversion", true, "os_type", "ubuntu",
			"user_name", "admin", "password", pw, "domain_name", "Default")
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
			} else {
				m[kv[i].(string)] = kv[i+1]
			}
		}
		return m
	}
	type tc struct {
		who    *k5
		method string
		path   string
		body   any
		status int
		code   string
		msg    string
	}
	const imp, exp = "/import/v1/imageimport", "/import/v1/imageexport"
	cases := []tc{
		{anon, "POST", imp, newSet(), 401, "401", ""},
		{k, "POST", imp, newSet("name", nil), 400, "40001", "Required parameter 'name' is not specified."},
		{k, "POST", imp, newSet("location", nil), 400, "40002", "Required parameter 'location' is not specified."},
		{k, "POST", imp, oldSet("id", nil), 400, "40003", "Required parameter 'id' is not specified."},
		{k, "POST", imp, oldSet("conversion", nil), 400, "40004", "Required parameter 'conversion' is not specified."},
		{k, "POST", imp, newSet("os_type", nil), 400, "40005", "Required parameter 'os_type' is not specified."},
		{k, "POST", imp, newSet("os_type", "BeOS"), 400, "40006", "Parameter 'os_type' has invalid value."},
		{k, "POST", imp, oldSet("user_name", nil), 400, "40007", "Required parameter 'user_name' is not specified."},
		{k, "POST", imp, oldSet("password", nil), 400, "40008", "Required parameter 'password' is not specified."},
		{k, "POST", imp, oldSet("domain_name", nil), 400, "40009", "Required parameter 'domain_name' is not specified."},
		{k, "POST", imp, oldSet(), 400, "40010", "Parameter 'user_name' or 'password' or 'domain_name' has invalid value."},
		{unscoped, "POST", imp, newSet(), 400, "40011", "Project_id does not exist. No project can be retrieved from the authentication token."},
		{k, "POST", imp, "name=n", 400, "40014", "Request body is not a json format."},
		{k, "POST", imp, newSet("location", "/v1/AUTH_x/disks/disk.img"), 400, "40025", "Parameter 'location' has invalid value."},
		{k, "POST", imp, oldSet("conversion", false), 400, "40026", "Parameter 'conversion' has invalid value."},
		{k, "POST", imp, newSet("id", "not-a-uuid"), 400, "40027", "Parameter 'id' has invalid value."},
		{k, "POST", imp, newSet("id", small), 400, "40027", "Parameter 'id' has invalid value."},
		{k, "POST", imp, newSet("name", 7), 400, "40028", "Parameter 'name' has invalid value."},
		{k, "POST", imp, newSet("disk_format", "qcow2"), 400, "40029", "Parameter 'disk_format' has invalid value."},
		{k, "POST", imp, newSet("container_format", "ovf"), 400, "40030", "Parameter 'container_format' has invalid value."},
		{k, "POST", imp, newSet("checksum", "abc"), 400, "40031", "Parameter 'checksum' has invalid value."},
		{k, "POST", imp, newSet("min_ram", -1), 400, "40032", "Parameter 'min_ram' has invalid value."},
		{k, "POST", imp, newSet("min_disk", "ten"), 400, "40033", "Parameter 'min_disk' has invalid value."},
		{k, "POST", imp, newSet("os_type", "Windows Server 2012 R2 SE", "kms", map[string]any{"activate": false}), 400, "40034", "Parameter 'kms' has invalid value."},
		{k, "POST", imp, newSet("location", big), 400, "40037", "The size of the import image is too large."},
		{rd, "POST", imp, newSet(), 403, "40301", "You cannot execute this API."},
		{rd, "GET", imp, nil, 403, "40301", "You cannot execute this API."},
		{k, "GET", imp + "/00000000-0000-0000-0000-000000000000/status", nil, 404, "40401", "Invalid import_id."},

		{k, "POST", exp, map[string]any{"storage_container": out}, 400, "40001", "Required parameter 'image_id' is not specified."},
		{k, "POST", exp, map[string]any{"image_id": "x", "storage_container": out}, 400, "40002", "Parameter 'image_id' has invalid value."},
		{k, "POST", exp, map[string]any{"image_id": small}, 400, "40003", "Required parameter 'storage_container' is not specified."},
		{k, "POST", exp, map[string]any{"image_id": small, "storage_container": "out"}, 400, "40004", "Parameter 'storage_container' has invalid value."},
		{unscoped, "POST", exp, map[string]any{"image_id": small, "storage_container": out}, 400, "40005", "Project id does not exist."},
		{k, "POST", exp, "", 400, "40007", "Request body does not exist."},
		{k, "POST", exp, "{", 400, "40008", "Request body is not a json format."},
		{k, "POST", exp, map[string]any{"image_id": large, "storage_container": out}, 400, "40011", "The size of the export image is too large."},
		{k, "POST", exp, map[string]any{"image_id": "00000000-0000-0000-0000-000000000000", "storage_container": out}, 400, "40012", "Glance access error. Parameter has invalid value."},
		{k, "GET", exp + "?start=-1", nil, 400, "40013", "Query parameter 'start' has invalid value."},
		{k, "GET", exp + "?limit=all", nil, 400, "40014", "Query parameter 'limit' has invalid value."},
		{k, "POST", exp, map[string]any{"image_id": empty, "storage_container": out}, 400, "40017", "The uploaded file by image id does not exist in the object storage."},
		{rd, "POST", exp, map[string]any{"image_id": small, "storage_container": out}, 403, "40301", "You cannot execute this API."},
		{k, "GET", exp + "/00000000-0000-0000-0000-000000000000/status", nil, 404, "40401", "Invalid export_id."},
		{k, "POST", exp + "/00000000-0000-0000-0000-000000000000/cancel", nil, 404, "40401", "Invalid export_id."},
	}
	check := func(c tc) {
		t.Helper()
		code, _, b := n.Do(t, c.method, c.path, c.who.tok, c.body)
		key := "message"
		if strings.HasPrefix(c.path, exp) {
			key = "error_message"
		}
		want := fmt.Sprintf(`{"error_code":%q,%q:%q}`, c.code, key, c.msg)
		if c.msg == "" {
			want = fmt.Sprintf(`"error_code":%q`, c.code)
		}
		if code != c.status || !strings.Contains(string(b), want) {
			t.Errorf("%s %s %v: %d %s, want %d %s", c.method, c.path, c.body, code, b, c.status, want)
		}
	}
	for _, c := range cases {
		check(c)
	}

	// 40016: a finished export's object exists.
	_, ex := k.call(t, "POST", exp, map[string]any{"image_id": small, "storage_container": out})
	first := ex["export_id"].(string)
	k.waitStatus(t, exp+"/"+first+"/status", "export_status")
	check(tc{k, "POST", exp, map[string]any{"image_id": small, "storage_container": out}, 400, "40016", "The exported file already exists."})
	check(tc{k, "POST", exp + "/" + first + "/cancel", nil, 404, "40402", "Export_id was already finished."})

	// The project's one job slot is taken by a web-download that hangs:
	// exports and imports now stay queued.
	hold := imgCreate(t, n, k.tok, map[string]any{"name": "hold", "disk_format": "raw", "container_format": "bare"})
	if code, _, b := n.Do(t, "POST", "/image/v2/images/"+hold+"/import", k.tok,
		map[string]any{"method": map[string]any{"name": "web-download", "uri": srv.URL + "/hang"}}); code != 202 {
		t.Fatalf("web-download: %d %s", code, b)
	}
	waitImage(t, n, k.tok, hold, "queued")
	k.putObject(t, "out2", "keep", []byte("x"))
	_, ex = k.call(t, "POST", exp, map[string]any{"image_id": small, "storage_container": out + "2"})
	queued := ex["export_id"].(string)
	check(tc{k, "POST", exp, map[string]any{"image_id": small, "storage_container": out + "2"}, 400, "40015", "The same request already exists."})
	if code, _, b := n.Do(t, "POST", exp+"/"+queued+"/cancel", k.tok, nil); code != 200 || len(b) != 0 {
		t.Fatalf("cancel: %d %s", code, b)
	}
	if _, st := k.call(t, "GET", exp+"/"+queued+"/status", nil); st["export_status"] != "canceled" {
		t.Fatalf("cancelled export: %v", st)
	}

	// 100 imports may be queued or running at once; the 101st is 503/50301.
	for i := 0; i < 100; i++ {
		if code, resp := k.call(t, "POST", imp, newSet()); code != 201 {
			t.Fatalf("import %d: %d %v", i, code, resp)
		}
	}
	check(tc{k, "POST", imp, newSet(), 503, "50301", "Too many requests."})
	_, list := k.call(t, "GET", imp, nil)
	if l := list["imports"].([]any); len(l) != 100 || l[0].(map[string]any)["import_status"] != "queued" {
		t.Fatalf("import list: %d entries, first %v", len(l), l[0])
	}
	_, list = k.call(t, "GET", imp+"?limit=500", nil)
	if len(list["imports"].([]any)) != 100 {
		t.Fatal("more than 100 imports listed")
	}
	release()
}
