package httpapi

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/policy"
)

// secMux serves a token route, a body route that streams and one that
// does not, and the admin-only metrics; log gets the access log.
func secMux(log io.Writer) *Mux {
	m := NewMux(fakeAuth{
		"member": {UserID: "u1", ProjectID: "p1", Roles: []string{"member"}},
		"admin":  {UserID: "u0", ProjectID: "p0", IsAdminProject: true, Roles: []string{"admin"}},
	}, slog.New(slog.NewTextHandler(log, nil)))
	echo := func(w http.ResponseWriter, r *http.Request) error {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return err
		}
		return WriteJSON(w, 200, map[string]int{"n": len(b)})
	}
	m.Mount(Group{Name: "identity", Prefix: "/identity", Dialect: Keystone, Routes: []Route{
		{Method: "GET", Pattern: "/v2.0/tokens/{token_id}", Policy: policy.Public, Handler: func(w http.ResponseWriter, r *http.Request) error {
			return WriteJSON(w, 200, map[string]string{})
		}},
		{Method: "POST", Pattern: "/v3/auth/tokens", Policy: policy.Public, Handler: echo},
		{Method: "POST", Pattern: "/v3/users", Policy: policy.Optional, Handler: echo},
		{Method: "PUT", Pattern: "/stream", Policy: policy.Optional, Handler: echo, Streaming: true},
	}})
	m.Mount(m.MetricsGroup())
	return m
}

// Issue 11, hole 7: tokens in paths and URL signatures in queries never
// reach the log.
func TestLogRedactsSecrets(t *testing.T) {
	var log bytes.Buffer
	m := secMux(&log)
	const tok = "gAAAAABsecret-token-value"
	const sig = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
	for _, target := range []string{
		"/identity/v2.0/tokens/" + tok,
		"/identity/v2.0/tokens/" + tok + "?belongsTo=x",
		"/identity/v2.0/tokens/x?temp_url_sig=" + sig + "&temp_url_expires=1",
		"/identity/v2.0/tokens/x?signature=" + sig + "&Signature=" + sig,
	} {
		m.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", target, nil))
	}
	out := log.String()
	if strings.Contains(out, tok) || strings.Contains(out, sig) {
		t.Fatalf("secret logged:\n%s", out)
	}
	if !strings.Contains(out, "path=/identity/v2.0/tokens/***") || !strings.Contains(out, "temp_url_sig=***&temp_url_expires=1") ||
		!strings.Contains(out, `query="belongsTo=x"`) {
		t.Fatalf("log lines lost their shape:\n%s", out)
	}
}

// Issue 11, hole 6: labels stay bounded whatever the client sends, and
// /metrics is for cloud admins.
func TestMetricsBoundedAndAdminOnly(t *testing.T) {
	m := secMux(io.Discard)
	for i := range 50 {
		req := httptest.NewRequest("GET", "/identity/v2.0/tokens/x", nil)
		req.Method = "M" + strings.Repeat("X", i)
		m.ServeHTTP(httptest.NewRecorder(), req)
	}
	get := func(token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "/metrics", nil)
		if token != "" {
			req.Header.Set("X-Auth-Token", token)
		}
		rec := httptest.NewRecorder()
		m.ServeHTTP(rec, req)
		return rec
	}
	if c := get("").Code; c != 401 {
		t.Fatalf("anonymous /metrics: %d", c)
	}
	if c := get("member").Code; c != 403 {
		t.Fatalf("member /metrics: %d", c)
	}
	rec := get("admin")
	if rec.Code != 200 {
		t.Fatalf("admin /metrics: %d", rec.Code)
	}
	body := rec.Body.String()
	if strings.Contains(body, `method="MX`) || !strings.Contains(body, `method="other"`) {
		t.Fatalf("method labels unbounded:\n%s", body)
	}
}

// Lower-severity item: an anonymous request body is capped on routes that
// do not stream; a body that trickles is cut off once its grace is spent,
// while one that keeps the rate passes.
func TestBodyBounds(t *testing.T) {
	m := secMux(io.Discard)
	m.SetBodyPolicy(BodyPolicy{MinRate: 1 << 20, Grace: 200 * time.Millisecond})
	srv := httptest.NewServer(m)
	defer srv.Close()
	big := strings.Repeat("x", AnonymousBodyLimit+1)
	for _, tc := range []struct {
		name, path, token string
		want              int
	}{
		{"anonymous over the cap", "/identity/v3/auth/tokens", "", 413},
		{"anonymous over the cap, optional token", "/identity/v3/users", "", 413},
		{"authenticated", "/identity/v3/users", "member", 200},
	} {
		req, _ := http.NewRequest("POST", srv.URL+tc.path, strings.NewReader(big))
		if tc.token != "" {
			req.Header.Set("X-Auth-Token", tc.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
	}
	// A body that sends one byte and then stalls.
	pr, pw := io.Pipe()
	defer pw.Close()
	go pw.Write([]byte("x"))
	req, _ := http.NewRequest("PUT", srv.URL+"/identity/stream", pr)
	req.ContentLength = 1 << 20
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 408 || !strings.Contains(string(b), msgRequestTimeout) {
		t.Fatalf("stalled body: %d %s", resp.StatusCode, b)
	}
	// A body that keeps coming in (the whole of it at once) is read.
	req, _ = http.NewRequest("PUT", srv.URL+"/identity/stream", strings.NewReader(strings.Repeat("y", 4<<20)))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"n":4194304`) {
		t.Fatalf("steady body: %d %s", resp.StatusCode, b)
	}
}
