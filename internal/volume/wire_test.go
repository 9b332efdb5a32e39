package volume

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/httpapi"
)

func TestVersionsAndMicroversions(t *testing.T) {
	e := newEnv(t)
	r := e.must(e.do("GET", "/volume", "", nil), 300)
	if vs := r.JSON(t)["versions"].([]any); len(vs) != 2 || vs[1].(map[string]any)["version"] != MaxMicroversion {
		t.Fatalf("versions %s", r.Body)
	}
	r = e.must(e.do("GET", "/volume/v3/", "", nil), 200)
	if id := r.JSON(t)["versions"].([]any)[0].(map[string]any)["id"]; id != "v3.0" {
		t.Fatalf("v3 doc %s", r.Body)
	}
	r = e.must(e.do("GET", "/volume/v2/", "", nil), 200)
	if id := r.JSON(t)["versions"].([]any)[0].(map[string]any)["id"]; id != "v2.0" {
		t.Fatalf("v2 doc %s", r.Body)
	}
	for _, tc := range []struct {
		hdr    string
		code   int
		answer string
	}{
		{"", 200, "volume 3.0"},
		{"volume 3.0", 200, "volume 3.0"},
		{"volume latest", 200, "volume " + MaxMicroversion},
		{"compute 2.1, volume 3.0", 200, "volume 3.0"},
		{"volume 3.999", 406, ""},
		{"volume 3.x", 400, ""},
	} {
		var hdr []string
		if tc.hdr != "" {
			hdr = []string{"OpenStack-API-Version", tc.hdr}
		}
		r := e.do("GET", "types", "alice", nil, hdr...)
		if r.Code != tc.code {
			t.Errorf("%q: %d %s", tc.hdr, r.Code, r.Body)
		}
		if tc.answer != "" && (r.Header.Get("OpenStack-API-Version") != tc.answer || r.Header.Get("Vary") != "OpenStack-API-Version") {
			t.Errorf("%q: answered %q", tc.hdr, r.Header.Get("OpenStack-API-Version"))
		}
	}
	// Unbuilt Cinder APIs are 501 in Cinder's format; unknown paths 404.
	e.fault(e.do("GET", "backups/detail", "alice", nil), 501, "notImplemented", "")
	e.fault(e.do("GET", "volumes/", "alice", nil), 404, "itemNotFound", "")
}

// K5 shows availability_zone on a type (2.1.6.2) and on snapshot details
// (2.4.6.2/.3) on its v2 endpoint; v3 keeps Cinder's shapes.
func TestK5Shapes(t *testing.T) {
	e := newEnv(t)
	v2 := "/volume/v2/" + projAlice + "/"
	types := e.must(e.do("GET", v2+"types", "alice", nil), 200).JSON(t)["volume_types"].([]any)
	id := types[0].(map[string]any)["id"].(string)
	if _, ok := types[0].(map[string]any)["availability_zone"]; ok {
		t.Error("type list has availability_zone")
	}
	tv := e.must(e.do("GET", v2+"types/"+id, "alice", nil), 200).JSON(t)["volume_type"].(map[string]any)
	if tv["availability_zone"] != "nova" || tv["extra_specs"] == nil {
		t.Errorf("v2 type show %v", tv)
	}
	tv = e.must(e.do("GET", "types/"+id, "alice", nil), 200).JSON(t)["volume_type"].(map[string]any)
	if _, ok := tv["availability_zone"]; ok {
		t.Errorf("v3 type show has availability_zone: %v", tv)
	}
	// K5's three spellings of the source volume.
	src := e.createVolume("alice", map[string]any{"size": 1})["id"].(string)
	for _, k := range []string{"source_volid", "source_vol_id", "source_volume_id"} {
		r := e.must(e.do("POST", v2+"volumes", "alice", map[string]any{"volume": map[string]any{k: src, "name": k}}), 202)
		v := r.JSON(t)["volume"].(map[string]any)
		if v["source_volid"] != src || v["status"] != "creating" || v["bootable"] != "false" {
			t.Errorf("%s: %v", k, v)
		}
		e.waitVolume("alice", v["id"].(string), "available")
	}
	sid := e.must(e.do("POST", v2+"snapshots", "alice", map[string]any{"snapshot": map[string]any{"volume_id": src}}), 202).JSON(t)["snapshot"].(map[string]any)["id"].(string)
	e.waitSnapshot("alice", sid, "available")
	sn := e.must(e.do("GET", v2+"snapshots/"+sid, "alice", nil), 200).JSON(t)["snapshot"].(map[string]any)
	if sn["availability_zone"] != "nova" || sn["os-extended-snapshot-attributes:project_id"] != projAlice {
		t.Errorf("v2 snapshot %v", sn)
	}
	sn = e.must(e.do("GET", "snapshots/"+sid, "alice", nil), 200).JSON(t)["snapshot"].(map[string]any)
	if _, ok := sn["availability_zone"]; ok {
		t.Errorf("v3 snapshot has availability_zone: %v", sn)
	}
	// The 16 TB cap of K5 2.1.6.9.
	e.fault(e.do("POST", v2+"volumes", "alice", map[string]any{"volume": map[string]any{"size": MaxSizeGB + 1}}), 413, "overLimit",
		"Requested volume size 16385G is larger than maximum allowed limit 16384G.")
}

