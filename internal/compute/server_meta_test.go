package compute

import (
	"testing"
)

func TestServerMetadata(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Quotas = map[string]int64{"metadata_items": 3} })
	id := e.boot("alice", "md", map[string]any{"metadata": map[string]any{"a": "1"}})["id"].(string)
	r := e.must(e.do("POST", "/servers/"+id+"/metadata", "alice", map[string]any{"metadata": map[string]any{"b": "2"}}), 200)
	if string(r.Body) != `{"metadata":{"a":"1","b":"2"}}` {
		t.Fatalf("merge: %s", r.Body)
	}
	// K5 1.2.6.58: POST answers 202 on its paths.
	e.must(e.do("POST", "/compute/v2/p-alice/servers/"+id+"/metadata", "alice", map[string]any{"metadata": map[string]any{"c": "3"}}), 202)
	r = e.must(e.do("POST", "/servers/"+id+"/metadata", "alice", map[string]any{"metadata": map[string]any{"d": "4"}}), 403)
	if !r.has("Maximum number of metadata items exceeds 3") {
		t.Fatalf("quota v2.1: %s", r.Body)
	}
	r = e.must(e.do("POST", "/compute/v2/p-alice/servers/"+id+"/metadata", "alice", map[string]any{"metadata": map[string]any{"d": "4"}}), 413)
	if !r.has(`"overLimit"`) {
		t.Fatalf("quota K5: %s", r.Body)
	}
	r = e.must(e.do("PUT", "/servers/"+id+"/metadata", "alice", map[string]any{"metadata": map[string]any{"x": "y"}}), 200)
	if string(r.Body) != `{"metadata":{"x":"y"}}` {
		t.Fatalf("replace: %s", r.Body)
	}
	e.must(e.do("PUT", "/servers/"+id+"/metadata/k", "alice", map[string]any{"meta": map[string]any{"other": "v"}}), 400)
	e.must(e.do("PUT", "/servers/"+id+"/metadata/k", "alice", map[string]any{"meta": map[string]any{"k": "v"}}), 200)
	r = e.must(e.do("GET", "/servers/"+id+"/metadata/k", "alice", nil), 200)
	if string(r.Body) != `{"meta":{"k":"v"}}` {
		t.Fatalf("item: %s", r.Body)
	}
	e.must(e.do("DELETE", "/servers/"+id+"/metadata/k", "alice", nil), 204)
	r = e.must(e.do("GET", "/servers/"+id+"/metadata/k", "alice", nil), 404)
	if !r.has("Metadata item was not found") {
		t.Fatalf("404: %s", r.Body)
	}
	e.must(e.do("POST", "/servers/"+id+"/metadata", "alice", map[string]any{"metadata": map[string]any{"bad/key": "v"}}), 400)
	e.must(e.do("GET", "/servers/"+id+"/metadata", "bob", nil), 404)
	e.act("alice", id, map[string]any{"lock": nil})
	e.must(e.do("POST", "/servers/"+id+"/metadata", "alice", map[string]any{"metadata": map[string]any{"z": "1"}}), 409)
}

