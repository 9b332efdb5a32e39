package compute

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/blob"
	"github.com/stratus-iaas/stratus/internal/catalog"
	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/hypervisor"
	"github.com/stratus-iaas/stratus/internal/job"
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
	t    testing.TB
	svc  *Service
	h    http.Handler
	imgs *fakeImages
	net  *fakeNet
	drv  hypervisor.Driver
	jobs *job.Engine
}

// boot creates a server as token from the raw test image with flavor 1
// and waits for it to leave BUILD; extra are more server fields.
func (e *env) boot(token, name string, extra map[string]any, hdr ...string) map[string]any {
	e.t.Helper()
	srv := map[string]any{"name": name, "imageRef": imgRaw, "flavorRef": "1"}
	for k, v := range extra {
		srv[k] = v
	}
	r := e.must(e.do("POST", "/servers", token, map[string]any{"server": srv}, hdr...), 202)
	id := r.JSON(e.t)["server"].(map[string]any)["id"].(string)
	e.svc.work.idle()
	return e.show(token, id)
}

// show returns a server's view.
func (e *env) show(token, id string, hdr ...string) map[string]any {
	e.t.Helper()
	return e.must(e.do("GET", "/servers/"+id, token, nil, hdr...), 200).JSON(e.t)["server"].(map[string]any)
}

// act posts an action and waits for the workers.
func (e *env) act(token, id string, body any, hdr ...string) resp {
	e.t.Helper()
	r := e.do("POST", "/servers/"+id+"/action", token, body, hdr...)
	e.svc.work.idle()
	return r
}

func newEnv(t testing.TB, opts ...func(*Options)) *env {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	imgs := newFakeImages(t)
	drv, err := hypervisor.New("fake", hypervisor.Options{Dir: filepath.Join(t.TempDir(), "instances")})
	if err != nil {
		t.Fatal(err)
	}
	net := newFakeNet()
	blobs, err := blob.NewFS(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	imgs.blobs = blobs
	db := storetest.Open(t)
	jobs := job.New(job.Options{DB: db, Log: log, Node: "n1", Poll: 20 * time.Millisecond, ProgressEvery: 10 * time.Millisecond})
	o := Options{DB: db, Log: log, KeyAlgorithm: "ed25519", Images: imgs, Blobs: blobs, BlobPath: imgs.path, Driver: drv, Network: net, Jobs: jobs,
		Hosts: []Host{{Name: "h1", Zone: "nova"}, {Name: "h2", Zone: "nova"}, {Name: "h3", Zone: "az2"}}}
	for _, f := range opts {
		f(&o)
	}
	svc, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	if err := jobs.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { jobs.Close() })
	mux := httpapi.NewMux(testPrincipals, log)
	mux.Mount(httpapi.Group{Name: "compute", Prefix: catalog.ComputePrefix, Dialect: httpapi.Nova, Routes: svc.Routes(nil)})
	return &env{t: t, svc: svc, h: mux, imgs: imgs, net: net, drv: drv, jobs: jobs}
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
