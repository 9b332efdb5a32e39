package identity_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stratus-iaas/stratus/internal/identity"
)

func TestCatalogWrites(t *testing.T) {
	var publicURL = "http://stratus.test"
	e := newEnv(t, func(o *identity.Options) { o.PublicURL = publicURL })
	admin := e.admin(t)
	v3 := "/identity/v3"
	projectID, _ := e.member(t, admin, "alice")
	alice := e.token(t, "alice", "alice-pw", "alice")

	r := e.mustDo(t, "POST", v3+"/services", admin, map[string]any{"service": map[string]any{"type": "dns", "name": "designate", "description": "DNS", "owner": "net"}}, 201)
	svc := get(r.json(t), "service", "id").(string)
	if !strings.Contains(r.body, `"owner":"net"`) || !strings.Contains(r.body, `"description":"DNS"`) {
		t.Fatalf("service: %s", r.body)
	}
	for _, c := range []struct {
		name string
		body map[string]any
		code int
	}{
		{"enabled as a string", map[string]any{"service_id": svc, "interface": "public", "url": "http://dns.test", "enabled": "False"}, 400},
		{"bad interface", map[string]any{"service_id": svc, "interface": "outside", "url": "http://dns.test"}, 400},
		{"no url", map[string]any{"service_id": svc, "interface": "public"}, 400},
		{"unknown service", map[string]any{"service_id": "nope", "interface": "public", "url": "http://dns.test"}, 400},
		{"unknown region_id", map[string]any{"service_id": svc, "interface": "public", "url": "http://dns.test", "region_id": "Mars"}, 400},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.mustDo(t, "POST", v3+"/endpoints", admin, map[string]any{"endpoint": c.body}, c.code)
		})
	}
	// The legacy region attribute creates the region.
	r = e.mustDo(t, "POST", v3+"/endpoints", admin, map[string]any{"endpoint": map[string]any{
		"service_id": svc, "interface": "public", "url": "http://dns.test/$(project_id)s", "region": "RegionTwo"}}, 201)
	ep := get(r.json(t), "endpoint", "id").(string)
	if get(r.json(t), "endpoint", "region") != "RegionTwo" {
		t.Fatalf("endpoint: %s", r.body)
	}
	e.mustDo(t, "GET", v3+"/regions/RegionTwo", alice, nil, 200)
	e.clock.Advance(0)
	catalog := func(tok string) string {
		t.Helper()
		return e.mustDo(t, "GET", v3+"/auth/catalog", tok, nil, 200).body
	}
	if c := catalog(alice); !strings.Contains(c, `"url":"http://dns.test/`+projectID+`"`) {
		t.Fatalf("new endpoint not in the catalog: %s", c)
	}
	e.mustDo(t, "PATCH", v3+"/endpoints/"+ep, admin, map[string]any{"endpoint": map[string]any{"enabled": false}}, 200)
	if c := catalog(alice); strings.Contains(c, "dns.test") {
		t.Fatalf("disabled endpoint in the catalog: %s", c)
	}
	e.mustDo(t, "PATCH", v3+"/endpoints/"+ep, admin, map[string]any{"endpoint": map[string]any{"enabled": true}}, 200)

	// OS-EP-FILTER: a project with associations sees only those.
	e.mustDo(t, "PUT", v3+"/OS-EP-FILTER/projects/"+projectID+"/endpoints/"+ep, admin, nil, 204)
	e.mustDo(t, "HEAD", v3+"/OS-EP-FILTER/projects/"+projectID+"/endpoints/"+ep, admin, nil, 204)
	if c := catalog(alice); !strings.Contains(c, "dns.test") || strings.Contains(c, "/compute") {
		t.Fatalf("filtered catalog: %s", c)
	}
	if r := e.mustDo(t, "GET", v3+"/OS-EP-FILTER/projects/"+projectID+"/endpoints", admin, nil, 200); !strings.Contains(r.body, ep) {
		t.Fatalf("project endpoints: %s", r.body)
	}
	if r := e.mustDo(t, "GET", v3+"/OS-EP-FILTER/endpoints/"+ep+"/projects", admin, nil, 200); !strings.Contains(r.body, projectID) {
		t.Fatalf("endpoint projects: %s", r.body)
	}
	e.mustDo(t, "GET", v3+"/OS-EP-FILTER/projects/"+projectID+"/endpoints", alice, nil, 403)
	e.mustDo(t, "DELETE", v3+"/OS-EP-FILTER/projects/"+projectID+"/endpoints/"+ep, admin, nil, 204)
	e.mustDo(t, "DELETE", v3+"/OS-EP-FILTER/projects/"+projectID+"/endpoints/"+ep, admin, nil, 404)
	if c := catalog(alice); !strings.Contains(c, "/compute") {
		t.Fatalf("catalog after removing the filter: %s", c)
	}

	// Regions: hierarchy without cycles; a region with endpoints stays.
	e.mustDo(t, "POST", v3+"/regions", admin, map[string]any{"region": map[string]any{"id": "eu", "description": "Europe"}}, 201)
	e.mustDo(t, "PUT", v3+"/regions/eu-west", admin, map[string]any{"region": map[string]any{"parent_region_id": "eu"}}, 201)
	e.mustDo(t, "POST", v3+"/regions", admin, map[string]any{"region": map[string]any{"id": "eu"}}, 409)
	e.mustDo(t, "POST", v3+"/regions", admin, map[string]any{"region": map[string]any{"parent_region_id": "nowhere"}}, 404)
	e.mustDo(t, "PATCH", v3+"/regions/eu", admin, map[string]any{"region": map[string]any{"parent_region_id": "eu-west"}}, 400)
	if r := e.mustDo(t, "GET", v3+"/regions?parent_region_id=eu", admin, nil, 200); !strings.Contains(r.body, `"id":"eu-west"`) || strings.Contains(r.body, `"id":"eu"`) {
		t.Fatalf("region filter: %s", r.body)
	}
	e.mustDo(t, "DELETE", v3+"/regions/RegionTwo", admin, nil, 403)
	e.mustDo(t, "DELETE", v3+"/regions/eu", admin, nil, 204)
	e.mustDo(t, "GET", v3+"/regions/eu-west", admin, nil, 404)

	// Deleting a service deletes its endpoints; a deleted built-in service
	// is not seeded again at the next start.
	e.mustDo(t, "DELETE", v3+"/services/"+svc, admin, nil, 204)
	e.mustDo(t, "GET", v3+"/endpoints/"+ep, admin, nil, 404)
	r = e.mustDo(t, "GET", v3+"/services?type=compute", admin, nil, 200)
	nova := get(r.json(t)["services"].([]any)[0], "id").(string)
	e.mustDo(t, "DELETE", v3+"/services/"+nova, admin, nil, 204)
	if _, _, err := e.svc.Bootstrap(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	if r := e.mustDo(t, "GET", v3+"/services?type=compute", admin, nil, 200); strings.Contains(r.body, nova) {
		t.Fatalf("a deleted built-in service came back: %s", r.body)
	}
	if c := catalog(alice); strings.Contains(c, "compute") || !strings.Contains(c, `"url":"`+publicURL+`/identity"`) {
		t.Fatalf("catalog after the restart: %s", c)
	}
	// Members read the catalog but do not write it.
	e.mustDo(t, "GET", v3+"/endpoints", alice, nil, 200)
	e.mustDo(t, "POST", v3+"/regions", alice, map[string]any{"region": map[string]any{}}, 403)
	e.mustDo(t, "DELETE", v3+"/services/"+nova, admin, nil, 404)
}

