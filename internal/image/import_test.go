package image

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/blob/blobtest"
	"github.com/stratus-iaas/stratus/internal/catalog"
	"github.com/stratus-iaas/stratus/internal/diskimage/convert"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/job"
	"github.com/stratus-iaas/stratus/internal/store/storetest"
)

// newImportEnv is newEnv with a running job engine, so imports run.
func newImportEnv(t *testing.T, convertTo string, web WebDownload) *env {
	t.Helper()
	blobs := blobtest.OpenGroup(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db := storetest.Open(t)
	eng := job.New(job.Options{DB: db, Node: "n1", Log: log, Poll: 10 * time.Millisecond, ProgressEvery: 10 * time.Millisecond})
	svc, err := New(context.Background(), Options{DB: db, Blobs: blobs, Log: log, SizeCap: 64 << 20,
		Jobs: eng, ImportConvert: convertTo, WebDownload: web})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	mux := httpapi.NewMux(testPrincipals, log)
	mux.Mount(httpapi.Group{Name: "image", Prefix: catalog.ImagePrefix, Dialect: httpapi.Glance, Routes: svc.Routes()})
	return &env{t: t, svc: svc, h: mux}
}

// waitStatus polls the image until its status is not one of busy.
func (e *env) waitStatus(id string, busy ...string) map[string]any {
	e.t.Helper()
	for i := 0; i < 3000; i++ {
		im := e.mustCode(e.do("GET", "/image/v2/images/"+id, "alice", nil), 200).JSON(e.t)
		still := false
		for _, b := range busy {
			still = still || im["status"] == b
		}
		if !still {
			return im
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.t.Fatalf("image %s stays busy", id)
	return nil
}

func diskBytes(size int) []byte {
	b := make([]byte, size)
	for i := 0; i < size; i += 4096 {
		if i/4096%3 != 1 {
			copy(b[i:], strings.Repeat(strconv.Itoa(i), 64))
		}
	}
	return b
}

func qcow2Of(t *testing.T, raw []byte) []byte {
	t.Helper()
	f, _ := os.CreateTemp(t.TempDir(), "q")
	defer f.Close()
	if _, err := convert.Convert(context.Background(), convert.Source{ReaderAt: bytes.NewReader(raw), Size: int64(len(raw))}, f,
		convert.Options{SrcFormat: "raw", DstFormat: "qcow2"}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(f.Name())
	return b
}

func TestGlanceDirect(t *testing.T) {
	for _, convertTo := range []string{"", "raw"} {
		t.Run("convert="+convertTo, func(t *testing.T) {
			e := newImportEnv(t, convertTo, WebDownload{})
			info := e.mustCode(e.do("GET", "/image/v2/info/import", "alice", nil), 200).JSON(t)
			if v := info["import-methods"].(map[string]any)["value"].([]any); len(v) != 2 || v[0] != "glance-direct" {
				t.Fatalf("info %v", info)
			}
			r := e.mustCode(e.do("POST", "/image/v2/images", "alice", map[string]any{"name": "d", "disk_format": "qcow2", "container_format": "bare"}), 201)
			if r.Header.Get(ImportMethodsHeader) != "glance-direct,web-download" {
				t.Fatalf("import methods header %q", r.Header.Get(ImportMethodsHeader))
			}
			id := r.JSON(t)["id"].(string)
			e.mustCode(e.do("POST", "/image/v2/images/"+id+"/import", "alice", map[string]any{"method": map[string]any{"name": "glance-direct"}}), 409)
			raw := diskBytes(1<<20 + 8192)
			q := qcow2Of(t, raw)
			e.mustCode(e.do("PUT", "/image/v2/images/"+id+"/stage", "alice", q), 204)
			if st := e.do("GET", "/image/v2/images/"+id, "alice", nil).JSON(t)["status"]; st != "uploading" {
				t.Fatalf("after stage: %v", st)
			}
			e.mustCode(e.do("PUT", "/image/v2/images/"+id+"/stage", "alice", q), 409)
			e.mustCode(e.do("POST", "/image/v2/images/"+id+"/import", "bob", map[string]any{"method": map[string]any{"name": "glance-direct"}}), 404)
			accepted := e.mustCode(e.do("POST", "/image/v2/images/"+id+"/import", "alice", map[string]any{"method": map[string]any{"name": "glance-direct"}}), 202)
			im := e.waitStatus(id, "importing", "uploading")
			want, format := q, "qcow2"
			if convertTo == "raw" {
				want, format = raw, "raw"
			}
			if im["status"] != "active" || im["disk_format"] != format || int(im["size"].(float64)) != len(want) {
				t.Fatalf("image %v", im)
			}
			got := e.mustCode(e.do("GET", "/image/v2/images/"+id+"/file", "alice", nil), 200).Body
			if !bytes.Equal(got, want) {
				t.Fatal("image data differs")
			}
			tasks := e.mustCode(e.do("GET", "/image/v2/images/"+id+"/tasks", "alice", nil), 200).JSON(t)["tasks"].([]any)
			task := tasks[0].(map[string]any)
			if len(tasks) != 1 || task["status"] != "success" || task["type"] != "api_image_import" || task["image_id"] != id ||
				task["progress"].(float64) != 100 || im["os_glance_import_task"] != task["id"] ||
				task["request_id"] != accepted.Header.Get("X-Openstack-Request-Id") ||
				task["input"].(map[string]any)["import_req"].(map[string]any)["method"].(map[string]any)["name"] != "glance-direct" {
				t.Fatalf("tasks %v (image task %v)", tasks, im["os_glance_import_task"])
			}
			e.mustCode(e.do("GET", "/image/v2/tasks/"+task["id"].(string), "alice", nil), 200)
			e.mustCode(e.do("GET", "/image/v2/tasks/"+task["id"].(string), "bob", nil), 404)
			if l := e.do("GET", "/image/v2/tasks", "alice", nil).JSON(t)["tasks"].([]any); len(l) != 1 {
				t.Fatalf("task list %v", l)
			}
			if l := e.do("GET", "/image/v2/tasks", "bob", nil).JSON(t)["tasks"].([]any); len(l) != 0 {
				t.Fatalf("bob sees %v", l)
			}
		})
	}
}

func TestImportErrors(t *testing.T) {
	e := newImportEnv(t, "", WebDownload{})
	id := e.create("alice", map[string]any{"name": "x", "disk_format": "qcow2", "container_format": "bare"})
	noFormat := e.create("alice", map[string]any{"name": "y"})
	imp := func(id string, body any, code int, msg string) {
		t.Helper()
		r := e.do("POST", "/image/v2/images/"+id+"/import", "alice", body)
		if r.Code != code || !strings.Contains(string(r.Body), msg) {
			t.Errorf("%v: %d %s, want %d %q", body, r.Code, r.Body, code, msg)
		}
	}
	imp(id, map[string]any{}, 400, "Import request requires a 'method' field.")
	imp(id, map[string]any{"method": map[string]any{}}, 400, "Import request requires a 'name' field.")
	imp(id, map[string]any{"method": map[string]any{"name": "copy-image"}}, 400, "Unknown import method name 'copy-image'.")
	imp(id, map[string]any{"method": map[string]any{"name": "glance-direct"}, "all_stores": "yes"}, 400, "'all_stores' must be boolean value only")
	for _, uri := range []string{"ftp://example.com/x", "http://127.0.0.1/x", "http://169.254.169.254/latest", "http://[::1]/x",
		"http://10.0.0.1/x", "http://example.com:8080/x", "file:///etc/passwd"} {
		imp(id, map[string]any{"method": map[string]any{"name": "web-download", "uri": uri}}, 400, "URI for web-download does not pass filtering")
	}
	imp(noFormat, map[string]any{"method": map[string]any{"name": "web-download", "uri": "http://example.com/x"}}, 409, "'container_format' needs to be set before import")
	imp(id, map[string]any{"method": map[string]any{"name": "glance-direct"}}, 409, "Image needs to be staged before 'glance-direct' method can be used")
	e.mustCode(e.do("PUT", "/image/v2/images/"+id+"/file", "alice", qcow2Of(t, diskBytes(65536))), 204)
	imp(id, map[string]any{"method": map[string]any{"name": "web-download", "uri": "http://example.com/x"}}, 409, "Image with status active cannot be target for import")
	if r := e.do("POST", "/image/v2/images/"+id+"/import", "reader", map[string]any{"method": map[string]any{"name": "glance-direct"}}); r.Code != 403 {
		t.Errorf("reader: %d", r.Code)
	}
}

func TestWebDownload(t *testing.T) {
	raw := diskBytes(512 << 10)
	q := qcow2Of(t, raw)
	mux := http.NewServeMux()
	mux.HandleFunc("/disk.qcow2", func(w http.ResponseWriter, r *http.Request) { w.Write(q) })
	mux.HandleFunc("/raw.bin", func(w http.ResponseWriter, r *http.Request) { w.Write(raw) })
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data", http.StatusFound)
	})
	mux.HandleFunc("/redirect-port", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://127.0.0.1:1/x", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	p, _ := strconv.Atoi(port)
	base := "http://127.0.0.1:" + port

	// Loopback is refused unless allowed, even through a name.
	strict := newImportEnv(t, "", WebDownload{Ports: []int{p}})
	id := strict.create("alice", map[string]any{"name": "w", "disk_format": "qcow2", "container_format": "bare"})
	strict.mustCode(strict.do("POST", "/image/v2/images/"+id+"/import", "alice",
		map[string]any{"method": map[string]any{"name": "web-download", "uri": base + "/disk.qcow2"}}), 400)
	strict.mustCode(strict.do("POST", "/image/v2/images/"+id+"/import", "alice",
		map[string]any{"method": map[string]any{"name": "web-download", "uri": "http://localhost:" + port + "/disk.qcow2"}}), 202)
	im := strict.waitStatus(id, "importing")
	if im["status"] != "queued" || im["os_glance_failed_import"] == nil || !strings.Contains(im[PropFailedReason].(string), "not allowed") {
		t.Fatalf("a loopback name was fetched: %v", im)
	}

	e := newImportEnv(t, "", WebDownload{Ports: []int{p, 80}, AllowHosts: []string{"127.0.0.1"}})
	tests := []struct {
		path, status, reason string
	}{
		{"/disk.qcow2", "active", ""},
		{"/raw.bin", "queued", "does not match the disk_format"},
		{"/redirect", "queued", "the address is not allowed"},
		{"/redirect-port", "queued", "Redirect to disallowed URL"},
		{"/missing", "queued", "404"},
	}
	for _, tc := range tests {
		id := e.create("alice", map[string]any{"name": "w", "disk_format": "qcow2", "container_format": "bare"})
		e.mustCode(e.do("POST", "/image/v2/images/"+id+"/import", "alice",
			map[string]any{"method": map[string]any{"name": "web-download", "uri": base + tc.path}}), 202)
		im := e.waitStatus(id, "importing")
		reason, _ := im[PropFailedReason].(string)
		if im["status"] != tc.status || !strings.Contains(reason, tc.reason) {
			t.Errorf("%s: %s %q", tc.path, im["status"], reason)
		}
		if tc.status == "active" {
			if got := e.do("GET", "/image/v2/images/"+id+"/file", "alice", nil).Body; !bytes.Equal(got, q) {
				t.Error("downloaded data differs")
			}
		}
	}
}
