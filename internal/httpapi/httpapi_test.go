package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
)

type fakeAuth map[string]*policy.Principal

func (f fakeAuth) Authenticate(_ context.Context, tok string) (*policy.Principal, error) {
	if p, ok := f[tok]; ok {
		return p, nil
	}
	return nil, fault.Unauthorizedf("The request you have made requires authentication.")
}

func testMux() *Mux {
	m := NewMux(fakeAuth{
		"member": {UserID: "u1", ProjectID: "p1", Roles: []string{"member"}},
		"admin":  {UserID: "u0", ProjectID: "p0", IsAdminProject: true, Roles: []string{"admin"}},
		// An application credential limited to reading thing a (and b on "nova").
		"ruled": {UserID: "u1", ProjectID: "p1", Roles: []string{"member"}, AccessRules: []policy.AccessRule{
			{Service: "compute", Method: "GET", Path: "/v2/*/things/a"}, {Service: "nova", Method: "GET", Path: "/v2/p1/things/b"}}},
	}, nil)
	m.Mount(Group{Name: "compute", Prefix: "/compute", Dialect: Nova, RequestIDHeaders: []string{"X-Compute-Request-Id"},
		Routes: []Route{
			{Method: "GET", Pattern: "/v2/{project_id}/things/{id}", Policy: policy.ProjectReader, Handler: func(w http.ResponseWriter, r *http.Request) error {
				if r.PathValue("id") == "missing" {
					return fault.NotFoundf("Thing missing could not be found.")
				}
				if r.PathValue("id") == "panic" {
					panic("boom")
				}
				if r.PathValue("id") == "plain" {
					return errors.New("db exploded")
				}
				return WriteJSON(w, 200, map[string]string{"id": r.PathValue("id")})
			}},
			{Method: "POST", Pattern: "/v2/{project_id}/things", Policy: policy.Admin, Handler: func(w http.ResponseWriter, r *http.Request) error {
				var body map[string]any
				if err := DecodeJSON(r, &body); err != nil {
					return err
				}
				return WriteJSON(w, 202, body)
			}},
		}})
	m.Mount(Group{Name: "identity", Prefix: "/identity", Dialect: Keystone, Routes: []Route{
		{Method: "GET", Pattern: "/v3", Policy: policy.Public, Handler: func(w http.ResponseWriter, r *http.Request) error {
			return WriteJSON(w, 200, map[string]string{"ok": "yes"})
		}},
		{Method: "GET", Pattern: "/v3/users", Policy: policy.Admin, Handler: func(w http.ResponseWriter, r *http.Request) error { return nil }},
	}})
	m.Mount(Group{Name: "object-store", Prefix: "/object-store", Dialect: Swift, Routes: nil})
	return m
}

