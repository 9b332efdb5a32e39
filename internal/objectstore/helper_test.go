package objectstore

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stratus-iaas/stratus/internal/blob"
	"github.com/stratus-iaas/stratus/internal/blob/blobtest"
	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store/storetest"
)

// fakeAuth maps fixed tokens to principals.
type fakeAuth map[string]*policy.Principal

func (f fakeAuth) Authenticate(ctx context.Context, tok string) (*policy.Principal, error) {
	if p, ok := f[tok]; ok {
		return p, nil
	}
	return nil, fault.Unauthorizedf("The request you have made requires authentication.")
}

var testAuth = fakeAuth{
	"tok-a":      inDefault(&policy.Principal{UserID: "ua", UserName: "alice", ProjectID: "pa", ProjectName: "proja", Roles: []string{"member"}}),
	"tok-b":      inDefault(&policy.Principal{UserID: "ub", UserName: "bob", ProjectID: "pb", ProjectName: "projb", Roles: []string{"member"}}),
	"tok-reader": inDefault(&policy.Principal{UserID: "ur", UserName: "rita", ProjectID: "pa", ProjectName: "proja", Roles: []string{"reader"}}),
	"tok-admin":  inDefault(&policy.Principal{UserID: "uadm", UserName: "admin", ProjectID: "padm", ProjectName: "admin", IsAdminProject: true, Roles: []string{"admin"}}),
	// bob's namesake in another domain: same user and project names, other ids.
	"tok-b2": {UserID: "ub2", UserName: "bob", UserDomainID: "d2", ProjectID: "pb2", ProjectName: "projb", ProjectDomain: "d2",
		Roles: []string{"member"}},
}

func inDefault(p *policy.Principal) *policy.Principal {
	p.UserDomainID, p.ProjectDomain = defaultDomainID, defaultDomainID
	return p
}

// testDomains is the domain of every test project (Options.ProjectDomain).
func testDomains(ctx context.Context, project string) (string, error) {
	if project == "pb2" {
		return "d2", nil
	}
	return defaultDomainID, nil
}

type testEnv struct {
	t     testing.TB
	srv   *httptest.Server
	svc   *Service
	blobs blob.Store
}

func newEnv(t testing.TB) *testEnv { return newEnvWith(t, Options{}) }

// newEnvWith is newEnv with options (DB and Blobs are filled in).
func newEnvWith(t testing.TB, opts Options) *testEnv {
	t.Helper()
	db := storetest.Open(t)
	blobs := blobtest.Open(t)
	opts.DB, opts.Blobs = db, blobs
	if opts.ProjectDomain == nil {
		opts.ProjectDomain = testDomains
	}
	svc, err := New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	mux := httpapi.NewMux(testAuth, slog.New(slog.DiscardHandler))
	mux.Mount(svc.Group())
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { srv.Close(); svc.Close() })
	return &testEnv{t: t, srv: srv, svc: svc, blobs: blobs}
}

const acctA = "/object-store/v1/AUTH_pa"

// do sends a request; hdr is "Name: value" lines.
func (e *testEnv) do(method, path, token string, body string, hdr ...string) (*http.Response, string) {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	if method == "PUT" && body == "" {
		req.ContentLength = 0
		req.Header.Set("Content-Length", "0")
		req.Body = http.NoBody
	}
	for _, h := range hdr {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(k, strings.TrimSpace(v))
	}
	client := http.DefaultClient
	if method == "POST" {
		client = noRedirect
	}
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// noRedirect returns redirects as they are: a POST to a symlink is a 307
// the client is not meant to follow (GETs follow, as static web tests do).
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// must checks the status.
func (e *testEnv) must(status int, method, path, token, body string, hdr ...string) (*http.Response, string) {
	e.t.Helper()
	resp, b := e.do(method, path, token, body, hdr...)
	if resp.StatusCode != status {
		e.t.Fatalf("%s %s: got %d want %d: %s", method, path, resp.StatusCode, status, b)
	}
	return resp, b
}

// bothStores runs test against a service that keeps small objects inline
// (the default) and one that writes every object to the blob store.
func bothStores(t *testing.T, test func(t *testing.T, e *testEnv)) {
	t.Run("inline", func(t *testing.T) { t.Parallel(); test(t, newEnv(t)) })
	t.Run("files", func(t *testing.T) { t.Parallel(); test(t, newEnvWith(t, Options{InlineMax: -1})) })
}
