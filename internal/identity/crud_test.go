package identity_test

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestPolicy(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	projectID, aliceID := e.member(t, admin, "alice")
	_, bobID := e.member(t, admin, "bob")
	alice := e.token(t, "alice", "alice-pw", "alice")
	tests := []struct {
		name, method, path, token string
		body                      any
		code                      int
	}{
		{"no token", "GET", "/identity/v3/users", "", nil, 401},
		{"member cannot create users", "POST", "/identity/v3/users", alice, `{"user":{"name":"eve"}}`, 403},
		{"member cannot list users", "GET", "/identity/v3/users", alice, nil, 403},
		{"member cannot create projects", "POST", "/identity/v3/projects", alice, `{"project":{"name":"p"}}`, 403},
		{"member cannot grant", "PUT", "/identity/v3/projects/" + projectID + "/users/" + aliceID + "/roles/" + e.roleID(t, admin, "admin"), alice, nil, 403},
		{"member reads itself", "GET", "/identity/v3/users/" + aliceID, alice, nil, 200},
		{"member cannot read others", "GET", "/identity/v3/users/" + bobID, alice, nil, 403},
		{"member lists own projects", "GET", "/identity/v3/users/" + aliceID + "/projects", alice, nil, 200},
		{"member cannot list others' projects", "GET", "/identity/v3/users/" + bobID + "/projects", alice, nil, 403},
		{"member reads own project", "GET", "/identity/v3/projects/" + projectID, alice, nil, 200},
		{"auth/projects", "GET", "/identity/v3/auth/projects", alice, nil, 200},
		{"admin creates users", "POST", "/identity/v3/users", admin, `{"user":{"name":"eve","domain_id":"default"}}`, 201},
		{"catalog read", "GET", "/identity/v3/services", alice, nil, 200},
		{"member cannot write the catalog", "POST", "/identity/v3/services", alice, `{"service":{"type":"x"}}`, 403},
		{"oauth1 not implemented", "GET", "/identity/v3/OS-OAUTH1/consumers", admin, nil, 501},
		{"federation not implemented", "GET", "/identity/v3/OS-FEDERATION/identity_providers", admin, nil, 501},
		{"domain config not implemented", "PUT", "/identity/v3/domains/default/config", admin, `{"config":{}}`, 501},
		{"domain config group not implemented", "GET", "/identity/v3/domains/default/config/identity", admin, nil, 501},
		{"default domain config not implemented", "GET", "/identity/v3/domains/config/default", admin, nil, 501},
		{"domain still readable beside config", "GET", "/identity/v3/domains/default", admin, nil, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, tc.method, tc.path, tc.token, tc.body)
			if r.code != tc.code {
				t.Fatalf("%d, want %d: %s", r.code, tc.code, r.body)
			}
			if r.code == 403 && !strings.Contains(r.body, `"title":"Forbidden"`) {
				t.Fatalf("403 body: %s", r.body)
			}
		})
	}
	// Own password change: original password required, old tokens revoked.
	path := "/identity/v3/users/" + aliceID + "/password"
	if r := e.do(t, "POST", path, alice, `{"user":{"password":"new","original_password":"bad"}}`); r.code != 401 {
		t.Fatalf("wrong original: %d %s", r.code, r.body)
	}
	if r := e.do(t, "POST", "/identity/v3/users/"+bobID+"/password", alice, `{"user":{"password":"new","original_password":"bob-pw"}}`); r.code != 403 {
		t.Fatalf("other's password: %d %s", r.code, r.body)
	}
	if r := e.do(t, "POST", path, alice, `{"user":{"password":"new","original_password":"alice-pw"}}`); r.code != 204 {
		t.Fatalf("change password: %d %s", r.code, r.body)
	}
	if r := e.do(t, "GET", "/identity/v3/auth/projects", alice, nil); r.code != 401 {
		t.Fatalf("token survived password change: %d", r.code)
	}
	e.clock.Advance(time.Millisecond)
	e.token(t, "alice", "new", "alice")
}

