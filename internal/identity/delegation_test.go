package identity_test

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestImpliedRoles(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	v3 := "/identity/v3"
	projectID, aliceID := e.member(t, admin, "alice")
	a := e.create(t, admin, "role", map[string]any{"name": "a"})
	b := e.create(t, admin, "role", map[string]any{"name": "b"})
	c := e.create(t, admin, "role", map[string]any{"name": "c"})
	e.mustDo(t, "PUT", v3+"/projects/"+projectID+"/users/"+aliceID+"/roles/"+a, admin, nil, 204)
	r := e.mustDo(t, "PUT", v3+"/roles/"+a+"/implies/"+b, admin, nil, 201)
	if get(r.json(t), "role_inference", "prior_role", "id") != a || get(r.json(t), "role_inference", "implies", "name") != "b" {
		t.Fatalf("create: %s", r.body)
	}
	e.mustDo(t, "PUT", v3+"/roles/"+b+"/implies/"+c, admin, nil, 201)
	e.mustDo(t, "HEAD", v3+"/roles/"+a+"/implies/"+b, admin, nil, 204)
	e.mustDo(t, "GET", v3+"/roles/"+a+"/implies/"+c, admin, nil, 404)
	if got := e.tokenRoles(t, passwordAuth("alice", "alice-pw", projectScope("alice"))); !slices.Equal(got, []string{"a", "b", "c", "member", "reader"}) {
		t.Fatalf("implied roles in the token: %v", got)
	}
	r = e.mustDo(t, "GET", v3+"/role_assignments?effective&user.id="+aliceID+"&role.id="+c, admin, nil, 200)
	if !strings.Contains(r.body, `"prior_role"`) {
		t.Fatalf("effective implied assignment: %s", r.body)
	}
	r = e.mustDo(t, "GET", v3+"/role_inferences", admin, nil, 200)
	for _, want := range []string{a, b, c, e.roleID(t, admin, "admin")} {
		if !strings.Contains(r.body, want) {
			t.Fatalf("role_inferences lacks %s: %s", want, r.body)
		}
	}
	r = e.mustDo(t, "GET", v3+"/roles/"+a+"/implies", admin, nil, 200)
	if len(get(r.json(t), "role_inference", "implies").([]any)) != 1 {
		t.Fatalf("list implies: %s", r.body)
	}
	// Rules Keystone refuses: implying admin, a global role implying a domain role.
	e.mustDo(t, "PUT", v3+"/roles/"+a+"/implies/"+e.roleID(t, admin, "admin"), admin, nil, 403)
	dr := e.create(t, admin, "role", map[string]any{"name": "local", "domain_id": "default"})
	e.mustDo(t, "PUT", v3+"/roles/"+a+"/implies/"+dr, admin, nil, 403)
	e.mustDo(t, "PUT", v3+"/roles/"+dr+"/implies/"+a, admin, nil, 201)
	// The bootstrap implications are data: removing member → reader shows.
	member, reader := e.roleID(t, admin, "member"), e.roleID(t, admin, "reader")
	e.mustDo(t, "DELETE", v3+"/roles/"+member+"/implies/"+reader, admin, nil, 204)
	e.mustDo(t, "DELETE", v3+"/roles/"+member+"/implies/"+reader, admin, nil, 404)
	e.mustDo(t, "DELETE", v3+"/roles/"+b+"/implies/"+c, admin, nil, 204)
	if got := e.tokenRoles(t, passwordAuth("alice", "alice-pw", projectScope("alice"))); !slices.Equal(got, []string{"a", "b", "member"}) {
		t.Fatalf("roles after removing rules: %v", got)
	}
	// Deleting a role removes its rules.
	e.mustDo(t, "DELETE", v3+"/roles/"+b, admin, nil, 204)
	if r := e.mustDo(t, "GET", v3+"/role_inferences", admin, nil, 200); strings.Contains(r.body, b) {
		t.Fatalf("rule outlived its role: %s", r.body)
	}
}

