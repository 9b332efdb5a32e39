package image

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stratus-iaas/stratus/internal/blob/blobtest"
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
	"bob":    {UserID: "u-bob", ProjectID: "p-bob", Roles: []string{"member"}},
	"reader": {UserID: "u-reader", ProjectID: "p-alice", Roles: []string{"reader"}},
}

type env struct {
	t   *testing.T
	svc *Service
	h   http.Handler
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := newEnvTB(t)
	e.t = t
	return e
}

func newEnvTB(t testing.TB) *env {
	t.Helper()
	blobs := blobtest.Open(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := New(context.Background(), Options{DB: storetest.Open(t), Blobs: blobs, Log: log, SizeCap: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	mux := httpapi.NewMux(testPrincipals, log)
	mux.Mount(httpapi.Group{Name: "image", Prefix: catalog.ImagePrefix, Dialect: httpapi.Glance, Routes: svc.Routes()})
	mux.Mount(httpapi.Group{Name: "compute", Prefix: catalog.ComputePrefix, Dialect: httpapi.Nova, Routes: novaTestRoutes(svc)})
	return &env{svc: svc, h: mux}
}

type resp struct {
	Code   int
	Header http.Header
	Body   []byte
}

func (r resp) JSON(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body %q: %v", r.Body, err)
	}
	return m
}

// do sends a request as token; body may be nil, []byte or a value to
// encode as JSON; ct overrides the Content-Type.
func (e *env) do(method, path, token string, body any, hdr ...string) resp {
	e.t.Helper()
	var rd io.Reader
	ct := "application/json"
	switch b := body.(type) {
	case nil:
	case []byte:
		rd, ct = bytes.NewReader(b), "application/octet-stream"
	case string:
		rd = bytes.NewBufferString(b)
	default:
		js, _ := json.Marshal(b)
		rd = bytes.NewReader(js)
	}
	req := httptest.NewRequest(method, path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("Accept", "application/json")
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

func (e *env) mustCode(r resp, want int) resp {
	e.t.Helper()
	if r.Code != want {
		e.t.Fatalf("status %d, want %d: %s", r.Code, want, r.Body)
	}
	return r
}

// create makes an image as token and returns its id.
func (e *env) create(token string, fields map[string]any) string {
	e.t.Helper()
	r := e.mustCode(e.do("POST", "/image/v2/images", token, fields), 201)
	return r.JSON(e.t)["id"].(string)
}

func (e *env) patch(token, id string, ops ...map[string]any) resp {
	e.t.Helper()
	js, _ := json.Marshal(ops)
	return e.do("PATCH", "/image/v2/images/"+id, token, string(js), "Content-Type", "application/openstack-images-v2.1-json-patch")
}

// novaTestRoutes mounts the Nova image proxy under /v2/{tenant_id} and
// /v2.1 as the compute service does (which this package cannot import).
func novaTestRoutes(svc *Service) []httpapi.Route {
	base := func(r *http.Request) (string, string) {
		b := "http://" + r.Host + "/compute"
		if t := r.PathValue("tenant_id"); t != "" {
			return b + "/v2/" + t, b + "/" + t
		}
		return b + "/v2.1", b
	}
	var out []httpapi.Route
	for _, prefix := range []string{"/v2/{tenant_id}", "/v2.1"} {
		for _, rt := range svc.NovaRoutes(base) {
			rt.Pattern = prefix + rt.Pattern
			out = append(out, rt)
		}
	}
	return out
}
