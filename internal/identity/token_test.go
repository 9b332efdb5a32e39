package identity_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/identity"
	"github.com/stratus-iaas/stratus/internal/store/storetest"
)

const unauthorizedBody = `{"error":{"code":401,"message":"The request you have made requires authentication.","title":"Unauthorized"}}`

func TestVersions(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		path string
		code int
		want string
	}{
		{"/identity", 300, `"id":"v3.14"`},
		{"/identity/", 300, `"id":"v2.0"`},
		{"/identity/v3", 200, `"href":"http://stratus.test/identity/v3/"`},
		{"/identity/v3/", 200, `"status":"stable"`},
		{"/identity/v2.0", 200, `"id":"v2.0"`},
	} {
		t.Run(tc.path, func(t *testing.T) {
			r := e.do(t, "GET", tc.path, "", nil)
			if r.code != tc.code || !strings.Contains(r.body, tc.want) {
				t.Fatalf("%d %s", r.code, r.body)
			}
		})
	}
}

func TestIssueScopes(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	projectID, userID := e.member(t, admin, "alice")
	var adminProjectID string
	for _, p := range e.do(t, "GET", "/identity/v3/projects?name=admin", admin, nil).json(t)["projects"].([]any) {
		adminProjectID = p.(map[string]any)["id"].(string)
	}
	if r := e.do(t, "PUT", "/identity/v3/domains/default/users/"+userID+"/roles/"+e.roleID(t, admin, "reader"), admin, nil); r.code != 204 {
		t.Fatalf("domain grant: %d %s", r.code, r.body)
	}
	byID := `{"auth":{"identity":{"methods":["password"],"password":{"user":{"id":"` + userID + `","password":"alice-pw"}}},"scope":{"project":{"id":"` + projectID + `"}}}}`
	byDomainName := `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"alice","domain":{"name":"Default"},"password":"alice-pw"}}},"scope":{"project":{"name":"alice","domain":{"name":"Default"}}}}}`
	tests := []struct {
		name, body, query string
		code              int
		project, domain   string
		roles             []string
		catalog           bool
	}{
		{"project by name", passwordAuth("alice", "alice-pw", projectScope("alice")), "", 201, projectID, "", []string{"member", "reader"}, true},
		{"project by id", byID, "", 201, projectID, "", []string{"member", "reader"}, true},
		{"names with domain name", byDomainName, "", 201, projectID, "", []string{"member", "reader"}, true},
		{"nocatalog", byID, "?nocatalog", 201, projectID, "", []string{"member", "reader"}, false},
		{"domain scope", passwordAuth("alice", "alice-pw", `{"domain":{"id":"default"}}`), "", 201, "", "default", []string{"reader"}, true},
		{"domain scope by name", passwordAuth("alice", "alice-pw", `{"domain":{"name":"Default"}}`), "", 201, "", "default", []string{"reader"}, true},
		{"unscoped", passwordAuth("alice", "alice-pw", ""), "", 201, "", "", nil, false},
		{"admin implies member and reader", passwordAuth("admin", adminPassword, projectScope("admin")), "", 201, adminProjectID, "", []string{"admin", "member", "reader"}, true},
		{"no role on project", passwordAuth("alice", "alice-pw", projectScope("admin")), "", 401, "", "", nil, false},
		{"unknown project", passwordAuth("alice", "alice-pw", projectScope("nope")), "", 401, "", "", nil, false},
		{"wrong password", passwordAuth("alice", "wrong", projectScope("alice")), "", 401, "", "", nil, false},
		{"unknown user", passwordAuth("bob", "alice-pw", ""), "", 401, "", "", nil, false},
		{"user name without domain", `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"alice","password":"x"}}}}}`, "", 400, "", "", nil, false},
		{"no identity", `{"auth":{}}`, "", 400, "", "", nil, false},
		{"bad json", `{"auth":`, "", 400, "", "", nil, false},
		{"unknown method", `{"auth":{"identity":{"methods":["totp"]}}}`, "", 401, "", "", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, "POST", "/identity/v3/auth/tokens"+tc.query, "", tc.body)
			if r.code != tc.code {
				t.Fatalf("code %d, want %d: %s", r.code, tc.code, r.body)
			}
			if tc.code == 401 {
				if r.body != unauthorizedBody {
					t.Fatalf("401 body %s", r.body)
				}
				if !strings.HasPrefix(r.hdr.Get("WWW-Authenticate"), "Keystone uri=") {
					t.Fatalf("WWW-Authenticate %q", r.hdr.Get("WWW-Authenticate"))
				}
				return
			}
			if tc.code != 201 {
				return
			}
			if len(r.hdr.Get("X-Subject-Token")) < 40 {
				t.Fatalf("X-Subject-Token %q", r.hdr.Get("X-Subject-Token"))
			}
			tok := r.json(t)["token"].(map[string]any)
			if got, _ := get(tok, "project", "id").(string); got != tc.project {
				t.Fatalf("project %q, want %q", got, tc.project)
			}
			if got, _ := get(tok, "domain", "id").(string); got != tc.domain {
				t.Fatalf("domain %q, want %q", got, tc.domain)
			}
			var roles []string
			for _, ro := range tokRoles(tok) {
				roles = append(roles, ro.(map[string]any)["name"].(string))
			}
			if strings.Join(roles, ",") != strings.Join(tc.roles, ",") {
				t.Fatalf("roles %v, want %v", roles, tc.roles)
			}
			if _, has := tok["catalog"]; has != tc.catalog {
				t.Fatalf("catalog present %v, want %v", has, tc.catalog)
			}
			iso := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`)
			if !iso.MatchString(tok["expires_at"].(string)) || !iso.MatchString(tok["issued_at"].(string)) {
				t.Fatalf("timestamps %v %v", tok["expires_at"], tok["issued_at"])
			}
			if get(tok, "user", "domain", "name") != "Default" || get(tok, "methods").([]any)[0] != "password" {
				t.Fatalf("user/methods: %s", r.body)
			}
			if tc.project != "" && tok["is_domain"] != false {
				t.Fatalf("is_domain: %s", r.body)
			}
		})
	}
}

func tokRoles(tok map[string]any) []any {
	r, _ := tok["roles"].([]any)
	return r
}

func TestCatalogInToken(t *testing.T) {
	e := newEnv(t)
	r := e.do(t, "POST", "/identity/v3/auth/tokens", "", passwordAuth("admin", adminPassword, projectScope("admin")))
	tok := r.json(t)["token"].(map[string]any)
	projectID := get(tok, "project", "id").(string)
	cat := tok["catalog"].([]any)
	if len(cat) != 3 {
		t.Fatalf("catalog: %v", cat)
	}
	swift := cat[2].(map[string]any)
	eps := swift["endpoints"].([]any)
	if len(eps) != 3 || swift["type"] != "object-store" {
		t.Fatalf("swift: %v", swift)
	}
	ep := eps[0].(map[string]any)
	if ep["url"] != "http://stratus.test/object-store/v1/AUTH_"+projectID || ep["region"] != "RegionOne" || ep["region_id"] != "RegionOne" || ep["interface"] != "public" {
		t.Fatalf("endpoint: %v", ep)
	}
	// Endpoint ids are stable across services instances.
	e2 := newEnv(t)
	r2 := e2.do(t, "POST", "/identity/v3/auth/tokens", "", passwordAuth("admin", adminPassword, projectScope("admin")))
	ep2 := get(r2.json(t)["token"], "catalog").([]any)[2].(map[string]any)["endpoints"].([]any)[0].(map[string]any)
	if ep2["id"] != ep["id"] {
		t.Fatalf("endpoint ids differ: %v %v", ep2["id"], ep["id"])
	}
	// auth/catalog answers the same catalog.
	r = e.do(t, "GET", "/identity/v3/auth/catalog", r.hdr.Get("X-Subject-Token"), nil)
	if r.code != 200 || len(r.json(t)["catalog"].([]any)) != 3 {
		t.Fatalf("auth/catalog: %d %s", r.code, r.body)
	}
}

func TestValidateRevoke(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	_, userID := e.member(t, admin, "alice")
	alice := e.token(t, "alice", "alice-pw", "alice")
	other := e.token(t, "alice", "alice-pw", "alice")

	r := e.do(t, "GET", "/identity/v3/auth/tokens", admin, nil, "X-Subject-Token", alice)
	if r.code != 200 || r.hdr.Get("X-Subject-Token") != alice || get(r.json(t), "token", "user", "id") != userID {
		t.Fatalf("validate: %d %s", r.code, r.body)
	}
	if r := e.do(t, "HEAD", "/identity/v3/auth/tokens", admin, nil, "X-Subject-Token", alice); r.code != 200 || r.body != "" {
		t.Fatalf("HEAD: %d %q", r.code, r.body)
	}
	// A user may validate its own token, not another user's.
	if r := e.do(t, "GET", "/identity/v3/auth/tokens", alice, nil, "X-Subject-Token", other); r.code != 200 {
		t.Fatalf("own token: %d %s", r.code, r.body)
	}
	if r := e.do(t, "GET", "/identity/v3/auth/tokens", alice, nil, "X-Subject-Token", admin); r.code != 403 {
		t.Fatalf("other's token: %d %s", r.code, r.body)
	}
	if r := e.do(t, "GET", "/identity/v3/auth/tokens", admin, nil); r.code != 400 {
		t.Fatalf("no subject: %d %s", r.code, r.body)
	}
	// A rescoped token (token method) shares the audit chain.
	r = e.do(t, "POST", "/identity/v3/auth/tokens", "", `{"auth":{"identity":{"methods":["token"],"token":{"id":"`+alice+`"}},"scope":{"project":{"name":"alice","domain":{"id":"default"}}}}}`)
	if r.code != 201 {
		t.Fatalf("token method: %d %s", r.code, r.body)
	}
	child := r.hdr.Get("X-Subject-Token")
	ctok := r.json(t)["token"].(map[string]any)
	if len(ctok["audit_ids"].([]any)) != 2 || ctok["methods"].([]any)[0] != "token" {
		t.Fatalf("rescoped: %s", r.body)
	}

	if r := e.do(t, "DELETE", "/identity/v3/auth/tokens", admin, nil, "X-Subject-Token", alice); r.code != 204 {
		t.Fatalf("revoke: %d %s", r.code, r.body)
	}
	r = e.do(t, "GET", "/identity/v3/auth/tokens", admin, nil, "X-Subject-Token", alice)
	want := `{"error":{"code":404,"message":"Could not find token: ` + alice + `.","title":"Not Found"}}`
	if r.code != 404 || r.body != want {
		t.Fatalf("after revoke: %d %s", r.code, r.body)
	}
	if r := e.do(t, "GET", "/identity/v3/auth/projects", alice, nil); r.code != 401 || r.body != unauthorizedBody {
		t.Fatalf("revoked token used: %d %s", r.code, r.body)
	}
	if r := e.do(t, "GET", "/identity/v3/auth/tokens", admin, nil, "X-Subject-Token", child); r.code != 404 {
		t.Fatalf("child of revoked: %d %s", r.code, r.body)
	}
	if r := e.do(t, "GET", "/identity/v3/auth/tokens", admin, nil, "X-Subject-Token", other); r.code != 200 {
		t.Fatalf("unrelated token: %d %s", r.code, r.body)
	}
	if r := e.do(t, "GET", "/identity/v3/auth/tokens", admin, nil, "X-Subject-Token", "garbage"); r.code != 404 {
		t.Fatalf("garbage: %d %s", r.code, r.body)
	}
}

func TestExpiry(t *testing.T) {
	e := newEnv(t, func(o *identity.Options) { o.TokenTTL = 10 * time.Minute })
	admin := e.admin(t)
	r := e.do(t, "POST", "/identity/v3/auth/tokens", "", passwordAuth("admin", adminPassword, projectScope("admin")))
	tok := r.hdr.Get("X-Subject-Token")
	exp, _ := time.Parse(time.RFC3339Nano, get(r.json(t), "token", "expires_at").(string))
	if want := e.clock.Now().Add(10 * time.Minute); !exp.Equal(want) {
		t.Fatalf("expires_at %v, want %v", exp, want)
	}
	e.clock.Advance(9 * time.Minute)
	if r := e.do(t, "GET", "/identity/v3/auth/tokens", admin, nil, "X-Subject-Token", tok); r.code != 200 {
		t.Fatalf("before expiry: %d %s", r.code, r.body)
	}
	e.clock.Advance(time.Minute)
	if r := e.do(t, "GET", "/identity/v3/auth/projects", tok, nil); r.code != 401 {
		t.Fatalf("expired token accepted: %d %s", r.code, r.body)
	}
	// The principal carries the token's times.
	p, err := e.svc.Authenticate(context.Background(), e.admin(t))
	if err != nil || p.UserName != "admin" || p.ProjectName != "admin" || p.ProjectDomain != "default" || !p.IsAdmin() ||
		p.UserDomainID != "default" || !p.ExpiresAt.Equal(e.clock.Now().Add(10*time.Minute)) || p.TokenID == "" {
		t.Fatalf("principal %+v %v", p, err)
	}
}

func TestDisabledUserAndProject(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	projectID, userID := e.member(t, admin, "alice")
	tok := e.token(t, "alice", "alice-pw", "alice")
	e.clock.Advance(time.Millisecond)

	patch := func(kind, id string, enabled bool) {
		t.Helper()
		if r := e.do(t, "PATCH", "/identity/v3/"+kind+"s/"+id, admin, map[string]any{kind: map[string]any{"enabled": enabled}}); r.code != 200 {
			t.Fatalf("patch %s: %d %s", kind, r.code, r.body)
		}
	}
	patch("project", projectID, false)
	if r := e.do(t, "GET", "/identity/v3/auth/projects", tok, nil); r.code != 401 {
		t.Fatalf("token on disabled project: %d", r.code)
	}
	if r := e.do(t, "POST", "/identity/v3/auth/tokens", "", passwordAuth("alice", "alice-pw", projectScope("alice"))); r.code != 401 {
		t.Fatalf("auth to disabled project: %d", r.code)
	}
	patch("project", projectID, true)
	tok = e.token(t, "alice", "alice-pw", "alice")
	e.clock.Advance(time.Millisecond)
	patch("user", userID, false)
	if r := e.do(t, "GET", "/identity/v3/auth/projects", tok, nil); r.code != 401 {
		t.Fatalf("token of disabled user: %d", r.code)
	}
	if r := e.do(t, "POST", "/identity/v3/auth/tokens", "", passwordAuth("alice", "alice-pw", "")); r.code != 401 || r.body != unauthorizedBody {
		t.Fatalf("disabled user auth: %d %s", r.code, r.body)
	}
	patch("user", userID, true)
	if r := e.do(t, "GET", "/identity/v3/auth/projects", tok, nil); r.code != 401 {
		t.Fatalf("token from before disable came back: %d", r.code)
	}
	e.token(t, "alice", "alice-pw", "alice")
}

func TestV2Tokens(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	projectID, _ := e.member(t, admin, "alice")
	tests := []struct {
		name, body string
		code       int
		tenant     string
	}{
		{"tenantName", `{"auth":{"passwordCredentials":{"username":"alice","password":"alice-pw"},"tenantName":"alice"}}`, 200, projectID},
		{"tenantId", `{"auth":{"passwordCredentials":{"username":"alice","password":"alice-pw"},"tenantId":"` + projectID + `"}}`, 200, projectID},
		{"unscoped", `{"auth":{"passwordCredentials":{"username":"alice","password":"alice-pw"}}}`, 200, ""},
		{"wrong password", `{"auth":{"passwordCredentials":{"username":"alice","password":"nope"},"tenantName":"alice"}}`, 401, ""},
		{"no role", `{"auth":{"passwordCredentials":{"username":"alice","password":"alice-pw"},"tenantName":"admin"}}`, 401, ""},
		{"token", `{"auth":{"token":{"id":"` + admin + `"},"tenantName":"admin"}}`, 200, "admin"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, "POST", "/identity/v2.0/tokens", "", tc.body)
			if r.code != tc.code {
				t.Fatalf("%d %s", r.code, r.body)
			}
			if tc.code != 200 {
				return
			}
			acc := r.json(t)["access"].(map[string]any)
			id := get(acc, "token", "id").(string)
			if tc.tenant == "admin" {
				tc.tenant, _ = get(acc, "token", "tenant", "id").(string)
				if get(acc, "token", "tenant", "name") != "admin" {
					t.Fatalf("tenant: %s", r.body)
				}
			}
			if got, _ := get(acc, "token", "tenant", "id").(string); got != tc.tenant {
				t.Fatalf("tenant %q, want %q", got, tc.tenant)
			}
			if tc.tenant != "" {
				sc := acc["serviceCatalog"].([]any)
				ep := sc[2].(map[string]any)["endpoints"].([]any)[0].(map[string]any)
				if len(sc) != 3 || ep["publicURL"] != "http://stratus.test/object-store/v1/AUTH_"+tc.tenant || ep["region"] != "RegionOne" || ep["adminURL"] == nil {
					t.Fatalf("serviceCatalog: %v", sc)
				}
				if len(get(acc, "user", "roles").([]any)) == 0 {
					t.Fatalf("user roles: %s", r.body)
				}
			}
			// The same token works on v3.
			if r := e.do(t, "GET", "/identity/v3/auth/tokens", admin, nil, "X-Subject-Token", id); r.code != 200 {
				t.Fatalf("v3 validate of v2 token: %d %s", r.code, r.body)
			}
			if r := e.do(t, "GET", "/identity/v2.0/tokens/"+id, admin, nil); r.code != 200 || get(r.json(t), "access", "token", "id") != id {
				t.Fatalf("v2.0 validate: %d %s", r.code, r.body)
			}
			if r := e.do(t, "GET", "/identity/v2.0/tenants", id, nil); r.code != 200 || (tc.tenant != "" && !strings.Contains(r.body, tc.tenant)) {
				t.Fatalf("v2.0 tenants: %d %s", r.code, r.body)
			}
		})
	}
}

func TestV2TokenAdminAPI(t *testing.T) {
	e := newEnv(t)
	admin := e.admin(t)
	e.member(t, admin, "alice")
	alice := e.token(t, "alice", "alice-pw", "alice")
	if r := e.do(t, "HEAD", "/identity/v2.0/tokens/"+alice, admin, nil); r.code != 200 {
		t.Fatalf("HEAD: %d", r.code)
	}
	if r := e.do(t, "GET", "/identity/v2.0/tokens/"+admin, alice, nil); r.code != 403 {
		t.Fatalf("member validating: %d", r.code)
	}
	if r := e.do(t, "DELETE", "/identity/v2.0/tokens/"+alice, admin, nil); r.code != 204 {
		t.Fatalf("revoke: %d %s", r.code, r.body)
	}
	if r := e.do(t, "GET", "/identity/v2.0/tokens/"+alice, admin, nil); r.code != 404 || !strings.Contains(r.body, "Could not find token: "+alice+".") {
		t.Fatalf("revoked: %d %s", r.code, r.body)
	}
}

func TestBootstrap(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// Later start, no password: unknown.
	pw, gen, err := e.svc.Bootstrap(ctx, "")
	if err != nil || pw != "" || gen {
		t.Fatalf("second bootstrap: %q %v %v", pw, gen, err)
	}
	// Later start with a password: it replaces the old one.
	if pw, gen, err = e.svc.Bootstrap(ctx, "new-admin-pw"); err != nil || pw != "new-admin-pw" || gen {
		t.Fatalf("reset: %q %v %v", pw, gen, err)
	}
	e.token(t, "admin", "new-admin-pw", "admin")
	if r := e.do(t, "POST", "/identity/v3/auth/tokens", "", passwordAuth("admin", adminPassword, "")); r.code != 401 {
		t.Fatalf("old password still works: %d", r.code)
	}

	// First start without a password: one is generated.
	fresh, err := identity.New(identity.Options{DB: storetest.Open(t), BcryptCost: 4, Catalog: testCatalog})
	if err != nil {
		t.Fatal(err)
	}
	pw, gen, err = fresh.Bootstrap(ctx, "")
	if err != nil || !gen || len(pw) < 16 {
		t.Fatalf("generated: %q %v %v", pw, gen, err)
	}
	fresh.Wait()
}

// Two services on one database stand for two nodes sharing PostgreSQL: a
// revocation on one is seen by the other once its cache entry is older
// than CacheTTL (1 s).
func TestRevocationAcrossNodes(t *testing.T) {
	a := newEnv(t)
	b := &env{clock: a.clock}
	var err error
	b.svc, err = identity.New(identity.Options{DB: a.svc.DBForTest(), BcryptCost: 4, Catalog: testCatalog, Now: a.clock.Now, TokenTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	admin := a.admin(t)
	_, userID := a.member(t, admin, "alice")
	alice := a.token(t, "alice", "alice-pw", "alice")
	ctx := context.Background()
	if _, err := b.svc.Authenticate(ctx, alice); err != nil {
		t.Fatalf("node b: %v", err)
	}
	// Disable on node a: immediate there, within CacheTTL on node b.
	if r := a.do(t, "PATCH", "/identity/v3/users/"+userID, admin, `{"user":{"enabled":false}}`); r.code != 200 {
		t.Fatalf("disable: %d %s", r.code, r.body)
	}
	if _, err := a.svc.Authenticate(ctx, alice); err == nil {
		t.Fatal("node a still accepts the token")
	}
	if _, err := b.svc.Authenticate(ctx, alice); err != nil {
		t.Fatalf("node b dropped its cache early: %v", err)
	}
	a.clock.Advance(time.Second)
	if _, err := b.svc.Authenticate(ctx, alice); err == nil {
		t.Fatal("node b accepts a disabled user's token after 1 s")
	}
	// Revocation, the same way.
	if _, err := b.svc.Authenticate(ctx, admin); err != nil {
		t.Fatalf("node b admin: %v", err)
	}
	if r := a.do(t, "DELETE", "/identity/v3/auth/tokens", admin, nil, "X-Subject-Token", admin); r.code != 204 {
		t.Fatalf("revoke: %d", r.code)
	}
	a.clock.Advance(time.Second)
	if _, err := b.svc.Authenticate(ctx, admin); err == nil {
		t.Fatal("node b accepts a revoked token after 1 s")
	}
}

// BenchmarkAuthenticate is the per-request cost of a cached token check
// (what every API request pays).
func BenchmarkAuthenticate(b *testing.B) {
	e := newEnv(b)
	tok := e.admin(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.svc.Authenticate(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
}