func TestServerTagsIPsPasswordZones(t *testing.T) {
	e := newEnv(t)
	id := e.boot("alice", "tg", nil)["id"].(string)
	e.must(e.do("GET", "/servers/"+id+"/tags", "alice", nil), 404)
	h := mvh("2.26")
	e.must(e.do("PUT", "/servers/"+id+"/tags/red", "alice", nil, h...), 201)
	e.must(e.do("PUT", "/servers/"+id+"/tags/red", "alice", nil, h...), 204)
	e.must(e.do("GET", "/servers/"+id+"/tags/red", "alice", nil, h...), 204)
	e.must(e.do("GET", "/servers/"+id+"/tags/blue", "alice", nil, h...), 404)
	r := e.must(e.do("PUT", "/servers/"+id+"/tags", "alice", map[string]any{"tags": []any{"a", "b"}}, h...), 200)
	if string(r.Body) != `{"tags":["a","b"]}` {
		t.Fatalf("replace tags: %s", r.Body)
	}
	e.must(e.do("PUT", "/servers/"+id+"/tags", "alice", map[string]any{"tags": []any{"a/b"}}, h...), 400)
	r = e.must(e.do("GET", "/servers?tags=a", "alice", nil, h...), 200)
	if !r.has(id) {
		t.Fatalf("tag filter: %s", r.Body)
	}
	e.must(e.do("DELETE", "/servers/"+id+"/tags/a", "alice", nil, h...), 204)
	e.must(e.do("DELETE", "/servers/"+id+"/tags", "alice", nil, h...), 204)

	r = e.must(e.do("GET", "/servers/"+id+"/ips", "alice", nil), 200)
	if !r.has(`"private":[{"addr":`) {
		t.Fatalf("ips: %s", r.Body)
	}
	e.must(e.do("GET", "/servers/"+id+"/ips/private", "alice", nil), 200)
	e.must(e.do("GET", "/servers/"+id+"/ips/nope", "alice", nil), 404)

	r = e.must(e.do("GET", "/servers/"+id+"/os-server-password", "alice", nil), 200)
	if string(r.Body) != `{"password":""}` {
		t.Fatalf("password: %s", r.Body)
	}
	e.must(e.do("DELETE", "/servers/"+id+"/os-server-password", "alice", nil), 204)

	r = e.must(e.do("GET", "/os-availability-zone", "alice", nil), 200)
	if !r.has(`{"hosts":null,"zoneName":"az2","zoneState":{"available":true}}`) || !r.has(`"zoneName":"nova"`) {
		t.Fatalf("zones: %s", r.Body)
	}
	e.must(e.do("GET", "/os-availability-zone/detail", "alice", nil), 403)
	r = e.must(e.do("GET", "/os-availability-zone/detail", "admin", nil), 200)
	if !r.has(`"h3":{"nova-compute"`) {
		t.Fatalf("zone detail: %s", r.Body)
	}
}

func TestServerInterfaces(t *testing.T) {
	e := newEnv(t)
	id := e.boot("alice", "if", nil)["id"].(string)
	r := e.must(e.do("GET", "/servers/"+id+"/os-interface", "alice", nil), 200)
	if len(r.JSON(t)["interfaceAttachments"].([]any)) != 1 {
		t.Fatalf("interfaces: %s", r.Body)
	}
	port := e.net.freePort(netOther)
	r = e.must(e.do("POST", "/servers/"+id+"/os-interface", "alice", map[string]any{"interfaceAttachment": map[string]any{"port_id": port}}), 200)
	if !r.has(`"port_id":"`+port+`"`) || !r.has(`"port_state":"ACTIVE"`) {
		t.Fatalf("attach: %s", r.Body)
	}
	e.must(e.do("GET", "/servers/"+id+"/os-interface/"+port, "alice", nil), 200)
	e.must(e.do("POST", "/servers/"+id+"/os-interface", "alice", map[string]any{"interfaceAttachment": map[string]any{"port_id": port, "net_id": netOther}}), 400)
	e.must(e.do("POST", "/servers/"+id+"/os-interface", "alice", map[string]any{"interfaceAttachment": map[string]any{"net_id": "aaaaaaaa-0000-0000-0000-00000000ffff"}}), 404)
	v := e.show("alice", id)
	if len(v["addresses"].(map[string]any)) != 2 {
		t.Fatalf("addresses after attach: %v", v["addresses"])
	}
	e.must(e.do("DELETE", "/servers/"+id+"/os-interface/"+port, "alice", nil), 202)
	e.must(e.do("GET", "/servers/"+id+"/os-interface/"+port, "alice", nil), 404)
	e.must(e.do("DELETE", "/servers/"+id+"/os-interface/"+port, "alice", nil), 404)
	// The fake network has no security groups API: the proxy says so.
	e.must(e.do("GET", "/os-security-groups", "alice", nil), 501)
	e.must(e.do("GET", "/os-security-groups", "alice", nil, mvh("2.36")...), 404)
}
