package volume

import "testing"

func TestQoSSpecs(t *testing.T) {
	e := newEnv(t)
	body := map[string]any{"qos_specs": map[string]any{"name": "gold", "consumer": "front-end", "read_iops_sec": 2000}}
	q := e.must(e.do("POST", "qos-specs", "admin", body), 200).JSON(t)
	spec := q["qos_specs"].(map[string]any)
	id := spec["id"].(string)
	if spec["name"] != "gold" || spec["consumer"] != "front-end" || spec["specs"].(map[string]any)["read_iops_sec"] != "2000" {
		t.Fatalf("created %v", q)
	}
	if l := q["links"].([]any); len(l) != 2 || l[0].(map[string]any)["rel"] != "self" {
		t.Fatalf("links %v", q["links"])
	}
	e.fault(e.do("POST", "qos-specs", "admin", body), 409, "conflictingRequest", "QoS Specs gold already exists.")
	e.fault(e.do("POST", "qos-specs", "admin", map[string]any{"qos_specs": map[string]any{"name": "x", "consumer": "nowhere"}}), 400, "badRequest",
		"Invalid QoS specs: Valid consumer of QoS specs are: ['front-end', 'back-end', 'both']")
	e.fault(e.do("POST", "qos-specs", "admin", map[string]any{"qos_specs": map[string]any{"consumer": "both"}}), 400, "badRequest", "")
	e.fault(e.do("GET", "qos-specs", "alice", nil), 403, "forbidden", "")
	def := e.must(e.do("POST", "qos-specs", "admin", map[string]any{"qos_specs": map[string]any{"name": "plain"}}), 200).JSON(t)["qos_specs"].(map[string]any)
	if def["consumer"] != "back-end" || len(def["specs"].(map[string]any)) != 0 {
		t.Fatalf("default consumer %v", def)
	}
	if l := e.must(e.do("GET", "qos-specs?sort=name:asc", "admin", nil), 200).JSON(t)["qos_specs"].([]any); len(l) != 2 || l[0].(map[string]any)["name"] != "gold" {
		t.Fatalf("list %v", l)
	}
	if l := e.must(e.do("GET", "qos-specs?limit=1&sort=name:asc&marker="+id, "admin", nil), 200).JSON(t)["qos_specs"].([]any); len(l) != 1 || l[0].(map[string]any)["name"] != "plain" {
		t.Fatalf("page %v", l)
	}

	// set and unset keys
	set := e.must(e.do("PUT", "qos-specs/"+id, "admin", map[string]any{"qos_specs": map[string]any{"iops_bytes": "500"}}), 200).JSON(t)
	if set["qos_specs"].(map[string]any)["iops_bytes"] != "500" {
		t.Fatalf("set %v", set)
	}
	e.must(e.do("PUT", "qos-specs/"+id+"/delete_keys", "admin", map[string]any{"keys": []string{"iops_bytes"}}), 202)
	e.fault(e.do("PUT", "qos-specs/"+id+"/delete_keys", "admin", map[string]any{"keys": []string{"iops_bytes"}}), 400, "badRequest",
		"QoS spec "+id+" has no spec with key iops_bytes.")
	if s := e.must(e.do("GET", "qos-specs/"+id, "admin", nil), 200).JSON(t)["qos_specs"].(map[string]any)["specs"].(map[string]any); len(s) != 1 {
		t.Fatalf("specs after unset %v", s)
	}

	// associations: a type has one QoS spec, shown to admins on the type
	typ := e.must(e.do("POST", "types", "admin", map[string]any{"volume_type": map[string]any{"name": "fast"}}), 200).JSON(t)["volume_type"].(map[string]any)
	tid := typ["id"].(string)
	if _, ok := typ["qos_specs_id"]; ok {
		t.Fatalf("create answer carries qos_specs_id: %v", typ)
	}
	if v, ok := e.must(e.do("GET", "types/"+tid, "admin", nil), 200).JSON(t)["volume_type"].(map[string]any)["qos_specs_id"]; !ok || v != nil {
		t.Fatalf("admin type view qos_specs_id %v %v", v, ok)
	}
	e.fault(e.do("GET", "qos-specs/"+id+"/associate", "admin", nil), 400, "badRequest", "Volume Type id must not be None.")
	e.fault(e.do("GET", "qos-specs/"+id+"/associate?vol_type_id=nope", "admin", nil), 404, "itemNotFound", "Volume type nope could not be found.")
	e.must(e.do("GET", "qos-specs/"+id+"/associate?vol_type_id="+tid, "admin", nil), 202)
	e.fault(e.do("GET", "qos-specs/"+def["id"].(string)+"/associate?vol_type_id="+tid, "admin", nil), 400, "badRequest",
		"Invalid volume type: Type "+tid+" is already associated with another qos specs: "+id)
	as := e.must(e.do("GET", "qos-specs/"+id+"/associations", "admin", nil), 200).JSON(t)["qos_associations"].([]any)
	if len(as) != 1 || as[0].(map[string]any)["id"] != tid || as[0].(map[string]any)["association_type"] != "volume_type" {
		t.Fatalf("associations %v", as)
	}
	if got := e.must(e.do("GET", "types/"+tid, "admin", nil), 200).JSON(t)["volume_type"].(map[string]any)["qos_specs_id"]; got != id {
		t.Fatalf("type qos_specs_id %v", got)
	}
	if _, ok := e.must(e.do("GET", "types/"+tid, "alice", nil), 200).JSON(t)["volume_type"].(map[string]any)["qos_specs_id"]; ok {
		t.Fatal("qos_specs_id shown to a member")
	}
	e.fault(e.do("DELETE", "qos-specs/"+id, "admin", nil), 400, "badRequest", "Qos specs still in use.")
	e.must(e.do("GET", "qos-specs/"+id+"/disassociate?vol_type_id="+tid, "admin", nil), 202)
	e.must(e.do("GET", "qos-specs/"+id+"/associate?vol_type_id="+tid, "admin", nil), 202)
	e.must(e.do("GET", "qos-specs/"+id+"/disassociate_all", "admin", nil), 202)
	if as := e.must(e.do("GET", "qos-specs/"+id+"/associations", "admin", nil), 200).JSON(t)["qos_associations"].([]any); len(as) != 0 {
		t.Fatalf("after disassociate_all %v", as)
	}
	e.must(e.do("GET", "qos-specs/"+id+"/associate?vol_type_id="+tid, "admin", nil), 202)
	e.must(e.do("DELETE", "qos-specs/"+id+"?force=True", "admin", nil), 202)
	e.fault(e.do("GET", "qos-specs/"+id, "admin", nil), 404, "itemNotFound", "No such QoS spec "+id+".")
	if got := e.must(e.do("GET", "types/"+tid, "admin", nil), 200).JSON(t)["volume_type"].(map[string]any)["qos_specs_id"]; got != nil {
		t.Fatalf("type keeps a deleted qos spec %v", got)
	}
	// deleting a type drops its association
	e.must(e.do("GET", "qos-specs/"+def["id"].(string)+"/associate?vol_type_id="+tid, "admin", nil), 202)
	e.must(e.do("DELETE", "types/"+tid, "admin", nil), 202)
	e.must(e.do("DELETE", "qos-specs/"+def["id"].(string), "admin", nil), 202)
}