func TestMux(t *testing.T) {
	m := testMux()
	tests := []struct {
		name, method, path, token, body string
		want                            int
		wantBody                        string
	}{
		{"ok", "GET", "/compute/v2/p1/things/a", "member", "", 200, `{"id":"a"}`},
		{"no token", "GET", "/compute/v2/p1/things/a", "", "", 401, `{"unauthorized":{"code":401,"message":"The request you have made requires authentication."}}`},
		{"bad token", "GET", "/compute/v2/p1/things/a", "nope", "", 401, `"unauthorized"`},
		{"other project", "GET", "/compute/v2/p2/things/a", "member", "", 403, `{"forbidden":{"code":403,"message":"Policy doesn't allow this operation to be performed."}}`},
		{"admin any project", "GET", "/compute/v2/p2/things/a", "admin", "", 200, `{"id":"a"}`},
		{"fault", "GET", "/compute/v2/p1/things/missing", "member", "", 404, `{"itemNotFound":{"code":404,"message":"Thing missing could not be found."}}`},
		{"panic", "GET", "/compute/v2/p1/things/panic", "member", "", 500, `"computeFault"`},
		{"plain error hidden", "GET", "/compute/v2/p1/things/plain", "member", "", 500, genericMessage},
		{"policy", "POST", "/compute/v2/p1/things", "member", `{}`, 403, `"forbidden"`},
		{"bad json", "POST", "/compute/v2/p0/things", "admin", `{bad`, 400, `{"badRequest":{"code":400,"message":"Malformed request body"}}`},
		{"trailing json", "POST", "/compute/v2/p0/things", "admin", `{} {}`, 400, `"badRequest"`},
		{"too large", "POST", "/compute/v2/p0/things", "admin", `{"a":"` + strings.Repeat("x", DefaultBodyLimit) + `"}`, 413, `"overLimit"`},
		{"unknown path", "GET", "/compute/v2/p1/nothing", "member", "", 404, `"itemNotFound"`},
		{"wrong method", "DELETE", "/compute/v2/p1/things", "admin", "", 405, `"badMethod"`},
		{"keystone 401", "GET", "/identity/v3/users", "", "", 401, `{"error":{"code":401,"message":"The request you have made requires authentication.","title":"Unauthorized"}}`},
		{"keystone public", "GET", "/identity/v3", "", "", 200, `{"ok":"yes"}`},
		{"swift 404", "GET", "/object-store/v1/x", "", "", 404, `<html><h1>Not Found</h1><p>The resource could not be found.</p></html>`},
		{"access rule allows", "GET", "/compute/v2/p1/things/a", "ruled", "", 200, `{"id":"a"}`},
		{"access rule: other path", "GET", "/compute/v2/p1/things/c", "ruled", "", 401, `"unauthorized"`},
		{"access rule: other service type", "GET", "/compute/v2/p1/things/b", "ruled", "", 401, `"unauthorized"`},
		{"access rule: other method", "POST", "/compute/v2/p1/things", "ruled", `{}`, 401, `"unauthorized"`},
		{"access rule: other service", "GET", "/identity/v3", "ruled", "", 200, `{"ok":"yes"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			if tt.token != "" {
				req.Header.Set("X-Auth-Token", tt.token)
			}
			rec := httptest.NewRecorder()
			m.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.want, rec.Body)
			}
			if !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Fatalf("body %q does not contain %q", rec.Body, tt.wantBody)
			}
			if !strings.HasPrefix(rec.Header().Get("X-Openstack-Request-Id"), "req-") {
				t.Fatal("missing request id")
			}
			if strings.HasPrefix(tt.path, "/compute") && rec.Header().Get("X-Compute-Request-Id") == "" {
				t.Fatal("missing compute request id")
			}
			if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") && !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("invalid JSON body %q", rec.Body)
			}
		})
	}
}

func TestMountRejectsRouteWithoutPolicy(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Mount accepted a route with no policy")
		}
	}()
	NewMux(nil, nil).Mount(Group{Name: "x", Prefix: "/x", Dialect: Plain, Routes: []Route{{Method: "GET", Pattern: "/a", Handler: func(http.ResponseWriter, *http.Request) error { return nil }}}})
}

func TestDialectBodies(t *testing.T) {
	e := fault.NotFoundf("Image 42 not found.").WithCode("40401")
	cases := []struct {
		d      Dialect
		accept string
		want   string
	}{
		{K5Import, "", `{"error_code":"40401","message":"Image 42 not found."}`},
		{K5Export, "", `{"error_code":"40401","error_message":"Image 42 not found."}`},
		{Glance, "application/json", `{"code":"404 Not Found","message":"Image 42 not found.<br /><br />\n\n\n","title":"Not Found"}`},
		{Glance, "", "<title>404 Not Found</title>"},
	}
	for _, c := range cases {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Accept", c.accept)
		rec := httptest.NewRecorder()
		c.d.WriteError(rec, req, e)
		if rec.Code != 404 || !strings.Contains(rec.Body.String(), c.want) {
			t.Errorf("%T: %d %q, want %q", c.d, rec.Code, rec.Body, c.want)
		}
	}
	// Neutron: the exception class in Code is the type; without one the
	// webob class of the status; 500s never show their message; 401 is
	// keystonemiddleware's.
	neutron := []struct {
		e      *fault.Error
		status int
		want   string
	}{
		{e, 404, `{"NeutronError":{"detail":"","message":"Image 42 not found.","type":"40401"}}`},
		{&fault.Error{Kind: fault.NotFound, Code: "NetworkNotFound", Message: "Network n1 could not be found."}, 404,
			`{"NeutronError":{"detail":"","message":"Network n1 could not be found.","type":"NetworkNotFound"}}`},
		{fault.Invalidf("Invalid input for cidr. Reason: 'x' is not a valid IP subnet."), 400,
			`{"NeutronError":{"detail":"","message":"Invalid input for cidr. Reason: 'x' is not a valid IP subnet.","type":"HTTPBadRequest"}}`},
		{fault.Conflictf("busy"), 409, `{"NeutronError":{"detail":"","message":"busy","type":"HTTPConflict"}}`},
		{fault.NotImplementedf("The requested API is not implemented in stratus yet."), 501,
			`{"NeutronError":{"detail":"","message":"The requested API is not implemented in stratus yet.","type":"HTTPNotImplemented"}}`},
		{fault.Internalf("db exploded"), 500,
			`{"NeutronError":{"detail":"","message":"Request Failed: internal server error while processing your request.","type":"HTTPInternalServerError"}}`},
		{fault.Unauthorizedf("The request you have made requires authentication."), 401,
			`{"error":{"code":401,"message":"The request you have made requires authentication.","title":"Unauthorized"}}`},
	}
	for _, c := range neutron {
		rec := httptest.NewRecorder()
		Neutron.WriteError(rec, httptest.NewRequest("GET", "/networking/v2.0/networks", nil), c.e)
		if rec.Code != c.status || rec.Body.String() != c.want || rec.Header().Get("Content-Type") != "application/json" {
			t.Errorf("Neutron %v: %d %s %q, want %d %s", c.e, rec.Code, rec.Header().Get("Content-Type"), rec.Body, c.status, c.want)
		}
	}
	// HEAD gets no body.
	rec := httptest.NewRecorder()
	Swift.WriteError(rec, httptest.NewRequest("HEAD", "/", nil), e)
	if rec.Body.Len() != 0 {
		t.Fatalf("HEAD body %q", rec.Body)
	}
}

func TestParsePage(t *testing.T) {
	req := httptest.NewRequest("GET", "/?limit=5000&marker=m", nil)
	p, err := ParsePage(req, 25, 1000, "bad limit")
	if err != nil || p.Limit != 1000 || p.Marker != "m" {
		t.Fatalf("%+v %v", p, err)
	}
	if _, err := ParsePage(httptest.NewRequest("GET", "/?limit=-1", nil), 25, 0, "bad limit"); fault.KindOf(err) != fault.Invalid {
		t.Fatalf("negative limit: %v", err)
	}
}

func TestProtectSegments(t *testing.T) {
	const pre = "/object-store"
	for _, tc := range []struct{ in, want string }{
		{"/object-store/v1/a/c/o", "/object-store/v1/a/c/o"},
		{"/object-store/v1/a/c/a//b", "/object-store/v1/a/c/a/%2Fb"},
		{"/object-store/v1/a/c/a///b", "/object-store/v1/a/c/a/%2F%2Fb"},
		{"/object-store/v1/a/c/x/./y", "/object-store/v1/a/c/x/%2E/y"},
		{"/object-store/v1/a/c/x/../y", "/object-store/v1/a/c/x/%2E%2E/y"},
		{"/object-store/v1/a/c/..", "/object-store/v1/a/c/%2E%2E"},
		{"/object-store/v1/a/c/.../x", "/object-store/v1/a/c/.../x"},
		{"/object-store/v1/a/c/.hidden", "/object-store/v1/a/c/.hidden"},
		{"/object-store/v1/a/c/t//", "/object-store/v1/a/c/t/%2F"},
		{"/object-store/v1/a/c/a//./b", "/object-store/v1/a/c/a/%2F%2E/b"},
	} {
		if got := protectSegments(tc.in, len(pre)); got != tc.want {
			t.Errorf("protectSegments(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
