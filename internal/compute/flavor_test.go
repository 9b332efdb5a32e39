package compute

import (
	"testing"
)

func TestFlavorSeedAndViews(t *testing.T) {
	e := newEnv(t)
	r := e.must(e.do("GET", "/flavors", "alice", nil), 200)
	fl := r.JSON(t)["flavors"].([]any)
	if len(fl) < 5 || fl[0].(map[string]any)["id"] != "1" || fl[0].(map[string]any)["name"] != "m1.tiny" {
		t.Fatalf("seeded flavors: %s", r.Body)
	}
	if r.has(`"ram"`) || r.has(`"description"`) {
		t.Fatalf("brief list carries details: %s", r.Body)
	}
	r = e.must(e.do("GET", "/flavors/detail", "alice", nil), 200)
	for _, k := range []string{`"ram":512`, `"vcpus":1`, `"disk":1`, `"swap":""`, `"OS-FLV-EXT-DATA:ephemeral":0`, `"os-flavor-access:is_public":true`, `"name":"S-4"`} {
		if !r.has(k) {
			t.Fatalf("detail lacks %s: %s", k, r.Body)
		}
	}
	r = e.must(e.do("GET", "/flavors/1", "alice", nil, mvh("2.75")...), 200)
	if !r.has(`"swap":0`) || !r.has(`"description":null`) || !r.has(`"extra_specs":{}`) {
		t.Fatalf("2.75 flavor: %s", r.Body)
	}
	r = e.must(e.do("GET", "/flavors/nope", "alice", nil), 404)
	if !r.has(`{"itemNotFound":{"code":404,"message":"Flavor nope could not be found."}}`) {
		t.Fatalf("404: %s", r.Body)
	}
	r = e.must(e.do("GET", "/flavors/detail?minRam=4096&minDisk=40&limit=2", "alice", nil), 200)
	m := r.JSON(t)
	if got := len(m["flavors"].([]any)); got != 2 || m["flavors_links"] == nil {
		t.Fatalf("filtered page: %s", r.Body)
	}
	e.must(e.do("GET", "/flavors?minRam=x", "alice", nil), 400)
	e.must(e.do("GET", "/flavors?marker=nope", "alice", nil), 400)
	e.must(e.do("GET", "/flavors?limit=-1", "alice", nil), 400)
}

