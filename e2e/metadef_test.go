package e2e

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestMetadefsGlanceCLI drives the metadata definitions catalog with
// Debian's glance client (which checks replies against the served
// /v2/schemas/metadefs/* documents) and raw HTTP for what the client hides:
// the seeded catalog, a private namespace hidden from another project,
// admin-only writes and protection.
func TestMetadefsGlanceCLI(t *testing.T) {
	n := StartNode(t)
	tok := n.AdminToken(t)
	glance := func(args ...string) string {
		t.Helper()
		out, err := glanceCLI(t, n, args...)
		if err != nil {
			t.Fatalf("glance %v: %v", args, err)
		}
		return out
	}

	if out := glance("md-resource-type-list"); !strings.Contains(out, "OS::Glance::Image") {
		t.Fatalf("resource types:\n%s", out)
	}
	if out := glance("md-namespace-list"); !strings.Contains(out, "OS::Compute::Libvirt") {
		t.Fatalf("standard namespaces not listed:\n%s", out)
	}
	if out := glance("md-namespace-show", "OS::Compute::CPUPinning", "--resource-type", "OS::Nova::Flavor"); !strings.Contains(out, "hw:cpu_policy") {
		t.Fatalf("prefixed properties:\n%s", out)
	}

	glance("md-namespace-create", "e2e::ns", "--visibility", "private", "--protected", "True", "--display-name", "E2E")
	glance("md-resource-type-associate", "e2e::ns", "--name", "OS::Glance::Image", "--prefix", "e2e_")
	glance("md-property-create", "e2e::ns", "--name", "speed", "--title", "Speed", "--schema", `{"type": "integer", "minimum": 1}`)
	glance("md-object-create", "e2e::ns", "--name", "Thing", "--schema",
		`{"description": "d", "properties": {"size": {"title": "Size", "type": "integer"}}, "required": ["size"]}`)
	glance("md-tag-create-multiple", "e2e::ns", "--names", "red,green")
	// A bulk create replaces the tags (glanceclient 4's --append fails in the
	// client itself, "quote_from_bytes() expected bytes"; the unit tests append).
	if code, _, body := n.Do(t, "POST", "/image/v2/metadefs/namespaces/e2e::ns/tags", tok,
		map[string]any{"tags": []any{map[string]string{"name": "blue"}}}); code != 201 {
		t.Fatalf("bulk tags: %d %s", code, body)
	}
	glance("md-tag-create", "e2e::ns", "--name", "yellow")
	out := glance("md-namespace-show", "e2e::ns")
	for _, want := range []string{"E2E", "speed", "Thing", "yellow", "blue", "OS::Glance::Image"} {
		if !strings.Contains(out, want) {
			t.Errorf("namespace show lacks %q:\n%s", want, out)
		}
	}
	if out := glance("md-property-show", "e2e::ns", "speed"); !strings.Contains(out, "Speed") {
		t.Fatalf("property:\n%s", out)
	}
	if out := glance("md-object-show", "e2e::ns", "Thing"); !strings.Contains(out, "size") {
		t.Fatalf("object:\n%s", out)
	}
	if out := glance("md-tag-list", "e2e::ns"); strings.Contains(out, "green") || !strings.Contains(out, "blue") || !strings.Contains(out, "yellow") {
		t.Fatalf("tags:\n%s", out)
	}

	// A member of another project does not see the private namespace, and
	// may not write a public one.
	n.MustOpenStack(t, "project", "create", "md-other")
	n.MustOpenStack(t, "user", "create", "md-user", "--password", "pw", "--project", "md-other")
	n.MustOpenStack(t, "role", "add", "--project", "md-other", "--user", "md-user", "member")
	member := n.Token(t, "md-user", "pw", "md-other")
	if code, _, body := n.Do(t, "GET", "/image/v2/metadefs/namespaces/e2e::ns", member, nil); code != 404 {
		t.Fatalf("another project reads a private namespace: %d %s", code, body)
	}
	code, _, body := n.Do(t, "GET", "/image/v2/metadefs/namespaces?limit=1000", member, nil)
	if code != 200 || strings.Contains(string(body), "e2e::ns") {
		t.Fatalf("another project lists: %d %s", code, body)
	}
	code, _, body = n.Do(t, "POST", "/image/v2/metadefs/namespaces/OS::Compute::Quota/tags/x", member, nil)
	if code != 403 || !strings.Contains(string(body), "add_metadef_tag") {
		t.Fatalf("a member adds a tag: %d %s", code, body)
	}

	// Protected: the delete is refused until the namespace is unprotected.
	if _, err := glanceCLI(t, n, "md-namespace-delete", "e2e::ns"); err == nil || !strings.Contains(err.Error(), "protected") {
		t.Fatalf("protected namespace deleted: %v", err)
	}
	glance("md-namespace-update", "e2e::ns", "--protected", "False", "--visibility", "public")
	code, _, body = n.Do(t, "GET", "/image/v2/metadefs/namespaces/e2e::ns", member, nil)
	var ns map[string]any
	if code != 200 || json.Unmarshal(body, &ns) != nil || ns["visibility"] != "public" {
		t.Fatalf("after update: %d %s", code, body)
	}
	glance("md-namespace-delete", "e2e::ns")
	if code, _, _ := n.Do(t, "GET", "/image/v2/metadefs/namespaces/e2e::ns", tok, nil); code != 404 {
		t.Fatalf("deleted namespace: %d", code)
	}
}
