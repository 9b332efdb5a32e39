package compute

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stratus-iaas/stratus/internal/catalog"
	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store/storetest"
)

// fakeAuth maps tokens to principals.
type fakeAuth map[string]*policy.Principal

func (f fakeAuth) Authenticate(ctx context.Context, token string) (*policy.Principal, error) {
	if p, ok := f[token]; ok {
		return p, nil
	}
	return nil, fault.Unauthorizedf("The request you have made requires authentication.")
}

var testPrincipals = fakeAuth{
	"admin":  {UserID: "u-admin", ProjectID: "p-admin", IsAdminProject: true, Roles: []string{"admin", "member"}},
	"alice":  {UserID: "u-alice", ProjectID: "p-alice", Roles: []string{"member"}},
	"alice2": {UserID: "u-alice2", ProjectID: "p-alice", Roles: []string{"member"}},
	"bob":    {UserID: "u-bob", ProjectID: "p-bob", Roles: []string{"member"}},
	"reader": {UserID: "u-reader", ProjectID: "p-alice", Roles: []string{"reader"}},
}

type env struct {
	t   testing.TB
	svc *Service
	h   http.Handler
}

func newEnv(t testing.TB, opts ...func(*Options)) *env {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	o := Options{DB: storetest.Open(t), Log: log, KeyAlgorithm: "ed25519"}
	for _, f := range opts {
		f(&o)
	}
	svc, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	mux := httpapi.NewMux(testPrincipals, log)
	mux.Mount(httpapi.Group{Name: "compute", Prefix: catalog.ComputePrefix, Dialect: httpapi.Nova, Routes: svc.Routes(nil)})
	return &env{t: t, svc: svc, h: mux}
}

type resp struct {
	Code   int
	Header http.Header
	Body   []byte
}

func (r resp) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body %q: %v", r.Body, err)
	}
	return m
}

func (r resp) has(s string) bool { return strings.Contains(string(r.Body), s) }

// do sends a request as token; body may be nil, a string (sent as is) or
// a value to encode; hdr are header name/value pairs.
func (e *env) do(method, path, token string, body any, hdr ...string) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		js, _ := json.Marshal(b)
		rd = bytes.NewReader(js)
	}
	if !strings.HasPrefix(path, "/compute") {
		path = "/compute/v2.1" + path
	}
	req := httptest.NewRequest(method, path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	return resp{Code: w.Code, Header: w.Header(), Body: w.Body.Bytes()}
}

func (e *env) must(r resp, want int) resp {
	e.t.Helper()
	if r.Code != want {
		e.t.Fatalf("status %d, want %d: %s", r.Code, want, r.Body)
	}
	return r
}

// mvh is the header pair asking for microversion v.
func mvh(v string) []string { return []string{"OpenStack-API-Version", "compute " + v} }
