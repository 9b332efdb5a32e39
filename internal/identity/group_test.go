package identity_test

import (
	"slices"
	"sort"
	"strings"
	"testing"
)

// tokenRoles issues a token with the given auth body and returns its
// role names, sorted; nil when refused.
func (e *env) tokenRoles(t *testing.T, body string) []string {
	t.Helper()
	r := e.do(t, "POST", "/identity/v3/auth/tokens", "", body)
	if r.code != 201 {
		return nil
	}
	var names []string
	for _, x := range get(r.json(t), "token", "roles").([]any) {
		names = append(names, x.(map[string]any)["name"].(string))
	}
	sort.Strings(names)
	if names == nil {
		names = []string{}
	}
	return names
}

func (e *env) mustDo(t *testing.T, method, path, tok string, body any, want int, extra ...string) resp {
	t.Helper()
	r := e.do(t, method, path, tok, body, extra...)
	if r.code != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, r.code, want, r.body)
	}
	return r
}

func TestGroups(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	projectID, aliceID := e.member(t, admin, "alice")
	_, bobID := e.member(t, admin, "bob")
	g := e.create(t, admin, "group", map[string]any{"name": "ops", "description": "d", "domain_id": "default", "project_id": projectID})
	v3 := "/identity/v3"

	r := e.mustDo(t, "GET", v3+"/groups/"+g, admin, nil, 200)
	if grp := r.json(t)["group"].(map[string]any); grp["project_id"] != projectID || grp["domain_id"] != "default" || grp["description"] != "d" {
		t.Fatalf("extra attribute or fields lost: %v", grp)
	}
	e.mustDo(t, "POST", v3+"/groups", admin, map[string]any{"group": map[string]any{"name": "ops", "domain_id": "default"}}, 409)
	e.mustDo(t, "PATCH", v3+"/groups/"+g, admin, map[string]any{"group": map[string]any{"name": "ops2"}}, 200)
	e.mustDo(t, "PATCH", v3+"/groups/"+g, admin, map[string]any{"group": map[string]any{"domain_id": "other"}}, 400)

	e.mustDo(t, "PUT", v3+"/groups/"+g+"/users/"+aliceID, admin, nil, 204)
	e.mustDo(t, "HEAD", v3+"/groups/"+g+"/users/"+aliceID, admin, nil, 204)
	e.mustDo(t, "HEAD", v3+"/groups/"+g+"/users/"+bobID, admin, nil, 404)
	e.mustDo(t, "PUT", v3+"/groups/"+g+"/users/nope", admin, nil, 404)
	r = e.mustDo(t, "GET", v3+"/groups/"+g+"/users", admin, nil, 200)
	if !strings.Contains(r.body, aliceID) || strings.Contains(r.body, bobID) {
		t.Fatalf("group users: %s", r.body)
	}
	r = e.mustDo(t, "GET", v3+"/users/"+aliceID+"/groups", e.token(t, "alice", "alice-pw", "alice"), nil, 200)
	if !strings.Contains(r.body, g) || !strings.Contains(r.body, `"membership_expires_at":null`) {
		t.Fatalf("user groups: %s", r.body)
	}

	// A role granted to the group reaches its members' tokens.
	ops := e.create(t, admin, "role", map[string]any{"name": "operator"})
	e.mustDo(t, "PUT", v3+"/projects/"+projectID+"/groups/"+g+"/roles/"+ops, admin, nil, 204)
	e.mustDo(t, "HEAD", v3+"/projects/"+projectID+"/groups/"+g+"/roles/"+ops, admin, nil, 204)
	if got := e.tokenRoles(t, passwordAuth("alice", "alice-pw", projectScope("alice"))); !slices.Equal(got, []string{"member", "operator", "reader"}) {
		t.Fatalf("alice's roles through the group: %v", got)
	}
	r = e.mustDo(t, "GET", v3+"/role_assignments?effective&user.id="+aliceID+"&role.id="+ops, admin, nil, 200)
	if !strings.Contains(r.body, `"membership":"http://stratus.test/identity/v3/groups/`+g+`/users/`+aliceID+`"`) {
		t.Fatalf("effective assignment through the group: %s", r.body)
	}
	r = e.mustDo(t, "GET", v3+"/role_assignments?group.id="+g, admin, nil, 200)
	if !strings.Contains(r.body, `"group":{"id":"`+g+`"}`) {
		t.Fatalf("group assignment: %s", r.body)
	}
	e.mustDo(t, "GET", v3+"/role_assignments?effective&group.id="+g, admin, nil, 400)

	// Bob gets the role by joining; leaving takes it away.
	_, _ = bobID, projectID
	e.mustDo(t, "DELETE", v3+"/groups/"+g+"/users/"+aliceID, admin, nil, 204)
	if got := e.tokenRoles(t, passwordAuth("alice", "alice-pw", projectScope("alice"))); !slices.Equal(got, []string{"member", "reader"}) {
		t.Fatalf("alice's roles after leaving: %v", got)
	}
	// A group's domain role lets its members scope to the domain.
	e.mustDo(t, "PUT", v3+"/groups/"+g+"/users/"+bobID, admin, nil, 204)
	e.mustDo(t, "PUT", v3+"/domains/default/groups/"+g+"/roles/"+ops, admin, nil, 204)
	bob := e.token(t, "bob", "bob-pw", "bob")
	r = e.mustDo(t, "GET", v3+"/auth/domains", bob, nil, 200)
	if !strings.Contains(r.body, `"id":"default"`) {
		t.Fatalf("auth/domains through a group: %s", r.body)
	}
	e.mustDo(t, "DELETE", v3+"/groups/"+g, admin, nil, 204)
	e.mustDo(t, "GET", v3+"/groups/"+g, admin, nil, 404)
	r = e.mustDo(t, "GET", v3+"/role_assignments?role.id="+ops, admin, nil, 200)
	if strings.Contains(r.body, g) {
		t.Fatalf("assignments outlived the group: %s", r.body)
	}
}

