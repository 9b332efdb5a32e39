package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testServer(t *testing.T, edit func(c *Config)) *Server {
	t.Helper()
	c := Defaults()
	c.DataDir = filepath.Join(t.TempDir(), "data")
	c.Listen, c.AdminPassword, c.BcryptCost = "127.0.0.1:0", "pw", 4
	if edit != nil {
		edit(&c)
	}
	s, err := New(context.Background(), c, slog.New(slog.DiscardHandler), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func get(t *testing.T, h http.Handler, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	return rec
}

// Issue 11: the data dir is the owner's only even when it existed with a
// wider mode, /healthz says a status and nothing else, and /metrics needs
// a cloud admin on the API listener.
func TestServerHardening(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := testServer(t, func(c *Config) { c.DataDir = dir })
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("data dir mode %v (%v)", fi.Mode().Perm(), err)
	}
	if rec := get(t, s.Handler(), "/healthz"); rec.Code != 200 || rec.Body.String() != "ok\n" {
		t.Fatalf("healthz %d %q", rec.Code, rec.Body)
	}
	if rec := get(t, s.Handler(), "/metrics"); rec.Code != 401 {
		t.Fatalf("anonymous metrics %d", rec.Code)
	}
	s.db.Close() // the database goes away: a status, and no error text
	if rec := get(t, s.Handler(), "/healthz"); rec.Code != 503 || strings.TrimSpace(rec.Body.String()) != "unavailable" {
		t.Fatalf("healthz without a database %d %q", rec.Code, rec.Body)
	}
	s.db = nil
}

// --metrics-listen moves /metrics to a listener of its own.
func TestMetricsListener(t *testing.T) {
	s := testServer(t, func(c *Config) { c.MetricsListen = "127.0.0.1:0" })
	if rec := get(t, s.Handler(), "/metrics"); rec.Code != 404 {
		t.Fatalf("API listener still serves metrics: %d", rec.Code)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	defer func() { cancel(); <-done }()
	resp, err := http.Get("http://" + s.MetricsAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "go_goroutines") {
		t.Fatalf("metrics listener: %d %.200s", resp.StatusCode, b)
	}
}
