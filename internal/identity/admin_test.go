package identity_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stratus-iaas/stratus/internal/identity"
)

// TestCloudAdmin: only the admin role on the admin project makes a cloud
// admin (issue #11). The admin role on another project or on a domain,
// and a domain-specific role named admin, do not.
func TestCloudAdmin(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	adminRole := e.roleID(t, admin, "admin")
	projectID, aliceID := e.member(t, admin, "alice")
	adminProject := e.projectID(t, admin, "admin")
	grant := func(target, user, role string) {
		t.Helper()
		if r := e.do(t, "PUT", "/identity/v3/"+target+"/users/"+user+"/roles/"+role, admin, nil); r.code != 204 {
			t.Fatalf("grant %s: %d %s", target, r.code, r.body)
		}
	}
	// alice: admin of her own project and of the Default domain.
	grant("projects/"+projectID, aliceID, adminRole)
	grant("domains/default", aliceID, adminRole)
	// bob: a domain-specific role named "admin" on the admin project.
	_, bobID := e.member(t, admin, "bob")
	dsAdmin := e.create(t, admin, "role", map[string]any{"name": "admin", "domain_id": "default"})
	grant("projects/"+adminProject, bobID, dsAdmin)
	grant("projects/"+adminProject, bobID, e.roleID(t, admin, "member"))

	projectAdmin := e.token(t, "alice", "alice-pw", "alice")
	r := e.do(t, "POST", "/identity/v3/auth/tokens", "", passwordAuth("alice", "alice-pw", `{"domain":{"id":"default"}}`))
	if r.code != 201 {
		t.Fatalf("domain token: %d %s", r.code, r.body)
	}
	domainAdmin := r.hdr.Get("X-Subject-Token")
	if !strings.Contains(r.body, `"name":"admin"`) {
		t.Fatalf("domain token lacks the admin role: %s", r.body)
	}
	bob := e.token(t, "bob", "bob-pw", "admin")

	for _, c := range []struct {
		name, token string
		code        int
	}{
		{"cloud admin", admin, 200},
		{"admin of another project", projectAdmin, 403},
		{"admin of a domain", domainAdmin, 403},
		{"domain-specific role named admin", bob, 403},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, path := range []string{"/identity/v3/users", "/identity/v3/role_assignments", "/identity/v3/credentials?user_id=" + aliceID} {
				want := c.code
				if strings.Contains(path, "credentials") {
					want = 200 // anyone lists its own credentials
				}
				if r := e.do(t, "GET", path, c.token, nil); r.code != want {
					t.Fatalf("GET %s: %d, want %d: %s", path, r.code, want, r.body)
				}
			}
		})
	}
	// The token body says which project is the admin project, and the
	// domain-specific role is not in bob's token.
	for _, c := range []struct {
		token string
		want  string
	}{{admin, `"is_admin_project":true`}, {projectAdmin, `"is_admin_project":false`}, {bob, `"is_admin_project":true`}} {
		r := e.do(t, "GET", "/identity/v3/auth/tokens", admin, nil, "X-Subject-Token", c.token)
		if r.code != 200 || !strings.Contains(r.body, c.want) {
			t.Fatalf("token body: want %s in %d %s", c.want, r.code, r.body)
		}
	}
	r = e.do(t, "GET", "/identity/v3/auth/tokens", admin, nil, "X-Subject-Token", bob)
	if strings.Contains(r.body, dsAdmin) || strings.Contains(r.body, fmt.Sprintf(`{"id":%q`, adminRole)) {
		t.Fatalf("bob's token carries an admin role: %s", r.body)
	}
	// A user holding only a domain-specific role on a project gets no token there.
	_, carolID := e.member(t, admin, "carol")
	grant("projects/"+adminProject, carolID, dsAdmin)
	if r := e.do(t, "POST", "/identity/v3/auth/tokens", "", passwordAuth("carol", "carol-pw", projectScope("admin"))); r.code != 401 {
		t.Fatalf("token with only a domain-specific role: %d %s", r.code, r.body)
	}
}

// TestAnyProjectAdmin: with Options.AnyProjectAdmin (--cloud-admin
// any-project, Keystone's legacy policy) an admin of any project is a
// cloud admin, and tokens carry no is_admin_project.
func TestAnyProjectAdmin(t *testing.T) {
	e := newEnv(t, func(o *identity.Options) { o.AnyProjectAdmin = true })
	admin := e.admin(t)
	projectID, aliceID := e.member(t, admin, "alice")
	e.mustDo(t, "PUT", "/identity/v3/projects/"+projectID+"/users/"+aliceID+"/roles/"+e.roleID(t, admin, "admin"), admin, nil, 204)
	alice := e.token(t, "alice", "alice-pw", "alice")
	e.mustDo(t, "GET", "/identity/v3/users", alice, nil, 200)
	e.member(t, admin, "bob")
	bob := e.token(t, "bob", "bob-pw", "bob")
	e.mustDo(t, "GET", "/identity/v3/users", bob, nil, 403)
	if r := e.do(t, "GET", "/identity/v3/auth/tokens", admin, nil, "X-Subject-Token", alice); r.code != 200 || strings.Contains(r.body, "is_admin_project") {
		t.Fatalf("is_admin_project sent: %s", r.body)
	}
}