func TestInheritedAndSystemGrants(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	v3 := "/identity/v3"
	dom := e.create(t, admin, "domain", map[string]any{"name": "corp"})
	top := e.create(t, admin, "project", map[string]any{"name": "top", "domain_id": dom})
	leaf := e.create(t, admin, "project", map[string]any{"name": "leaf", "domain_id": dom, "parent_id": top})
	u := e.create(t, admin, "user", map[string]any{"name": "carol", "domain_id": dom, "password": "carol-pw"})
	viewer := e.create(t, admin, "role", map[string]any{"name": "viewer"})
	scope := func(p string) string { return `{"project":{"name":"` + p + `","domain":{"id":"` + dom + `"}}}` }
	auth := func(s string) string {
		return `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"carol","domain":{"id":"` + dom + `"},"password":"carol-pw"}}},"scope":` + s + `}}`
	}

	// Inherited on the top project: applies to leaf, not to top itself.
	inh := v3 + "/OS-INHERIT/projects/" + top + "/users/" + u + "/roles/" + viewer + "/inherited_to_projects"
	e.mustDo(t, "PUT", inh, admin, nil, 204)
	e.mustDo(t, "HEAD", inh, admin, nil, 204)
	if got := e.tokenRoles(t, auth(scope("leaf"))); !slices.Equal(got, []string{"viewer"}) {
		t.Fatalf("leaf roles: %v", got)
	}
	if got := e.tokenRoles(t, auth(scope("top"))); got != nil {
		t.Fatalf("an inherited grant applied to its own project: %v", got)
	}
	r := e.mustDo(t, "GET", v3+"/role_assignments?scope.OS-INHERIT:inherited_to=projects", admin, nil, 200)
	if !strings.Contains(r.body, `"OS-INHERIT:inherited_to":"projects"`) || !strings.Contains(r.body, "/inherited_to_projects") {
		t.Fatalf("inherited listing: %s", r.body)
	}
	r = e.mustDo(t, "GET", v3+"/role_assignments?effective&scope.project.id="+leaf, admin, nil, 200)
	if !strings.Contains(r.body, `"project":{"id":"`+leaf+`"}`) {
		t.Fatalf("effective on leaf: %s", r.body)
	}
	r = e.mustDo(t, "GET", v3+"/role_assignments?include_subtree=true&scope.project.id="+top+"&effective", admin, nil, 200)
	if !strings.Contains(r.body, leaf) {
		t.Fatalf("include_subtree: %s", r.body)
	}
	e.mustDo(t, "GET", v3+"/role_assignments?include_subtree=true", admin, nil, 400)
	e.mustDo(t, "DELETE", inh, admin, nil, 204)
	if got := e.tokenRoles(t, auth(scope("leaf"))); got != nil {
		t.Fatalf("revoked inherited grant still applies: %v", got)
	}

	// Inherited on the domain: every project of it, not the domain.
	dinh := v3 + "/OS-INHERIT/domains/" + dom + "/users/" + u + "/roles/" + viewer + "/inherited_to_projects"
	e.mustDo(t, "PUT", dinh, admin, nil, 204)
	r = e.mustDo(t, "GET", v3+"/OS-INHERIT/domains/"+dom+"/users/"+u+"/roles/inherited_to_projects", admin, nil, 200)
	if !strings.Contains(r.body, viewer) {
		t.Fatalf("inherited domain grants list: %s", r.body)
	}
	for _, p := range []string{"top", "leaf"} {
		if got := e.tokenRoles(t, auth(scope(p))); !slices.Equal(got, []string{"viewer"}) {
			t.Fatalf("%s roles from the domain: %v", p, got)
		}
	}
	if got := e.tokenRoles(t, auth(`{"domain":{"id":"`+dom+`"}}`)); got != nil {
		t.Fatalf("inherited domain grant applied to the domain: %v", got)
	}

	// System scope: roles on the system, a system token, cloud admin.
	e.mustDo(t, "PUT", v3+"/system/users/"+u+"/roles/"+viewer, admin, nil, 204)
	r = e.mustDo(t, "GET", v3+"/system/users/"+u+"/roles", admin, nil, 200)
	if !strings.Contains(r.body, viewer) {
		t.Fatalf("system roles: %s", r.body)
	}
	r = e.mustDo(t, "POST", v3+"/auth/tokens", "", auth(`{"system":{"all":true}}`), 201)
	if !strings.Contains(r.body, `"system":{"all":true}`) {
		t.Fatalf("system token: %s", r.body)
	}
	sysTok := r.hdr.Get("X-Subject-Token")
	e.mustDo(t, "GET", v3+"/users", sysTok, nil, 403) // viewer is not admin
	adminRole := e.roleID(t, admin, "admin")
	e.mustDo(t, "PUT", v3+"/system/users/"+u+"/roles/"+adminRole, admin, nil, 204)
	sysAdmin := e.mustDo(t, "POST", v3+"/auth/tokens", "", auth(`{"system":{"all":true}}`), 201).hdr.Get("X-Subject-Token")
	e.mustDo(t, "GET", v3+"/users", sysAdmin, nil, 200)
	r = e.mustDo(t, "GET", v3+"/auth/system", sysAdmin, nil, 200)
	if !strings.Contains(r.body, `"system":[{"all":true}]`) {
		t.Fatalf("auth/system: %s", r.body)
	}
	if r := e.mustDo(t, "GET", v3+"/auth/system", admin, nil, 200); !strings.Contains(r.body, `"system":[]`) {
		t.Fatalf("auth/system without system roles: %s", r.body)
	}
	r = e.mustDo(t, "GET", v3+"/role_assignments?scope.system=all", admin, nil, 200)
	if !strings.Contains(r.body, `"system":{"all":true}`) {
		t.Fatalf("system assignments: %s", r.body)
	}
	// A domain-specific role cannot go on the system, nor on another domain's project.
	dr := e.create(t, admin, "role", map[string]any{"name": "local", "domain_id": dom})
	e.mustDo(t, "PUT", v3+"/system/users/"+u+"/roles/"+dr, admin, nil, 400)
	_, aliceID := e.member(t, admin, "alice")
	e.mustDo(t, "PUT", v3+"/projects/"+e.projectID(t, admin, "alice")+"/users/"+aliceID+"/roles/"+dr, admin, nil, 403)
}