func TestCRUD(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	base := "/identity/v3"

	// Domains.
	domID := e.create(t, admin, "domain", map[string]any{"name": "acme", "description": "d"})
	r := e.do(t, "POST", base+"/domains", admin, `{"domain":{"name":"acme"}}`)
	if r.code != 409 || !strings.Contains(r.body, `"message":"Conflict occurred attempting to store project - it is not permitted to have two projects acting as domains with the same name: acme."`) {
		t.Fatalf("dup domain: %d %s", r.code, r.body)
	}
	if r := e.do(t, "DELETE", base+"/domains/"+domID, admin, nil); r.code != 403 {
		t.Fatalf("delete enabled domain: %d %s", r.code, r.body)
	}

	// Projects: names unique per domain.
	p1 := e.create(t, admin, "project", map[string]any{"name": "web", "domain_id": "default", "description": "x"})
	e.create(t, admin, "project", map[string]any{"name": "web", "domain_id": domID})
	r = e.do(t, "POST", base+"/projects", admin, `{"project":{"name":"web","domain_id":"default"}}`)
	if r.code != 409 || !regexp.MustCompile(`"message":"Conflict occurred attempting to store project - it is not permitted to have two projects with either the same name or same id in the same domain: name is web, project id [0-9a-f]{32}."`).MatchString(r.body) {
		t.Fatalf("dup project: %d %s", r.code, r.body)
	}
	if r := e.do(t, "POST", base+"/projects", admin, `{"project":{}}`); r.code != 400 || !strings.Contains(r.body, "'name' is a required property") {
		t.Fatalf("no name: %d %s", r.code, r.body)
	}
	r = e.do(t, "GET", base+"/projects/"+p1, admin, nil)
	pr := r.json(t)["project"].(map[string]any)
	if pr["name"] != "web" || pr["parent_id"] != "default" || pr["is_domain"] != false || get(pr, "links", "self") != "http://stratus.test/identity/v3/projects/"+p1 {
		t.Fatalf("project: %s", r.body)
	}
	if r := e.do(t, "GET", base+"/projects/nope", admin, nil); r.code != 404 || !strings.Contains(r.body, "Could not find project: nope.") {
		t.Fatalf("missing project: %d %s", r.code, r.body)
	}

	// Filters and collection links.
	for _, tc := range []struct {
		query string
		n     int
	}{
		{"", 3}, {"?name=web", 2}, {"?domain_id=" + domID, 1}, {"?name=web&domain_id=default", 1}, {"?enabled=false", 0}, {"?enabled=true", 3},
	} {
		r := e.do(t, "GET", base+"/projects"+tc.query, admin, nil)
		m := r.json(t)
		if got := len(m["projects"].([]any)); got != tc.n {
			t.Fatalf("projects%s: %d, want %d", tc.query, got, tc.n)
		}
		if get(m, "links", "self") != "http://stratus.test/identity/v3/projects"+tc.query || !strings.Contains(r.body, `"next":null`) || !strings.Contains(r.body, `"previous":null`) {
			t.Fatalf("links: %s", r.body)
		}
	}
	if r := e.do(t, "PATCH", base+"/projects/"+p1, admin, `{"project":{"name":"web2","enabled":false}}`); r.code != 200 || get(r.json(t), "project", "enabled") != false {
		t.Fatalf("patch project: %d %s", r.code, r.body)
	}

	// Users: extra attributes are kept; passwords never shown.
	u1 := e.create(t, admin, "user", map[string]any{"name": "carol", "password": "pw", "email": "c@x", "default_project_id": p1})
	r = e.do(t, "GET", base+"/users/"+u1, admin, nil)
	if u := r.json(t)["user"].(map[string]any); u["email"] != "c@x" || u["default_project_id"] != p1 || u["domain_id"] != "default" ||
		u["password"] != nil || strings.Contains(r.body, "$2a$") {
		t.Fatalf("user: %s", r.body)
	}
	if r := e.do(t, "POST", base+"/users", admin, `{"user":{"name":"dave","password":"`+strings.Repeat("x", 73)+`"}}`); r.code != 400 {
		t.Fatalf("73-byte password: %d %s", r.code, r.body)
	}
	if r := e.do(t, "POST", base+"/users", admin, `{"user":{"name":"carol"}}`); r.code != 409 ||
		!strings.Contains(r.body, "Conflict occurred attempting to store user - Duplicate entry found with name carol at domain ID default.") {
		t.Fatalf("dup user: %d %s", r.code, r.body)
	}
	if n := len(e.do(t, "GET", base+"/users?name=carol", admin, nil).json(t)["users"].([]any)); n != 1 {
		t.Fatalf("users?name: %d", n)
	}
	if n := len(e.do(t, "GET", base+"/users?domain_id="+domID, admin, nil).json(t)["users"].([]any)); n != 0 {
		t.Fatalf("users?domain_id: %d", n)
	}

	// Roles.
	roleID := e.create(t, admin, "role", map[string]any{"name": "operator"})
	if r := e.do(t, "POST", base+"/roles", admin, `{"role":{"name":"operator"}}`); r.code != 409 {
		t.Fatalf("dup role: %d %s", r.code, r.body)
	}
	if n := len(e.do(t, "GET", base+"/roles", admin, nil).json(t)["roles"].([]any)); n != 4 {
		t.Fatalf("roles: %d", n)
	}

	// Deletes.
	for _, path := range []string{"/users/" + u1, "/roles/" + roleID, "/projects/" + p1} {
		if r := e.do(t, "DELETE", base+path, admin, nil); r.code != 204 {
			t.Fatalf("delete %s: %d %s", path, r.code, r.body)
		}
		if r := e.do(t, "GET", base+path, admin, nil); r.code != 404 {
			t.Fatalf("get deleted %s: %d", path, r.code)
		}
	}
	if r := e.do(t, "PATCH", base+"/domains/"+domID, admin, `{"domain":{"enabled":false}}`); r.code != 200 {
		t.Fatalf("disable domain: %d %s", r.code, r.body)
	}
	if r := e.do(t, "DELETE", base+"/domains/"+domID, admin, nil); r.code != 204 {
		t.Fatalf("delete domain: %d %s", r.code, r.body)
	}
}

