package identity_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/catalog"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/identity"
	"github.com/stratus-iaas/stratus/internal/store/storetest"
)

const adminPassword = "admin-pw"

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	svc   *identity.Service
	mux   *httpapi.Mux
	clock *clock
}

var testCatalog = []catalog.Entry{
	{Type: "identity", Name: "keystone", Path: catalog.IdentityPrefix},
	{Type: "compute", Name: "nova", Path: "/compute/v2.1"},
	{Type: "object-store", Name: "swift", Path: "/object-store/v1/AUTH_{project_id}"},
}

func newEnv(t testing.TB, mod ...func(*identity.Options)) *env {
	t.Helper()
	c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)}
	opts := identity.Options{
		DB: storetest.Open(t), TokenTTL: time.Hour, BcryptCost: 4, Region: "RegionOne",
		PublicURL: "http://stratus.test", Catalog: testCatalog, Now: c.Now,
	}
	for _, m := range mod {
		m(&opts)
	}
	svc, err := identity.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Bootstrap(context.Background(), adminPassword); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Wait)
	mux := httpapi.NewMux(svc, slog.New(slog.DiscardHandler))
	mux.Mount(svc.Group())
	return &env{svc: svc, mux: mux, clock: c}
}

type resp struct {
	code int
	hdr  http.Header
	body string
}

func (r resp) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return m
}

// do sends a request; extra is header name/value pairs.
func (e *env) do(t testing.TB, method, path, token string, body any, extra ...string) resp {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		js, _ := json.Marshal(b)
		rd = strings.NewReader(string(js))
	}
	req := httptest.NewRequest(method, "http://stratus.test"+path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		req.Header.Set(extra[i], extra[i+1])
	}
	w := httptest.NewRecorder()
	e.mux.ServeHTTP(w, req)
	return resp{w.Code, w.Header(), w.Body.String()}
}

func passwordAuth(user, password, scope string) string {
	s := ""
	if scope != "" {
		s = `,"scope":` + scope
	}
	return fmt.Sprintf(`{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":%q,"domain":{"id":"default"},"password":%q}}}%s}}`, user, password, s)
}

func projectScope(name string) string {
	return fmt.Sprintf(`{"project":{"name":%q,"domain":{"id":"default"}}}`, name)
}

// token issues a project-scoped token and fails the test otherwise.
func (e *env) token(t testing.TB, user, password, project string) string {
	t.Helper()
	r := e.do(t, "POST", "/identity/v3/auth/tokens", "", passwordAuth(user, password, projectScope(project)))
	if r.code != 201 {
		t.Fatalf("token %s/%s: %d %s", user, project, r.code, r.body)
	}
	return r.hdr.Get("X-Subject-Token")
}

func (e *env) admin(t testing.TB) string { return e.token(t, "admin", adminPassword, "admin") }

// create POSTs {"<kind>": body} as admin and returns the new id.
func (e *env) create(t testing.TB, tok, kind string, body map[string]any) string {
	t.Helper()
	r := e.do(t, "POST", "/identity/v3/"+kind+"s", tok, map[string]any{kind: body})
	if r.code != 201 {
		t.Fatalf("create %s: %d %s", kind, r.code, r.body)
	}
	return r.json(t)[kind].(map[string]any)["id"].(string)
}

// roleID finds a role by name.
func (e *env) roleID(t testing.TB, tok, name string) string {
	t.Helper()
	r := e.do(t, "GET", "/identity/v3/roles?name="+name, tok, nil)
	roles := r.json(t)["roles"].([]any)
	if len(roles) != 1 {
		t.Fatalf("role %s: %s", name, r.body)
	}
	return roles[0].(map[string]any)["id"].(string)
}

// member creates project and user "<name>" with the member role on it.
func (e *env) member(t testing.TB, admin, name string) (projectID, userID string) {
	t.Helper()
	projectID = e.create(t, admin, "project", map[string]any{"name": name, "domain_id": "default"})
	userID = e.create(t, admin, "user", map[string]any{"name": name, "domain_id": "default", "password": name + "-pw"})
	r := e.do(t, "PUT", "/identity/v3/projects/"+projectID+"/users/"+userID+"/roles/"+e.roleID(t, admin, "member"), admin, nil)
	if r.code != 204 {
		t.Fatalf("grant: %d %s", r.code, r.body)
	}
	return projectID, userID
}

func get(m any, path ...string) any {
	for _, k := range path {
		mm, ok := m.(map[string]any)
		if !ok {
			return nil
		}
		m = mm[k]
	}
	return m
}

// userID finds a user of the Default domain by name.
func (e *env) userID(t testing.TB, tok, name string) string {
	t.Helper()
	return e.userIDIn(t, tok, name, "default")
}

func (e *env) userIDIn(t testing.TB, tok, name, domain string) string {
	t.Helper()
	r := e.do(t, "GET", "/identity/v3/users?name="+name+"&domain_id="+domain, tok, nil)
	users, _ := r.json(t)["users"].([]any)
	if len(users) != 1 {
		t.Fatalf("user %s: %s", name, r.body)
	}
	return users[0].(map[string]any)["id"].(string)
}

// projectID finds a project of the Default domain by name.
func (e *env) projectID(t testing.TB, tok, name string) string {
	t.Helper()
	r := e.do(t, "GET", "/identity/v3/projects?name="+name+"&domain_id=default", tok, nil)
	ps, _ := r.json(t)["projects"].([]any)
	if len(ps) != 1 {
		t.Fatalf("project %s: %s", name, r.body)
	}
	return ps[0].(map[string]any)["id"].(string)
}