func TestNovaVolumeProxy(t *testing.T) {
	e := newEnv(t)
	mux := httpapi.NewMux(principals, slog.New(slog.NewTextHandler(io.Discard, nil)))
	var rts []httpapi.Route
	for _, rt := range e.svc.NovaRoutes() {
		rt.Pattern = "/v1.1/{tenant_id}" + rt.Pattern
		rts = append(rts, rt)
	}
	mux.Mount(httpapi.Group{Name: "compute", Prefix: "/compute", Dialect: httpapi.Nova, Routes: rts})
	e.h = mux
	base := "/compute/v1.1/" + projAlice
	do := func(method, path string, body any) resp {
		return e.do(method, base+path, "alice", body)
	}
	r := e.must(do("POST", "/os-volumes", map[string]any{"volume": map[string]any{"display_name": "vol-001",
		"display_description": "Another volume.", "size": 1, "metadata": map[string]string{"contents": "junk"}}}), 200)
	v := r.JSON(t)["volume"].(map[string]any)
	for _, k := range []string{"id", "displayName", "displayDescription", "size", "volumeType", "metadata", "availabilityZone", "snapshotId", "attachments", "createdAt"} {
		if _, ok := v[k]; !ok {
			t.Errorf("os-volumes create lacks %s: %v", k, v)
		}
	}
	id := v["id"].(string)
	for deadline := 0; deadline < 3000; deadline++ {
		v = e.must(do("GET", "/os-volumes/"+id, nil), 200).JSON(t)["volume"].(map[string]any)
		if v["status"] == "available" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if l := e.must(do("GET", "/os-volumes/detail", nil), 200).JSON(t)["volumes"].([]any); len(l) != 1 {
		t.Fatalf("os-volumes list %v", l)
	}
	sr := e.must(do("POST", "/os-snapshots", map[string]any{"snapshot": map[string]any{"display_name": "snap-001", "volume_id": id, "force": true}}), 200)
	sid := sr.JSON(t)["snapshot"].(map[string]any)["id"].(string)
	if sr.JSON(t)["snapshot"].(map[string]any)["volumeId"] != id {
		t.Errorf("os-snapshots create %s", sr.Body)
	}
	sn := e.must(do("GET", "/os-snapshots/"+sid, nil), 200).JSON(t)["snapshot"].(map[string]any)
	if sn["availability_zone"] != "nova" || sn["displayName"] != "snap-001" {
		t.Errorf("os-snapshots show %v", sn)
	}
	if l := e.must(do("GET", "/os-snapshots", nil), 200).JSON(t)["snapshots"].([]any); len(l) != 1 || strings.Contains(string(sr.Body), "availability_zone") {
		t.Errorf("os-snapshots list %v", l)
	}
	for deadline := 0; deadline < 3000; deadline++ {
		if e.must(do("GET", "/os-snapshots/"+sid, nil), 200).JSON(t)["snapshot"].(map[string]any)["status"] == "available" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.must(do("DELETE", "/os-snapshots/"+sid, nil), 202)
	e.must(do("DELETE", "/os-volumes/"+id, nil), 202)
	e.fault(do("GET", "/os-volumes/"+id, nil), 404, "itemNotFound", "Volume "+id+" could not be found.")
	e.fault(do("POST", "/os-volumes", map[string]any{"volume": map[string]any{"display_name": "x"}}), 400, "badRequest", "")
}

func TestBackendViews(t *testing.T) {
	e := newEnv(t)
	e.createVolume("alice", map[string]any{"size": 1})
	svcs := e.must(e.do("GET", "os-services?binary=cinder-volume", "admin", nil), 200).JSON(t)["services"].([]any)
	if len(svcs) != 1 || svcs[0].(map[string]any)["host"] != "n1@local" || svcs[0].(map[string]any)["state"] != "up" {
		t.Fatalf("services %v", svcs)
	}
	e.fault(e.do("GET", "os-services", "alice", nil), 403, "forbidden", "")
	e.fault(e.do("PUT", "os-services/enable", "admin", map[string]any{"host": "nope", "binary": "cinder-volume"}), 404, "itemNotFound",
		"Could not find binary cinder-volume on host nope.")
	e.fault(e.do("PUT", "os-services/disable", "admin", map[string]any{"host": "n1@local", "binary": "cinder-volume"}), 501, "notImplemented", "")
	h := e.must(e.do("GET", "os-hosts/n1@local", "admin", nil), 200).JSON(t)["host"].([]any)
	if r := h[0].(map[string]any)["resource"].(map[string]any); r["volume_count"] != "1" || r["total_volume_gb"] != "1" {
		t.Fatalf("host %v", h)
	}
	p := e.must(e.do("GET", "scheduler-stats/get_pools?detail=True", "admin", nil), 200).JSON(t)["pools"].([]any)
	c := p[0].(map[string]any)["capabilities"].(map[string]any)
	if c["vendor_name"] != vendorName || c["total_capacity_gb"].(float64) <= 0 {
		t.Fatalf("pools %v", p)
	}
	capa := e.must(e.do("GET", "capabilities/n1@local", "admin", nil), 200).JSON(t)
	if capa["volume_backend_name"] != c["volume_backend_name"] || capa["storage_protocol"] != c["storage_protocol"] {
		t.Fatalf("capabilities %v vs pools %v", capa, c)
	}
}