func TestRoleAssignments(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	base := "/identity/v3"
	projectID, userID := e.member(t, admin, "alice")
	readerID := e.roleID(t, admin, "reader")
	memberID := e.roleID(t, admin, "member")
	grant := base + "/projects/" + projectID + "/users/" + userID + "/roles/"
	alice := e.token(t, "alice", "alice-pw", "alice")

	steps := []struct {
		name, method, path string
		code               int
		want               string
	}{
		{"put reader", "PUT", grant + readerID, 204, ""},
		{"put again is fine", "PUT", grant + readerID, 204, ""},
		{"head", "HEAD", grant + readerID, 204, ""},
		{"list", "GET", base + "/projects/" + projectID + "/users/" + userID + "/roles", 200, `"name":"reader"`},
		{"unknown role", "PUT", grant + "nope", 404, "Could not find role: nope."},
		{"unknown user", "PUT", base + "/projects/" + projectID + "/users/nope/roles/" + readerID, 404, "Could not find user: nope."},
		{"delete", "DELETE", grant + readerID, 204, ""},
		{"head gone", "HEAD", grant + readerID, 404, ""},
		{"delete gone", "DELETE", grant + readerID, 404, "Could not find role assignment with role: " + readerID + ", user or group: " + userID + ", project, domain, or system: " + projectID + "."},
		{"domain grant", "PUT", base + "/domains/default/users/" + userID + "/roles/" + readerID, 204, ""},
		{"domain list", "GET", base + "/domains/default/users/" + userID + "/roles", 200, `"name":"reader"`},
		{"assignments by user", "GET", base + "/role_assignments?user.id=" + userID, 200, `"scope":{"domain":{"id":"default"}}`},
		{"assignments by project", "GET", base + "/role_assignments?scope.project.id=" + projectID + "&include_names", 200,
			`"scope":{"project":{"domain":{"id":"default","name":"Default"},"id":"` + projectID + `","name":"alice"}}`},
		{"assignments effective", "GET", base + "/role_assignments?effective&user.id=" + userID, 200, `"assignment":"http://stratus.test/identity/v3/projects/` + projectID + `/users/` + userID + `/roles/` + memberID + `"`},
		{"assignments by group", "GET", base + "/role_assignments?group.id=g", 200, `"role_assignments":[]`},
	}
	for _, s := range steps {
		r := e.do(t, s.method, s.path, admin, nil)
		if r.code != s.code || !strings.Contains(r.body, s.want) {
			t.Fatalf("%s: %d %s", s.name, r.code, r.body)
		}
	}
	n := len(e.do(t, "GET", base+"/role_assignments?user.id="+userID, admin, nil).json(t)["role_assignments"].([]any))
	if n != 2 {
		t.Fatalf("assignments: %d", n)
	}
	// Removing the last role on the project invalidates the token at once.
	if r := e.do(t, "GET", base+"/auth/projects", alice, nil); r.code != 200 {
		t.Fatalf("before unassign: %d", r.code)
	}
	if r := e.do(t, "DELETE", grant+memberID, admin, nil); r.code != 204 {
		t.Fatalf("unassign: %d %s", r.code, r.body)
	}
	if r := e.do(t, "GET", base+"/auth/projects", alice, nil); r.code != 401 {
		t.Fatalf("token without role: %d %s", r.code, r.body)
	}
}

