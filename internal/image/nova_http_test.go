package image

import (
	"context"
	"strings"
	"testing"
)

func TestNovaProxy(t *testing.T) {
	e := newEnv(t)
	id := e.create("alice", map[string]any{"name": "n", "disk_format": "raw", "container_format": "bare", "instance_uuid": "srv-1", "image_type": "snapshot"})
	base := "/compute/v2/p-alice"
	// No checksum yet: metadata changes are refused (K5 1.2.6.15).
	e.mustCode(e.do("POST", base+"/images/"+id+"/metadata", "alice", map[string]any{"metadata": map[string]string{"a": "1"}}), 409)
	r := e.mustCode(e.do("GET", base+"/images/"+id, "alice", nil), 200)
	if !strings.Contains(string(r.Body), `"status":"SAVING"`) || !strings.Contains(string(r.Body), `"progress":25`) ||
		!strings.Contains(string(r.Body), `"server":{"id":"srv-1"`) || !strings.Contains(string(r.Body), `"OS-EXT-IMG-SIZE:size":0`) {
		t.Fatalf("queued image: %s", r.Body)
	}
	e.mustCode(e.do("PUT", "/image/v2/images/"+id+"/file", "alice", []byte("abcd")), 204)
	r = e.mustCode(e.do("GET", base+"/images/detail?type=SERVER&server=http://x/servers/srv-1", "alice", nil), 200)
	if !strings.Contains(string(r.Body), id) {
		t.Fatalf("SERVER filter: %s", r.Body)
	}
	for _, tc := range []struct {
		query string
		want  bool
	}{
		{"minRam=0&minDisk=0", true},
		{"minRam=512", false},
		{"minDisk=x", false},
		{"property-instance_uuid=srv-1", true},
		{"property-instance_uuid=srv-2", false},
	} {
		r = e.mustCode(e.do("GET", base+"/images/detail?"+tc.query, "alice", nil), 200)
		if got := strings.Contains(string(r.Body), id); got != tc.want {
			t.Errorf("?%s: listed %v, want %v", tc.query, got, tc.want)
		}
	}
	r = e.mustCode(e.do("GET", base+"/images?type=BASE", "alice", nil), 200)
	if strings.Contains(string(r.Body), id) {
		t.Fatalf("BASE filter lists a snapshot: %s", r.Body)
	}
	r = e.mustCode(e.do("GET", base+"/images", "alice", nil), 200)
	if !strings.Contains(string(r.Body), `"links"`) || strings.Contains(string(r.Body), `"metadata"`) {
		t.Fatalf("list: %s", r.Body)
	}
	// K5: role-denied image metadata calls answer 500, not 403.
	r = e.mustCode(e.do("PUT", base+"/images/"+id+"/metadata/k", "reader", map[string]any{"meta": map[string]string{"k": "v"}}), 500)
	if !strings.Contains(string(r.Body), `"computeFault"`) {
		t.Fatalf("role denied: %s", r.Body)
	}
	e.mustCode(e.do("PUT", "/compute/v2.1/images/"+id+"/metadata/k", "alice", map[string]any{"meta": map[string]string{"other": "v"}}), 400)
	e.mustCode(e.do("PUT", "/compute/v2.1/images/"+id+"/metadata/k", "alice", map[string]any{"meta": map[string]string{"k": "v"}}), 200)
	r = e.mustCode(e.do("GET", "/compute/v2.1/images/"+id+"/metadata", "alice", nil), 200)
	if !strings.Contains(string(r.Body), `"k":"v"`) {
		t.Fatalf("metadata: %s", r.Body)
	}
	e.mustCode(e.do("GET", "/compute/v2.1/images/"+id+"/metadata/nope", "alice", nil), 404)
	// Another project's tenant id in the path is refused by the plumbing.
	e.mustCode(e.do("GET", "/compute/v2/p-bob/images", "alice", nil), 403)
	e.mustCode(e.do("GET", "/compute/v2.1/images/"+id, "bob", nil), 404)
	e.mustCode(e.do("DELETE", "/compute/v2.1/images/"+id, "alice", nil), 204)
}

// The Nova image-metadata API holds the os_glance namespace reserved, as
// Glance's own API does: it cannot be set, removed or replaced away.
func TestNovaMetadataReservedNamespace(t *testing.T) {
	e := newEnv(t)
	id := e.create("alice", map[string]any{"disk_format": "raw", "container_format": "bare"})
	e.mustCode(e.do("PUT", "/image/v2/images/"+id+"/file", "alice", []byte("abcd")), 204)
	// The service's own property, as an import would record it.
	_, err := e.svc.modify(context.Background(), testPrincipals["admin"], id, "modify_image", func(im *Image) (bool, error) {
		im.Properties["os_glance_import_task"] = "task-1"
		return false, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	base := "/compute/v2.1/images/" + id + "/metadata"
	for _, tc := range []struct {
		method, path string
		body         any
	}{
		{"POST", base, map[string]any{"metadata": map[string]string{"os_glance_import_task": "mine"}}},
		{"POST", base, map[string]any{"metadata": map[string]string{"os_glance_failed_import": "x"}}},
		{"PUT", base, map[string]any{"metadata": map[string]string{"os_glancefoo": "x"}}},
		{"PUT", base + "/os_glance_x", map[string]any{"meta": map[string]string{"os_glance_x": "v"}}},
		{"DELETE", base + "/os_glance_import_task", nil},
	} {
		if r := e.do(tc.method, tc.path, "alice", tc.body); r.Code != 403 || !strings.Contains(string(r.Body), "is reserved") {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, r.Code, r.Body)
		}
	}
	e.mustCode(e.do("PUT", base, "alice", map[string]any{"metadata": map[string]string{"k": "v"}}), 200)
	r := e.mustCode(e.do("GET", "/image/v2/images/"+id, "alice", nil), 200).JSON(t)
	if r["os_glance_import_task"] != "task-1" || r["k"] != "v" {
		t.Fatalf("after replace: %v", r)
	}
}
