package identity_test

import (
	"context"
	"strings"
	"testing"
)

func TestUnifiedLimits(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	v3 := "/identity/v3"
	projectID, _ := e.member(t, admin, "alice")
	otherID, _ := e.member(t, admin, "bob")
	alice := e.token(t, "alice", "alice-pw", "alice")
	r := e.mustDo(t, "GET", v3+"/services?type=compute", admin, nil, 200)
	svc := get(r.json(t)["services"].([]any)[0], "id").(string)

	r = e.mustDo(t, "GET", v3+"/limits/model", alice, nil, 200)
	if get(r.json(t), "model", "name") != "flat" {
		t.Fatalf("model: %s", r.body)
	}
	reg := func(name string, def int) map[string]any {
		return map[string]any{"service_id": svc, "resource_name": name, "default_limit": def}
	}
	r = e.mustDo(t, "POST", v3+"/registered_limits", admin, map[string]any{"registered_limits": []any{reg("cores", 20), reg("ram_mb", 51200)}}, 201)
	regID := get(r.json(t)["registered_limits"].([]any)[0], "id").(string)
	for _, c := range []struct {
		name string
		body any
		code int
	}{
		{"duplicate", map[string]any{"registered_limits": []any{reg("cores", 5)}}, 409},
		{"unknown service", map[string]any{"registered_limits": []any{map[string]any{"service_id": "nope", "resource_name": "x", "default_limit": 1}}}, 400},
		{"unknown region", map[string]any{"registered_limits": []any{map[string]any{"service_id": svc, "region_id": "Mars", "resource_name": "x", "default_limit": 1}}}, 400},
		{"no limit", map[string]any{"registered_limits": []any{map[string]any{"service_id": svc, "resource_name": "x"}}}, 400},
		{"empty list", map[string]any{"registered_limits": []any{}}, 400},
	} {
		t.Run(c.name, func(t *testing.T) { e.mustDo(t, "POST", v3+"/registered_limits", admin, c.body, c.code) })
	}
	e.mustDo(t, "POST", v3+"/registered_limits", alice, map[string]any{"registered_limits": []any{reg("gpus", 1)}}, 403)
	if r := e.mustDo(t, "GET", v3+"/registered_limits?resource_name=cores", alice, nil, 200); len(r.json(t)["registered_limits"].([]any)) != 1 {
		t.Fatalf("registered list: %s", r.body)
	}

	// A project limit needs a registered one.
	e.mustDo(t, "POST", v3+"/limits", admin, map[string]any{"limits": []any{map[string]any{"project_id": projectID, "service_id": svc, "resource_name": "gpus", "resource_limit": 2}}}, 403)
	r = e.mustDo(t, "POST", v3+"/limits", admin, map[string]any{"limits": []any{
		map[string]any{"project_id": projectID, "service_id": svc, "resource_name": "cores", "resource_limit": 8},
		map[string]any{"project_id": otherID, "service_id": svc, "resource_name": "cores", "resource_limit": 4}}}, 201)
	limID := get(r.json(t)["limits"].([]any)[0], "id").(string)
	otherLim := get(r.json(t)["limits"].([]any)[1], "id").(string)
	if r := e.mustDo(t, "GET", v3+"/limits", alice, nil, 200); strings.Contains(r.body, otherID) || !strings.Contains(r.body, projectID) {
		t.Fatalf("alice sees another project's limits: %s", r.body)
	}
	e.mustDo(t, "GET", v3+"/limits/"+otherLim, alice, nil, 403)
	e.mustDo(t, "GET", v3+"/limits/"+limID, alice, nil, 200)
	e.mustDo(t, "PATCH", v3+"/limits/"+limID, admin, map[string]any{"limit": map[string]any{"resource_limit": 10}}, 200)
	e.mustDo(t, "PATCH", v3+"/limits/"+limID, admin, map[string]any{"limit": map[string]any{"project_id": otherID}}, 400)
	e.mustDo(t, "DELETE", v3+"/registered_limits/"+regID, admin, nil, 403) // in use
	r = e.mustDo(t, "PATCH", v3+"/registered_limits/"+regID, admin, map[string]any{"registered_limit": map[string]any{"resource_name": "vcpus"}}, 403)
	if !strings.Contains(r.body, "because there are project limits associated with it") {
		t.Fatalf("rename in use: %s", r.body)
	}
	r = e.mustDo(t, "PATCH", v3+"/registered_limits/"+regID, admin, map[string]any{"registered_limit": map[string]any{"default_limit": 24, "description": "d"}}, 200)
	if get(r.json(t), "registered_limit", "default_limit") != float64(24) || get(r.json(t), "registered_limit", "description") != "d" {
		t.Fatalf("registered limit update: %s", r.body)
	}
	e.mustDo(t, "PATCH", v3+"/registered_limits/nope", admin, map[string]any{"registered_limit": map[string]any{"default_limit": 1}}, 404)

	// Other services read the effective limit.
	ctx := context.Background()
	for _, c := range []struct {
		project, resource string
		want              int64
		ok                bool
	}{
		{projectID, "cores", 10, true},
		{otherID, "cores", 4, true},
		{projectID, "ram_mb", 51200, true},
		{projectID, "gpus", 0, false},
	} {
		got, ok, err := e.svc.Limit(ctx, "compute", "RegionOne", c.project, c.resource)
		if err != nil || got != c.want || ok != c.ok {
			t.Fatalf("Limit(%s, %s) = %d, %v, %v; want %d, %v", c.project, c.resource, got, ok, err, c.want, c.ok)
		}
	}
	e.mustDo(t, "DELETE", v3+"/limits/"+limID, admin, nil, 204)
	e.mustDo(t, "DELETE", v3+"/limits/"+otherLim, admin, nil, 204)
	e.mustDo(t, "DELETE", v3+"/registered_limits/"+regID, admin, nil, 204)
	e.mustDo(t, "GET", v3+"/registered_limits/"+regID, admin, nil, 404)
}
