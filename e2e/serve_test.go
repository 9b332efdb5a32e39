package e2e

import (
	"os"
	"strings"
	"testing"
)

func TestServeStartsAndStops(t *testing.T) {
	n := StartNode(t)
	code, _, body := n.Do(t, "GET", "/healthz", "", nil)
	if code != 200 || strings.TrimSpace(string(body)) != "ok" {
		t.Fatalf("healthz: %d %q", code, body)
	}
	n.Do(t, "GET", "/identity/no-such-path", "", nil) // counted under its service
	// Metrics describe every tenant's traffic: cloud admins only.
	if code, _, _ = n.Do(t, "GET", "/metrics", "", nil); code != 401 {
		t.Fatalf("anonymous metrics: %d", code)
	}
	code, _, body = n.Do(t, "GET", "/metrics", n.AdminToken(t), nil)
	if code != 200 || !strings.Contains(string(body), `stratus_http_requests_total{code="404",method="GET",service="identity"} 1`) {
		t.Fatalf("metrics: %d", code)
	}
	if _, err := os.Stat(n.CloudsYAML()); err != nil {
		t.Fatalf("clouds.yaml: %v", err)
	}
	n.Stop()
}

func TestUnbuiltServicesAnswer501InTheirDialect(t *testing.T) {
	n := StartNode(t)
	tok := n.AdminToken(t)
	code, _, body := n.Do(t, "GET", "/volume/v3/"+volProject(t, n, tok)+"/backups", tok, nil)
	if code != 501 || !strings.Contains(string(body), `"notImplemented"`) {
		t.Fatalf("volume backups: %d %s", code, body)
	}
	// Servers are built now (issue 13): an unbuilt compute API answers 501.
	code, _, body = n.Do(t, "GET", "/compute/v2.1/os-no-such-extension", tok, nil)
	if code != 501 || !strings.Contains(string(body), `"notImplemented"`) {
		t.Fatalf("compute: %d %s", code, body)
	}
	code, _, body = n.Do(t, "GET", "/compute/v2.1", "", nil)
	if code != 200 || !strings.Contains(string(body), `"CURRENT"`) {
		t.Fatalf("compute version: %d %s", code, body)
	}
	// K5 import is built: without a token it is K5's 401.
	code, _, body = n.Do(t, "POST", "/import/v1/imageimport", "", "{}")
	if code != 401 || !strings.Contains(string(body), `"error_code":"401"`) {
		t.Fatalf("import: %d %s", code, body)
	}
}
