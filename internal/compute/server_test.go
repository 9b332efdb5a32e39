package compute

import (
	"os"
	"strings"
	"testing"
)

func TestServerCreateShowDelete(t *testing.T) {
	e := newEnv(t)
	body := map[string]any{"server": map[string]any{"name": "web_01 Test", "imageRef": imgRaw, "flavorRef": "1",
		"metadata": map[string]any{"role": "web"}, "user_data": "IyEvYmluL3NoCmVjaG8gaGkK", "networks": []any{map[string]any{"uuid": netPrivate}}}}
	r := e.must(e.do("POST", "/servers", "alice", body), 202)
	srv := r.JSON(t)["server"].(map[string]any)
	id := srv["id"].(string)
	if srv["adminPass"] == "" || srv["OS-DCF:diskConfig"] != "MANUAL" || !r.has(`"security_groups":[{"name":"default"}]`) ||
		r.Header.Get("Location") != "http://example.com/compute/v2.1/servers/"+id {
		t.Fatalf("create: %v %s", r.Header, r.Body)
	}
	e.svc.work.idle()
	v := e.show("alice", id)
	if v["status"] != "ACTIVE" || v["OS-EXT-STS:vm_state"] != "active" || v["OS-EXT-STS:power_state"].(float64) != 1 ||
		v["OS-EXT-STS:task_state"] != nil || v["OS-SRV-USG:launched_at"] == nil || v["hostId"] == "" || v["OS-EXT-AZ:availability_zone"] != "nova" {
		t.Fatalf("server: %v", v)
	}
	addr := v["addresses"].(map[string]any)["private"].([]any)[0].(map[string]any)
	if addr["OS-EXT-IPS:type"] != "fixed" || addr["version"].(float64) != 4 || !strings.HasPrefix(addr["OS-EXT-IPS-MAC:mac_addr"].(string), "fa:16:3e") {
		t.Fatalf("addresses: %v", v["addresses"])
	}
	if _, ok := v["OS-EXT-SRV-ATTR:host"]; ok {
		t.Fatalf("extended attributes shown to a member: %v", v)
	}
	adm := e.show("admin", id, mvh("2.3")...)
	if adm["OS-EXT-SRV-ATTR:hostname"] != "web-01-test" || adm["OS-EXT-SRV-ATTR:user_data"] != "IyEvYmluL3NoCmVjaG8gaGkK" ||
		!strings.HasPrefix(adm["OS-EXT-SRV-ATTR:instance_name"].(string), "instance-0000000") {
		t.Fatalf("admin view: %v", adm)
	}
	// The disk is the image, grown to the flavor's 1 GB.
	st, err := os.Stat(e.drv.DiskPath(id))
	if err != nil || st.Size() != 1<<30 {
		t.Fatalf("disk: %v %v", st, err)
	}
	// Other projects see nothing.
	r = e.must(e.do("GET", "/servers/"+id, "bob", nil), 404)
	if !r.has("Instance " + id + " could not be found.") {
		t.Fatalf("404: %s", r.Body)
	}
	e.must(e.do("DELETE", "/servers/"+id, "bob", nil), 404)
	e.must(e.do("GET", "/servers/"+id+"/os-instance-actions", "alice", nil), 200)

	e.must(e.do("DELETE", "/servers/"+id, "alice", nil), 204)
	e.svc.work.idle()
	e.must(e.do("GET", "/servers/"+id, "alice", nil), 404)
	if _, err := os.Stat(e.drv.DiskPath(id)); !os.IsNotExist(err) {
		t.Fatalf("disk left after delete: %v", err)
	}
	if pts, _ := e.net.ServerPorts(t.Context(), id); len(pts) != 0 {
		t.Fatalf("ports left: %v", pts)
	}
	// changes-since lists the deleted server as DELETED.
	r = e.must(e.do("GET", "/servers/detail?changes-since=2000-01-01T00:00:00Z", "alice", nil), 200)
	if !r.has(`"status":"DELETED"`) {
		t.Fatalf("changes-since: %s", r.Body)
	}
}