func TestCatalogEndpoints(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	base := "/identity/v3"
	r := e.do(t, "GET", base+"/services?type=compute", admin, nil)
	svcs := r.json(t)["services"].([]any)
	if len(svcs) != 1 || get(svcs[0], "name") != "nova" {
		t.Fatalf("services: %s", r.body)
	}
	sid := get(svcs[0], "id").(string)
	r = e.do(t, "GET", base+"/endpoints?service_id="+sid, admin, nil)
	if n := len(r.json(t)["endpoints"].([]any)); n != 3 || !strings.Contains(r.body, `"url":"http://stratus.test/compute/v2.1"`) {
		t.Fatalf("endpoints: %s", r.body)
	}
	r = e.do(t, "GET", base+"/endpoints?interface=public", admin, nil)
	if n := len(r.json(t)["endpoints"].([]any)); n != 3 || !strings.Contains(r.body, `AUTH_$(project_id)s`) {
		t.Fatalf("public endpoints: %d %s", n, r.body)
	}
	r = e.do(t, "GET", base+"/regions", admin, nil)
	if !strings.Contains(r.body, `"id":"RegionOne"`) {
		t.Fatalf("regions: %s", r.body)
	}
	if r := e.do(t, "GET", base+"/regions/RegionOne", admin, nil); r.code != 200 {
		t.Fatalf("region: %d", r.code)
	}
	if r := e.do(t, "GET", base+"/services/"+sid, admin, nil); r.code != 200 {
		t.Fatalf("service: %d", r.code)
	}
}

func TestAuthListings(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	projectID, userID := e.member(t, admin, "alice")
	e.member(t, admin, "bob")
	alice := e.token(t, "alice", "alice-pw", "alice")
	r := e.do(t, "GET", "/identity/v3/auth/projects", alice, nil)
	ps := r.json(t)["projects"].([]any)
	if len(ps) != 1 || get(ps[0], "id") != projectID || get(r.json(t), "links", "self") != "http://stratus.test/identity/v3/auth/projects" {
		t.Fatalf("auth/projects: %s", r.body)
	}
	if r := e.do(t, "GET", "/identity/v3/auth/domains", alice, nil); r.code != 200 || len(r.json(t)["domains"].([]any)) != 0 {
		t.Fatalf("auth/domains without grant: %s", r.body)
	}
	e.do(t, "PUT", "/identity/v3/domains/default/users/"+userID+"/roles/"+e.roleID(t, admin, "reader"), admin, nil)
	if r := e.do(t, "GET", "/identity/v3/auth/domains", alice, nil); len(r.json(t)["domains"].([]any)) != 1 {
		t.Fatalf("auth/domains with grant: %s", r.body)
	}
	// Unscoped tokens get no catalog from auth/catalog.
	r = e.do(t, "POST", "/identity/v3/auth/tokens", "", passwordAuth("alice", "alice-pw", ""))
	unscoped := r.hdr.Get("X-Subject-Token")
	if r := e.do(t, "GET", "/identity/v3/auth/catalog", unscoped, nil); r.code != 403 {
		t.Fatalf("auth/catalog unscoped: %d %s", r.code, r.body)
	}
	for _, tc := range []struct {
		path string
		n    int
	}{
		{"/identity/v3/domains?name=Default", 1}, {"/identity/v3/domains?enabled=false", 0},
		{"/identity/v3/users?enabled=true", 3}, {"/identity/v3/users?enabled=0", 0},
	} {
		r := e.do(t, "GET", tc.path, admin, nil)
		for k, v := range r.json(t) {
			if k != "links" && len(v.([]any)) != tc.n {
				t.Fatalf("%s: %s", tc.path, r.body)
			}
		}
	}
}