func TestFlavorAdmin(t *testing.T) {
	e := newEnv(t)
	body := map[string]any{"flavor": map[string]any{"name": "priv", "ram": 256, "vcpus": "2", "disk": 0, "id": 42, "os-flavor-access:is_public": false}}
	e.must(e.do("POST", "/flavors", "alice", body), 403)
	r := e.must(e.do("POST", "/flavors", "admin", body), 200)
	if !r.has(`"id":"42"`) || !r.has(`"vcpus":2`) || !r.has(`"os-flavor-access:is_public":false`) {
		t.Fatalf("created: %s", r.Body)
	}
	r = e.must(e.do("POST", "/flavors", "admin", body), 409)
	if !r.has("Flavor with ID 42 already exists.") {
		t.Fatalf("dup id: %s", r.Body)
	}
	body["flavor"].(map[string]any)["id"] = nil
	r = e.must(e.do("POST", "/flavors", "admin", body), 409)
	if !r.has("Flavor with name priv already exists.") {
		t.Fatalf("dup name: %s", r.Body)
	}
	for name, bad := range map[string]map[string]any{
		"no ram":     {"name": "x", "vcpus": 1, "disk": 1},
		"zero vcpus": {"name": "x", "ram": 1, "vcpus": 0, "disk": 1},
		"extra":      {"name": "x", "ram": 1, "vcpus": 1, "disk": 1, "color": "red"},
		"bad id":     {"name": "x", "ram": 1, "vcpus": 1, "disk": 1, "id": "a/b"},
		"spaces":     {"name": " x", "ram": 1, "vcpus": 1, "disk": 1},
		"rxtx":       {"name": "x", "ram": 1, "vcpus": 1, "disk": 1, "rxtx_factor": 0},
	} {
		if r := e.do("POST", "/flavors", "admin", map[string]any{"flavor": bad}); r.Code != 400 {
			t.Errorf("%s: %d %s", name, r.Code, r.Body)
		}
	}
	// A private flavor is invisible to other projects until shared.
	e.must(e.do("GET", "/flavors/42", "alice", nil), 404)
	r = e.must(e.do("GET", "/flavors", "alice", nil), 200)
	if r.has(`"priv"`) {
		t.Fatalf("private flavor listed: %s", r.Body)
	}
	r = e.must(e.do("POST", "/flavors/42/action", "admin", map[string]any{"addTenantAccess": map[string]any{"tenant": "p-alice"}}), 200)
	if !r.has(`{"flavor_access":[{"flavor_id":"42","tenant_id":"p-alice"}]}`) {
		t.Fatalf("access: %s", r.Body)
	}
	e.must(e.do("POST", "/flavors/42/action", "admin", map[string]any{"addTenantAccess": map[string]any{"tenant": "p-alice"}}), 409)
	e.must(e.do("GET", "/flavors/42", "alice", nil), 200)
	r = e.must(e.do("GET", "/flavors", "alice", nil), 200)
	if !r.has(`"priv"`) {
		t.Fatalf("shared flavor not listed: %s", r.Body)
	}
	e.must(e.do("GET", "/flavors/1/os-flavor-access", "admin", nil), 404)
	e.must(e.do("POST", "/flavors/1/action", "admin", map[string]any{"addTenantAccess": map[string]any{"tenant": "p-bob"}}, mvh("2.7")...), 409)
	e.must(e.do("POST", "/flavors/42/action", "admin", map[string]any{"removeTenantAccess": map[string]any{"tenant": "p-alice"}}), 200)
	e.must(e.do("POST", "/flavors/42/action", "admin", map[string]any{"removeTenantAccess": map[string]any{"tenant": "p-alice"}}), 404)
	e.must(e.do("POST", "/flavors/42/action", "admin", map[string]any{"fly": nil}), 400)

	// Extra specs.
	e.must(e.do("POST", "/flavors/42/os-extra_specs", "admin", map[string]any{"extra_specs": map[string]any{"hw:cpu_policy": "dedicated", "n": 3}}), 200)
	r = e.must(e.do("GET", "/flavors/42/os-extra_specs/n", "admin", nil), 200)
	if string(r.Body) != `{"n":"3"}` {
		t.Fatalf("spec: %s", r.Body)
	}
	e.must(e.do("PUT", "/flavors/42/os-extra_specs/n", "admin", map[string]any{"m": "4"}), 400)
	e.must(e.do("PUT", "/flavors/42/os-extra_specs/n", "admin", map[string]any{"n": "4"}), 200)
	e.must(e.do("DELETE", "/flavors/42/os-extra_specs/n", "admin", nil), 200)
	r = e.must(e.do("GET", "/flavors/42/os-extra_specs/n", "admin", nil), 404)
	if !r.has("Flavor 42 has no extra specs with key n.") {
		t.Fatalf("no spec: %s", r.Body)
	}
	e.must(e.do("POST", "/flavors/42/os-extra_specs", "alice", map[string]any{"extra_specs": map[string]any{"a": "b"}}), 403)
	r = e.must(e.do("GET", "/flavors/42", "admin", nil, mvh("2.61")...), 200)
	if !r.has(`"extra_specs":{"hw:cpu_policy":"dedicated"}`) {
		t.Fatalf("2.61 specs: %s", r.Body)
	}
	// Description (2.55).
	e.must(e.do("PUT", "/flavors/42", "admin", map[string]any{"flavor": map[string]any{"description": "d"}}), 404)
	r = e.must(e.do("PUT", "/flavors/42", "admin", map[string]any{"flavor": map[string]any{"description": "small"}}, mvh("2.55")...), 200)
	if !r.has(`"description":"small"`) {
		t.Fatalf("description: %s", r.Body)
	}
	e.must(e.do("DELETE", "/flavors/42", "admin", nil), 202)
	e.must(e.do("DELETE", "/flavors/42", "admin", nil), 404)
}