func TestTrusts(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	v3 := "/identity/v3"
	projectID, aliceID := e.member(t, admin, "alice") // trustor
	_, bobID := e.member(t, admin, "bob")             // trustee
	_, _ = e.member(t, admin, "eve")
	deleg := e.create(t, admin, "role", map[string]any{"name": "delegated"})
	e.mustDo(t, "PUT", v3+"/projects/"+projectID+"/users/"+aliceID+"/roles/"+deleg, admin, nil, 204)
	alice := e.token(t, "alice", "alice-pw", "alice")
	bob := e.token(t, "bob", "bob-pw", "bob")
	eve := e.token(t, "eve", "eve-pw", "eve")
	trust := func(extra map[string]any) map[string]any {
		body := map[string]any{"trustor_user_id": aliceID, "trustee_user_id": bobID, "project_id": projectID,
			"impersonation": true, "roles": []any{map[string]any{"name": "delegated"}}}
		for k, v := range extra {
			body[k] = v
		}
		return map[string]any{"trust": body}
	}
	for _, c := range []struct {
		name  string
		token string
		body  map[string]any
		code  int
	}{
		{"someone else as trustor", bob, trust(nil), 403},
		{"a role the trustor lacks", alice, trust(map[string]any{"roles": []any{map[string]any{"name": "admin"}}}), 404},
		{"no roles", alice, trust(map[string]any{"roles": []any{}}), 403},
		{"bad expiry", alice, trust(map[string]any{"expires_at": "bad.123Z"}), 400},
		{"past expiry", alice, trust(map[string]any{"expires_at": "2000-01-01T00:00:00Z"}), 400},
		{"zero uses", alice, trust(map[string]any{"remaining_uses": 0}), 400},
		{"unknown trustee", alice, trust(map[string]any{"trustee_user_id": "nope"}), 404},
	} {
		t.Run(c.name, func(t *testing.T) { e.mustDo(t, "POST", v3+"/OS-TRUST/trusts", c.token, c.body, c.code) })
	}
	r := e.mustDo(t, "POST", v3+"/OS-TRUST/trusts", alice, trust(map[string]any{"remaining_uses": 2, "expires_at": "2026-01-02T05:00:00Z"}), 201)
	tr := r.json(t)["trust"].(map[string]any)
	id := tr["id"].(string)
	if tr["expires_at"] != "2026-01-02T05:00:00.000000Z" || tr["remaining_uses"] != 2.0 || len(tr["roles"].([]any)) != 1 {
		t.Fatalf("created trust: %s", r.body)
	}
	e.mustDo(t, "GET", v3+"/OS-TRUST/trusts/"+id, bob, nil, 200)
	e.mustDo(t, "GET", v3+"/OS-TRUST/trusts/"+id, eve, nil, 403)
	e.mustDo(t, "GET", v3+"/OS-TRUST/trusts/"+id+"/roles/"+deleg, alice, nil, 200)
	e.mustDo(t, "GET", v3+"/OS-TRUST/trusts/"+id+"/roles/"+e.roleID(t, admin, "member"), alice, nil, 404)
	e.mustDo(t, "GET", v3+"/OS-TRUST/trusts?trustor_user_id="+aliceID, eve, nil, 403)
	e.mustDo(t, "GET", v3+"/OS-TRUST/trusts", eve, nil, 403)
	if r := e.mustDo(t, "GET", v3+"/OS-TRUST/trusts", admin, nil, 200); !strings.Contains(r.body, id) {
		t.Fatalf("admin list: %s", r.body)
	}

	// Trust-scoped token: bob acts as alice (impersonation) with the delegated role only.
	scoped := `{"auth":{"identity":{"methods":["token"],"token":{"id":"` + bob + `"}},"scope":{"OS-TRUST:trust":{"id":"` + id + `"}}}}`
	r = e.mustDo(t, "POST", v3+"/auth/tokens", "", scoped, 201)
	body := r.json(t)
	if get(body, "token", "user", "id") != aliceID || get(body, "token", "OS-TRUST:trust", "id") != id ||
		get(body, "token", "project", "id") != projectID || !strings.Contains(r.body, `"name":"delegated"`) || strings.Contains(r.body, `"name":"member"`) {
		t.Fatalf("trust-scoped token: %s", r.body)
	}
	trustTok := r.hdr.Get("X-Subject-Token")
	e.mustDo(t, "GET", v3+"/projects/"+projectID, trustTok, nil, 200)
	e.mustDo(t, "POST", v3+"/OS-TRUST/trusts", trustTok, trust(nil), 403) // no redelegation
	// Eve is not the trustee.
	e.mustDo(t, "POST", v3+"/auth/tokens", "", strings.Replace(scoped, bob, eve, 1), 403)
	// Two uses: the second is the last.
	e.mustDo(t, "POST", v3+"/auth/tokens", "", scoped, 201)
	e.mustDo(t, "POST", v3+"/auth/tokens", "", scoped, 404)
	// The trustor losing the role invalidates the trust's tokens.
	e.mustDo(t, "DELETE", v3+"/projects/"+projectID+"/users/"+aliceID+"/roles/"+deleg, admin, nil, 204)
	e.mustDo(t, "GET", v3+"/projects/"+projectID, trustTok, nil, 401)
	e.mustDo(t, "PUT", v3+"/projects/"+projectID+"/users/"+aliceID+"/roles/"+deleg, admin, nil, 204)
	e.mustDo(t, "GET", v3+"/projects/"+projectID, trustTok, nil, 200)
	// Only the trustor (or admin) deletes; then its tokens fail.
	e.mustDo(t, "DELETE", v3+"/OS-TRUST/trusts/"+id, bob, nil, 403)
	e.mustDo(t, "DELETE", v3+"/OS-TRUST/trusts/"+id, alice, nil, 204)
	e.mustDo(t, "GET", v3+"/OS-TRUST/trusts/"+id, alice, nil, 404)
	e.mustDo(t, "GET", v3+"/projects/"+projectID, trustTok, nil, 401)

	// Without impersonation the token's user is the trustee; expiry ends it.
	r = e.mustDo(t, "POST", v3+"/OS-TRUST/trusts", alice, trust(map[string]any{"impersonation": false, "expires_at": "2026-01-02T03:34:05Z"}), 201)
	id2 := get(r.json(t), "trust", "id").(string)
	r = e.mustDo(t, "POST", v3+"/auth/tokens", "", strings.Replace(scoped, id, id2, 1), 201)
	if get(r.json(t), "token", "user", "id") != bobID || get(r.json(t), "token", "expires_at") != "2026-01-02T03:34:05.000000Z" {
		t.Fatalf("trustee token: %s", r.body)
	}
	e.clock.Advance(31 * time.Minute)
	e.mustDo(t, "GET", v3+"/OS-TRUST/trusts/"+id2, alice, nil, 404)
}