func TestServerCreateErrors(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Quotas = map[string]int64{"instances": 2} })
	srv := func(kv ...any) map[string]any {
		m := map[string]any{"name": "s", "imageRef": imgRaw, "flavorRef": "1"}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
			} else {
				m[kv[i].(string)] = kv[i+1]
			}
		}
		return map[string]any{"server": m}
	}
	for _, tc := range []struct {
		name string
		body any
		code int
		msg  string
	}{
		{"no server", map[string]any{}, 400, "'server' is a required property"},
		{"no name", srv("name", nil), 400, "'name' is a required property"},
		{"extra", srv("color", "red"), 400, "Additional properties are not allowed ('color' was unexpected)"},
		{"bad flavor", srv("flavorRef", "nope"), 400, "Flavor nope could not be found."},
		{"bad image", srv("imageRef", "99999999-9999-9999-9999-999999999999"), 400, "Can not find requested image"},
		{"private image", srv("imageRef", imgPrivate), 400, "Can not find requested image"},
		{"queued image", srv("imageRef", imgQueued), 400, "Image " + imgQueued + " is not active."},
		{"min_disk", srv("imageRef", imgBig), 400, "Flavor's disk is smaller than the minimum size specified in image metadata. Flavor disk is 1073741824 bytes, minimum size is 4294967296 bytes."},
		{"key", srv("key_name", "nope"), 400, "Invalid key_name provided."},
		{"zone", srv("availability_zone", "moon"), 400, "The requested availability zone is not available"},
		{"network", srv("networks", []any{map[string]any{"uuid": "aaaaaaaa-0000-0000-0000-00000000ffff"}}), 400, "Network aaaaaaaa-0000-0000-0000-00000000ffff could not be found."},
		{"bad net uuid", srv("networks", []any{map[string]any{"uuid": "x"}}), 400, "Bad networks format: network uuid is not in proper format (x)"},
		{"user_data", srv("user_data", "not base64!"), 400, "is not a 'base64'"},
		{"counts", srv("min_count", 3, "max_count", 2), 400, "min_count must be <= max_count"},
		{"quota", srv("min_count", 3), 403, "Quota exceeded for instances: Requested 3, but already used 0 of 2 instances"},
		{"volume bdm", srv("block_device_mapping_v2", []any{map[string]any{"source_type": "image", "destination_type": "volume", "uuid": imgRaw, "boot_index": "0", "volume_size": "20"}}), 501, "Block device mappings to volumes need block storage"},
		{"group", map[string]any{"server": srv()["server"], "os:scheduler_hints": map[string]any{"group": "99999999-9999-9999-9999-999999999999"}}, 400, "Instance group 99999999-9999-9999-9999-999999999999 could not be found."},
		{"2.37 networks required", srv(), 400, "'networks' is a required property"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.name == "2.37 networks required" {
				hdr = mvh("2.37")
			}
			r := e.do("POST", "/servers", "alice", tc.body, hdr...)
			if r.Code != tc.code || !r.has(tc.msg) {
				t.Fatalf("%d %s", r.Code, r.Body)
			}
		})
	}
	// Nothing was left behind by the refused requests.
	r := e.must(e.do("GET", "/servers", "alice", nil), 200)
	if r.has(`"id"`) {
		t.Fatalf("servers left: %s", r.Body)
	}
}