func TestEndpointGroupsAndPolicies(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	v3 := "/identity/v3"
	projectID, _ := e.member(t, admin, "alice")
	alice := e.token(t, "alice", "alice-pw", "alice")
	r := e.mustDo(t, "GET", v3+"/services?type=compute", admin, nil, 200)
	nova := get(r.json(t)["services"].([]any)[0], "id").(string)

	groups := v3 + "/OS-EP-FILTER/endpoint_groups"
	e.mustDo(t, "POST", groups, admin, map[string]any{"endpoint_group": map[string]any{"name": "g", "filters": map[string]any{}}}, 400)
	e.mustDo(t, "POST", groups, admin, map[string]any{"endpoint_group": map[string]any{"name": "g", "filters": map[string]any{"url": "x"}}}, 400)
	r = e.mustDo(t, "POST", groups, admin, map[string]any{"endpoint_group": map[string]any{"name": "compute-public", "description": "d",
		"filters": map[string]any{"service_id": nova, "interface": "public"}}}, 201)
	g := get(r.json(t), "endpoint_group", "id").(string)
	e.mustDo(t, "HEAD", groups+"/"+g, admin, nil, 200)
	if r := e.mustDo(t, "GET", groups+"/"+g+"/endpoints", admin, nil, 200); len(r.json(t)["endpoints"].([]any)) != 1 {
		t.Fatalf("group endpoints: %s", r.body)
	}
	e.mustDo(t, "PUT", groups+"/"+g+"/projects/"+projectID, admin, nil, 204)
	e.mustDo(t, "HEAD", groups+"/"+g+"/projects/"+projectID, admin, nil, 200)
	if r := e.mustDo(t, "GET", v3+"/OS-EP-FILTER/projects/"+projectID+"/endpoint_groups", admin, nil, 200); !strings.Contains(r.body, g) {
		t.Fatalf("project's groups: %s", r.body)
	}
	c := e.mustDo(t, "GET", v3+"/auth/catalog", alice, nil, 200).body
	if !strings.Contains(c, `"interface":"public"`) || strings.Contains(c, `"interface":"internal"`) || strings.Contains(c, `"type":"identity"`) {
		t.Fatalf("catalog limited by the endpoint group: %s", c)
	}
	e.mustDo(t, "PATCH", groups+"/"+g, admin, map[string]any{"endpoint_group": map[string]any{"filters": map[string]any{"service_id": nova}}}, 200)
	if c := e.mustDo(t, "GET", v3+"/auth/catalog", alice, nil, 200).body; !strings.Contains(c, `"interface":"internal"`) {
		t.Fatalf("catalog after widening the group: %s", c)
	}
	if r := e.mustDo(t, "GET", groups+"/"+g+"/projects", admin, nil, 200); !strings.Contains(r.body, `"id":"`+projectID+`"`) {
		t.Fatalf("group's projects: %s", r.body)
	}
	e.mustDo(t, "DELETE", groups+"/"+g+"/projects/"+projectID, admin, nil, 204)
	r = e.mustDo(t, "DELETE", groups+"/"+g+"/projects/"+projectID, admin, nil, 404)
	if want := "Could not find project endpoint group with endpoint group: " + g + ", project: " + projectID + "."; !strings.Contains(r.body, want) {
		t.Fatalf("second removal: %s", r.body)
	}
	e.mustDo(t, "GET", groups+"/"+g+"/projects/"+projectID, admin, nil, 404)
	e.mustDo(t, "PUT", groups+"/"+g+"/projects/"+projectID, admin, nil, 204)
	e.mustDo(t, "DELETE", groups+"/"+g, admin, nil, 204)
	if c := e.mustDo(t, "GET", v3+"/auth/catalog", alice, nil, 200).body; !strings.Contains(c, `"type":"identity"`) {
		t.Fatalf("catalog after deleting the group: %s", c)
	}
	e.mustDo(t, "GET", groups, alice, nil, 403)

	r = e.mustDo(t, "POST", v3+"/policies", admin, map[string]any{"policy": map[string]any{"type": "application/json", "blob": `{"a":"b"}`, "x": 1}}, 201)
	pid := get(r.json(t), "policy", "id").(string)
	e.mustDo(t, "PATCH", v3+"/policies/"+pid, admin, map[string]any{"policy": map[string]any{"blob": `{}`}}, 200)
	if r := e.mustDo(t, "GET", v3+"/policies", admin, nil, 200); !strings.Contains(r.body, pid) || !strings.Contains(r.body, `"blob":"{}"`) {
		t.Fatalf("policies: %s", r.body)
	}
	e.mustDo(t, "POST", v3+"/policies", admin, map[string]any{"policy": map[string]any{"type": "x"}}, 400)
	e.mustDo(t, "DELETE", v3+"/policies/"+pid, admin, nil, 204)
	e.mustDo(t, "GET", v3+"/policies/"+pid, admin, nil, 404)
}