// Keystone's default identity:get_domain lets a token scoped to a domain, or
// to a project in it, read that domain (tempest DefaultDomainTestJSON reads
// "default" with a member's project token); other domains stay forbidden
// whether or not they exist.
func TestGetDomainByScope(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	e.member(t, admin, "alice")
	alice := e.token(t, "alice", "alice-pw", "alice")
	other := e.create(t, admin, "domain", map[string]any{"name": "other"})
	r := e.do(t, "POST", "/identity/v3/auth/tokens", "", passwordAuth("alice", "alice-pw", ""))
	if r.code != 201 {
		t.Fatalf("unscoped token: %d %s", r.code, r.body)
	}
	unscoped := r.hdr.Get("X-Subject-Token")
	tests := []struct {
		name, path, token string
		code              int
	}{
		{"member reads its project's domain", "/identity/v3/domains/default", alice, 200},
		{"member cannot read another domain", "/identity/v3/domains/" + other, alice, 403},
		{"member cannot probe a missing domain", "/identity/v3/domains/nope", alice, 403},
		{"unscoped token cannot read a domain", "/identity/v3/domains/default", unscoped, 403},
		{"admin reads any domain", "/identity/v3/domains/" + other, admin, 200},
		{"admin gets 404 for a missing domain", "/identity/v3/domains/nope", admin, 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, "GET", tc.path, tc.token, nil)
			if r.code != tc.code {
				t.Fatalf("%d, want %d: %s", r.code, tc.code, r.body)
			}
			if r.code == 200 && get(r.json(t), "domain", "enabled") != true {
				t.Fatalf("body: %s", r.body)
			}
			if r.code == 403 && !strings.Contains(r.body, "identity:get_domain") {
				t.Fatalf("403 body: %s", r.body)
			}
		})
	}
}

// EC2 credentials live in Keystone's credentials API, which stratus does not
// implement: they answer 501 like /v3/credentials, not 404 (which would read
// as an unknown user).
// Keystone's schemas cap project and domain names at 64 characters and user
// and role names at 255 (tempest's *_name_length_over_64 negative tests);
// the limit counts characters, not bytes.
func TestNameLengthLimits(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	tests := []struct {
		name, method, kind, name2 string
		code                      int
	}{
		{"domain 64", "POST", "domain", strings.Repeat("d", 64), 201},
		{"domain 65", "POST", "domain", strings.Repeat("d", 65), 400},
		{"project 64 multibyte", "POST", "project", strings.Repeat("é", 64), 201},
		{"project 65", "POST", "project", strings.Repeat("p", 65), 400},
		{"user 255", "POST", "user", strings.Repeat("u", 255), 201},
		{"user 256", "POST", "user", strings.Repeat("u", 256), 400},
		{"role 256", "POST", "role", strings.Repeat("r", 256), 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := map[string]any{tc.kind: map[string]any{"name": tc.name2, "domain_id": "default"}}
			if tc.kind == "domain" || tc.kind == "role" {
				body = map[string]any{tc.kind: map[string]any{"name": tc.name2}}
			}
			r := e.do(t, tc.method, "/identity/v3/"+tc.kind+"s", admin, body)
			if r.code != tc.code {
				t.Fatalf("%d, want %d: %s", r.code, tc.code, r.body)
			}
			if r.code == 400 && !strings.Contains(r.body, "is too long") {
				t.Fatalf("400 body: %s", r.body)
			}
		})
	}
	pid := e.create(t, admin, "project", map[string]any{"name": "short", "domain_id": "default"})
	if r := e.do(t, "PATCH", "/identity/v3/projects/"+pid, admin, `{"project":{"name":"`+strings.Repeat("p", 65)+`"}}`); r.code != 400 {
		t.Fatalf("rename to 65: %d %s", r.code, r.body)
	}
}