func TestApplicationCredentials(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	v3 := "/identity/v3"
	projectID, aliceID := e.member(t, admin, "alice")
	_, bobID := e.member(t, admin, "bob")
	alice := e.token(t, "alice", "alice-pw", "alice")
	bob := e.token(t, "bob", "bob-pw", "bob")
	base := v3 + "/users/" + aliceID + "/application_credentials"
	appAuth := func(id, secret string) string {
		return `{"auth":{"identity":{"methods":["application_credential"],"application_credential":{"id":"` + id + `","secret":"` + secret + `"}}}}`
	}

	r := e.mustDo(t, "POST", base, alice, map[string]any{"application_credential": map[string]any{
		"name": "ci", "roles": []any{map[string]any{"name": "reader"}}, "expires_at": "2026-01-02T05:00:00.250000",
		"access_rules": []any{map[string]any{"service": "compute", "method": "GET", "path": "/v2.1/servers"}}}}, 201)
	ac := r.json(t)["application_credential"].(map[string]any)
	id, secret := ac["id"].(string), ac["secret"].(string)
	if len(secret) < 40 || ac["expires_at"] != "2026-01-02T05:00:00.250000" || ac["project_id"] != projectID || ac["unrestricted"] != false ||
		len(ac["roles"].([]any)) != 1 || len(ac["access_rules"].([]any)) != 1 {
		t.Fatalf("created: %s", r.body)
	}
	r = e.mustDo(t, "GET", base+"/"+id, alice, nil, 200)
	if strings.Contains(r.body, "secret") {
		t.Fatalf("secret shown again: %s", r.body)
	}
	for _, c := range []struct {
		name, method, path, token string
		body                      any
		code                      int
	}{
		{"same name", "POST", base, alice, map[string]any{"application_credential": map[string]any{"name": "ci"}}, 409},
		{"a role alice lacks", "POST", base, alice, map[string]any{"application_credential": map[string]any{"name": "x", "roles": []any{map[string]any{"name": "admin"}}}}, 400},
		{"for another user", "POST", v3 + "/users/" + bobID + "/application_credentials", alice, map[string]any{"application_credential": map[string]any{"name": "x"}}, 403},
		{"bob cannot list alice's", "GET", base, bob, nil, 403},
		{"bob cannot read alice's", "GET", base + "/" + id, bob, nil, 403},
		{"bob's own path does not find it", "GET", v3 + "/users/" + bobID + "/application_credentials/" + id, bob, nil, 404},
		{"bob cannot delete alice's", "DELETE", base + "/" + id, bob, nil, 403},
		{"name filter", "GET", base + "?name=ci", alice, nil, 200},
		{"access rules listed", "GET", v3 + "/users/" + aliceID + "/access_rules", alice, nil, 200},
		{"bob cannot list alice's access rules", "GET", v3 + "/users/" + aliceID + "/access_rules", bob, nil, 403},
	} {
		t.Run(c.name, func(t *testing.T) { e.mustDo(t, c.method, c.path, c.token, c.body, c.code) })
	}

	// Authenticate with it: project and the subset of roles, no scope allowed.
	r = e.mustDo(t, "POST", v3+"/auth/tokens", "", appAuth(id, secret), 201)
	body := r.json(t)
	if get(body, "token", "project", "id") != projectID || get(body, "token", "application_credential", "restricted") != true ||
		!strings.Contains(r.body, `"name":"reader"`) || strings.Contains(r.body, `"name":"member"`) {
		t.Fatalf("app cred token: %s", r.body)
	}
	appTok := r.hdr.Get("X-Subject-Token")
	e.mustDo(t, "POST", v3+"/auth/tokens", "", appAuth(id, "wrong"), 401)
	e.mustDo(t, "POST", v3+"/auth/tokens", "", appAuth("nope", secret), 401)
	e.mustDo(t, "POST", v3+"/auth/tokens", "", strings.Replace(appAuth(id, secret), `}}}}`, `}},"scope":{"project":{"id":"`+projectID+`"}}}}`, 1), 401)
	byName := `{"auth":{"identity":{"methods":["application_credential"],"application_credential":{"name":"ci","user":{"name":"alice","domain":{"id":"default"}},"secret":"` + secret + `"}}}}`
	e.mustDo(t, "POST", v3+"/auth/tokens", "", byName, 201)
	// Its access rules allow compute calls only: identity calls are
	// refused as keystonemiddleware refuses them, except validating itself.
	e.mustDo(t, "GET", v3+"/auth/projects", appTok, nil, 401)
	e.mustDo(t, "HEAD", v3+"/auth/tokens", appTok, nil, 401)
	e.mustDo(t, "GET", v3+"/auth/tokens", appTok, nil, 400) // allowed through; no X-Subject-Token
	// A restricted credential's token may not make more credentials, nor trusts.
	r = e.mustDo(t, "POST", base, alice, map[string]any{"application_credential": map[string]any{"name": "plain"}}, 201)
	plain := r.json(t)["application_credential"].(map[string]any)
	plainTok := e.mustDo(t, "POST", v3+"/auth/tokens", "", appAuth(plain["id"].(string), plain["secret"].(string)), 201).hdr.Get("X-Subject-Token")
	e.mustDo(t, "POST", base, plainTok, map[string]any{"application_credential": map[string]any{"name": "y"}}, 403)
	e.mustDo(t, "GET", v3+"/OS-TRUST/trusts?trustor_user_id="+aliceID, plainTok, nil, 403)
	e.mustDo(t, "GET", v3+"/auth/projects", plainTok, nil, 200)
	// An access rule in use cannot be deleted.
	ruleID := get(ac, "access_rules").([]any)[0].(map[string]any)["id"].(string)
	e.mustDo(t, "DELETE", v3+"/users/"+aliceID+"/access_rules/"+ruleID, alice, nil, 403)
	// Deleting the credential ends its tokens; then the rule may go.
	e.mustDo(t, "DELETE", base+"/"+id, alice, nil, 204)
	e.mustDo(t, "GET", v3+"/auth/tokens", e.admin(t), nil, 404, "X-Subject-Token", appTok)
	e.mustDo(t, "DELETE", v3+"/users/"+aliceID+"/access_rules/"+ruleID, alice, nil, 204)
	// Expired credentials do not authenticate.
	r = e.mustDo(t, "POST", base, alice, map[string]any{"application_credential": map[string]any{"name": "short", "expires_at": "2026-01-02T03:10:00Z"}}, 201)
	ac = r.json(t)["application_credential"].(map[string]any)
	e.clock.Advance(10 * time.Minute)
	e.mustDo(t, "POST", v3+"/auth/tokens", "", appAuth(ac["id"].(string), ac["secret"].(string)), 401)
}