func TestServerListFiltersAndPages(t *testing.T) {
	e := newEnv(t)
	var ids []string
	for i, name := range []string{"alpha", "beta", "gamma"} {
		v := e.boot("alice", name, map[string]any{"min_count": 1})
		ids = append(ids, v["id"].(string))
		if i == 2 {
			e.must(e.do("PUT", "/servers/"+v["id"].(string), "alice", map[string]any{"server": map[string]any{"name": "gamma-2"}}), 200)
		}
	}
	e.boot("bob", "bobs", nil)
	r := e.must(e.do("GET", "/servers", "alice", nil), 200)
	list := r.JSON(t)["servers"].([]any)
	if len(list) != 3 || list[0].(map[string]any)["id"] != ids[2] || r.has("bobs") {
		t.Fatalf("list (newest first, own project): %s", r.Body)
	}
	r = e.must(e.do("GET", "/servers?limit=2", "alice", nil), 200)
	m := r.JSON(t)
	if len(m["servers"].([]any)) != 2 || m["servers_links"] == nil {
		t.Fatalf("page: %s", r.Body)
	}
	r = e.must(e.do("GET", "/servers?limit=2&marker="+ids[1], "alice", nil), 200)
	if l := r.JSON(t)["servers"].([]any); len(l) != 1 || l[0].(map[string]any)["id"] != ids[0] {
		t.Fatalf("after marker: %s", r.Body)
	}
	for q, want := range map[string]int{"name=^gam": 1, "name=a": 3, "status=ACTIVE": 3, "status=SHUTOFF": 0, "flavor=1": 3,
		"image=" + imgRaw: 3, "flavor=2": 0, "sort_key=display_name&sort_dir=asc": 3} {
		r := e.must(e.do("GET", "/servers?"+q, "alice", nil), 200)
		if n := len(r.JSON(t)["servers"].([]any)); n != want {
			t.Errorf("?%s: %d servers, want %d: %s", q, n, want, r.Body)
		}
	}
	e.must(e.do("GET", "/servers?status=NOPE", "alice", nil, mvh("2.38")...), 400)
	e.must(e.do("GET", "/servers?all_tenants=1", "alice", nil), 403)
	r = e.must(e.do("GET", "/servers?all_tenants=1", "admin", nil), 200)
	if len(r.JSON(t)["servers"].([]any)) != 4 {
		t.Fatalf("all tenants: %s", r.Body)
	}
	e.must(e.do("GET", "/servers?marker=nope", "alice", nil), 400)
	r = e.must(e.do("GET", "/servers/detail?sort_key=display_name&sort_dir=asc", "alice", nil, mvh("2.79")...), 200)
	first := r.JSON(t)["servers"].([]any)[0].(map[string]any)
	if first["name"] != "alpha" || first["flavor"].(map[string]any)["original_name"] != "m1.tiny" || first["locked"] != false {
		t.Fatalf("2.79 detail: %v", first)
	}
}

func TestServerUpdate(t *testing.T) {
	e := newEnv(t)
	id := e.boot("alice", "u1", nil)["id"].(string)
	r := e.must(e.do("PUT", "/servers/"+id, "alice", map[string]any{"server": map[string]any{"name": "u2", "accessIPv4": "1.2.3.4"}}), 200)
	v := r.JSON(t)["server"].(map[string]any)
	if v["name"] != "u2" || v["accessIPv4"] != "1.2.3.4" {
		t.Fatalf("update: %s", r.Body)
	}
	if _, ok := v["OS-EXT-STS:vm_state"]; ok {
		t.Fatalf("2.1 update shows extended status: %s", r.Body)
	}
	r = e.must(e.do("PUT", "/servers/"+id, "alice", map[string]any{"server": map[string]any{"description": "d"}}, mvh("2.75")...), 200)
	if !r.has(`"description":"d"`) || !r.has(`"OS-EXT-STS:vm_state":"active"`) {
		t.Fatalf("2.75 update: %s", r.Body)
	}
	e.must(e.do("PUT", "/servers/"+id, "alice", map[string]any{"server": map[string]any{"accessIPv4": "::1"}}), 400)
	e.must(e.do("PUT", "/servers/"+id, "alice", map[string]any{"server": map[string]any{"description": "d"}}), 400)
	e.must(e.do("PUT", "/servers/"+id, "bob", map[string]any{"server": map[string]any{"name": "x"}}), 404)
}