func TestProjectTagsHierarchyFilters(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	v3 := "/identity/v3"
	top := e.create(t, admin, "project", map[string]any{"name": "top", "tags": []any{"a", "b"}, "owner": "ops"})
	mid := e.create(t, admin, "project", map[string]any{"name": "mid", "parent_id": top, "tags": []any{"b"}})
	leaf := e.create(t, admin, "project", map[string]any{"name": "leaf", "parent_id": mid})
	r := e.mustDo(t, "GET", v3+"/projects/"+top, admin, nil, 200)
	if p := r.json(t)["project"].(map[string]any); p["owner"] != "ops" || len(p["tags"].([]any)) != 2 || p["parent_id"] != "default" {
		t.Fatalf("project: %s", r.body)
	}
	r = e.mustDo(t, "GET", v3+"/projects/"+leaf+"?parents_as_ids", admin, nil, 200)
	if !strings.Contains(r.body, `"parents":{"`+mid+`":{"`+top+`":{"default":null}}}`) {
		t.Fatalf("parents_as_ids: %s", r.body)
	}
	r = e.mustDo(t, "GET", v3+"/projects/"+top+"?subtree_as_ids", admin, nil, 200)
	if !strings.Contains(r.body, `"subtree":{"`+mid+`":{"`+leaf+`":null}}`) {
		t.Fatalf("subtree_as_ids: %s", r.body)
	}
	e.mustDo(t, "GET", v3+"/projects/"+top+"?subtree_as_ids&subtree_as_list", admin, nil, 400)
	e.mustDo(t, "PATCH", v3+"/projects/"+top, admin, map[string]any{"project": map[string]any{"enabled": false}}, 403) // enabled children
	e.mustDo(t, "PATCH", v3+"/projects/"+mid, admin, map[string]any{"project": map[string]any{"parent_id": top + "x"}}, 403)
	e.mustDo(t, "DELETE", v3+"/projects/"+mid, admin, nil, 403) // not a leaf

	// Tags API.
	tags := v3 + "/projects/" + leaf + "/tags"
	e.mustDo(t, "PUT", tags+"/c", admin, nil, 201)
	e.mustDo(t, "GET", tags+"/c", admin, nil, 204)
	e.mustDo(t, "GET", tags+"/zzz", admin, nil, 404)
	e.mustDo(t, "PUT", tags+"/a,b", admin, nil, 400)
	r = e.mustDo(t, "PUT", tags, admin, map[string]any{"tags": []any{"x", "y"}}, 200)
	if !strings.Contains(r.body, `"tags":["x","y"]`) {
		t.Fatalf("replace tags: %s", r.body)
	}
	e.mustDo(t, "DELETE", tags+"/x", admin, nil, 204)
	e.mustDo(t, "DELETE", tags+"/x", admin, nil, 404)
	if r := e.mustDo(t, "GET", tags, admin, nil, 200); !strings.Contains(r.body, `"tags":["y"]`) {
		t.Fatalf("list tags: %s", r.body)
	}
	e.mustDo(t, "DELETE", tags, admin, nil, 204)
	if r := e.mustDo(t, "GET", tags, admin, nil, 200); !strings.Contains(r.body, `"tags":[]`) {
		t.Fatalf("tags after clearing: %s", r.body)
	}
	e.mustDo(t, "GET", v3+"/projects/nope/tags", admin, nil, 404)
	r = e.mustDo(t, "PATCH", v3+"/projects/"+mid, admin, map[string]any{"project": map[string]any{"tags": []any{"b", "q"}}}, 200)
	if !strings.Contains(r.body, `"tags":["b","q"]`) {
		t.Fatalf("tags by PATCH: %s", r.body)
	}

	names := func(query string) []string {
		t.Helper()
		r := e.mustDo(t, "GET", v3+"/projects?"+query, admin, nil, 200)
		var out []string
		for _, p := range r.json(t)["projects"].([]any) {
			out = append(out, p.(map[string]any)["name"].(string))
		}
		slices.Sort(out)
		return out
	}
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"tags=b", []string{"mid", "top"}},
		{"tags=a,b", []string{"top"}},
		{"tags-any=a,q", []string{"mid", "top"}},
		{"not-tags=b&name__startswith=", []string{"admin", "leaf"}},
		{"not-tags-any=a,q", []string{"admin", "leaf"}},
		{"name__contains=o", []string{"top"}},
		{"name__icontains=O", []string{"top"}},
		{"name__startswith=mi", []string{"mid"}},
		{"name__iendswith=AF", []string{"leaf"}},
		{"name=leaf", []string{"leaf"}},
		{"parent_id=" + top, []string{"mid"}},
		{"enabled=false", nil},
		{"name__nonsense=x", []string{"admin", "leaf", "mid", "top"}},
	} {
		t.Run(c.query, func(t *testing.T) {
			if got := names(c.query); !slices.Equal(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}

	// A project acting as a domain is a domain.
	r = e.mustDo(t, "POST", v3+"/projects", admin, map[string]any{"project": map[string]any{"name": "dp", "is_domain": true}}, 201)
	dp := r.json(t)["project"].(map[string]any)
	if dp["is_domain"] != true || dp["domain_id"] != nil {
		t.Fatalf("is_domain project: %s", r.body)
	}
	if r := e.mustDo(t, "GET", v3+"/domains/"+dp["id"].(string), admin, nil, 200); !strings.Contains(r.body, `"name":"dp"`) {
		t.Fatalf("as a domain: %s", r.body)
	}
	if got := names("is_domain=true"); !slices.Equal(got, []string{"Default", "dp"}) {
		t.Fatalf("is_domain list: %v", got)
	}
	e.mustDo(t, "DELETE", v3+"/projects/"+dp["id"].(string), admin, nil, 403) // enabled
	e.mustDo(t, "PATCH", v3+"/projects/"+dp["id"].(string), admin, map[string]any{"project": map[string]any{"enabled": false}}, 200)
	e.mustDo(t, "DELETE", v3+"/projects/"+dp["id"].(string), admin, nil, 204)
	e.mustDo(t, "GET", v3+"/domains/"+dp["id"].(string), admin, nil, 404)

	// Extra attributes on roles, users and domains too; filters on users.
	role := e.create(t, admin, "role", map[string]any{"name": "r1", "color": "blue"})
	if r := e.mustDo(t, "GET", v3+"/roles/"+role, admin, nil, 200); !strings.Contains(r.body, `"color":"blue"`) {
		t.Fatalf("role extra: %s", r.body)
	}
	d := e.create(t, admin, "domain", map[string]any{"name": "d1", "region": "eu"})
	if r := e.mustDo(t, "GET", v3+"/domains/"+d, admin, nil, 200); !strings.Contains(r.body, `"region":"eu"`) {
		t.Fatalf("domain extra: %s", r.body)
	}
	e.create(t, admin, "user", map[string]any{"name": "Zed", "email": "z@x"})
	if r := e.mustDo(t, "GET", v3+"/users?name__istartswith=z", admin, nil, 200); !strings.Contains(r.body, `"Zed"`) || strings.Contains(r.body, `"admin"`) {
		t.Fatalf("user filter: %s", r.body)
	}
	e.mustDo(t, "GET", v3+"/users?password_expires_at=lt:nonsense", admin, nil, 400)
	if r := e.mustDo(t, "GET", v3+"/users?password_expires_at=lt:2030-01-01T00:00:00Z", admin, nil, 200); strings.Contains(r.body, `"Zed"`) {
		t.Fatalf("password_expires_at matched a user without expiry: %s", r.body)
	}
}
