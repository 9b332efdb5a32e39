package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestIdentityV3CLI drives issue #17's Keystone APIs with Debian's
// openstack CLI: groups, group and inherited grants, implied roles,
// project tags, catalog writes, EC2 and application credentials.
func TestIdentityV3CLI(t *testing.T) {
	t.Parallel()
	n := StartNode(t)
	os := n.MustOpenStack
	os(t, "project", "create", "--domain", "default", "p1")
	os(t, "project", "create", "--domain", "default", "--parent", "p1", "p1-child")
	userID := field(t, os(t, "user", "create", "-f", "json", "--domain", "default", "--password", "u1-pw", "u1"), "id")
	u1 := n.userEnv("u1", "u1-pw", "p1")

	// Groups: the group's role reaches the member's token.
	os(t, "group", "create", "--domain", "default", "ops")
	os(t, "group", "add", "user", "ops", "u1")
	if out := os(t, "group", "contains", "user", "ops", "u1"); !strings.Contains(out, "u1 in group ops") {
		t.Fatalf("group contains user: %s", out)
	}
	os(t, "role", "add", "--group", "ops", "--project", "p1", "member")
	out, err := n.OpenStack(t, u1, "token", "issue", "-f", "json")
	if err != nil {
		t.Fatalf("u1 token through the group's role: %v", err)
	}
	if field(t, out, "user_id") != userID {
		t.Fatalf("token: %s", out)
	}
	if out := os(t, "role", "assignment", "list", "--effective", "--user", "u1", "--project", "p1", "--names"); !strings.Contains(out, "member") || !strings.Contains(out, "reader") {
		t.Fatalf("effective assignments:\n%s", out)
	}

	// Implied roles: viewer implied by member shows in u1's token.
	os(t, "role", "create", "viewer")
	os(t, "implied", "role", "create", "member", "--implied-role", "viewer")
	if out := os(t, "implied", "role", "list"); !strings.Contains(out, "viewer") {
		t.Fatalf("implied role list:\n%s", out)
	}
	if out := os(t, "role", "assignment", "list", "--effective", "--user", "u1", "--project", "p1", "--names"); !strings.Contains(out, "viewer") {
		t.Fatalf("implied role in effective assignments:\n%s", out)
	}

	// Inherited grant on p1 applies to its child only.
	os(t, "role", "create", "auditor")
	os(t, "role", "add", "--inherited", "--project", "p1", "--user", "u1", "auditor")
	if out := os(t, "role", "assignment", "list", "--inherited", "--names"); !strings.Contains(out, "auditor") {
		t.Fatalf("inherited assignments:\n%s", out)
	}
	child, err := n.OpenStack(t, n.userEnv("u1", "u1-pw", "p1-child"), "token", "issue", "-f", "json")
	if err != nil || field(t, child, "project_id") == "" {
		t.Fatalf("token on the child through the inherited grant: %v %s", err, child)
	}

	// Project tags.
	os(t, "project", "set", "--tag", "blue", "--tag", "prod", "p1")
	if out := os(t, "project", "list", "--tags", "blue"); !strings.Contains(out, "p1") || strings.Contains(out, "admin") {
		t.Fatalf("project list --tags:\n%s", out)
	}
	if out := os(t, "project", "show", "p1", "-f", "json"); !strings.Contains(out, "prod") {
		t.Fatalf("project show tags: %s", out)
	}

	// Catalog writes show in the catalog.
	os(t, "service", "create", "--name", "designate", "dns")
	os(t, "endpoint", "create", "--region", "RegionOne", "dns", "public", "http://dns.test:9001")
	if out := os(t, "catalog", "list"); !strings.Contains(out, "designate") || !strings.Contains(out, "http://dns.test:9001") {
		t.Fatalf("catalog list after endpoint create:\n%s", out)
	}
	if out := os(t, "endpoint", "list", "--service", "dns"); !strings.Contains(out, "dns.test") {
		t.Fatalf("endpoint list:\n%s", out)
	}

	// EC2 credentials for u1 (ec2tokens is covered by unit tests with vectors).
	ec2, err := n.OpenStack(t, u1, "ec2", "credentials", "create", "-f", "json")
	if err != nil || field(t, ec2, "access") == "" {
		t.Fatalf("ec2 credentials create: %v %s", err, ec2)
	}

	// Application credential, then a token with it alone.
	ac, err := n.OpenStack(t, u1, "application", "credential", "create", "-f", "json", "--role", "reader", "ci")
	if err != nil {
		t.Fatalf("application credential create: %v", err)
	}
	acID, secret := field(t, ac, "id"), field(t, ac, "secret")
	if acID == "" || secret == "" {
		t.Fatalf("application credential: %s", ac)
	}
	acEnv := []string{"OS_CLOUD=", "OS_AUTH_URL=" + n.URL + "/identity/v3", "OS_IDENTITY_API_VERSION=3", "OS_AUTH_TYPE=v3applicationcredential",
		"OS_APPLICATION_CREDENTIAL_ID=" + acID, "OS_APPLICATION_CREDENTIAL_SECRET=" + secret, "OS_REGION_NAME=RegionOne"}
	tok, err := n.OpenStack(t, acEnv, "token", "issue", "-f", "json")
	if err != nil || field(t, tok, "user_id") != userID {
		t.Fatalf("token with the application credential: %v %s", err, tok)
	}
	bad := append(acEnv[:len(acEnv):len(acEnv)], "OS_APPLICATION_CREDENTIAL_SECRET=wrong")
	if _, err := n.OpenStack(t, bad, "token", "issue"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("wrong secret: %v", err)
	}
	if out, err := n.OpenStack(t, u1, "application", "credential", "list"); err != nil || !strings.Contains(out, "ci") {
		t.Fatalf("application credential list: %v %s", err, out)
	}
}

// TestIdentityTrustsAPI: a trustor delegates a role on its project to a
// trustee, who gets a trust-scoped token and uses it; deleting the trust
// ends it. Also: users cannot read each other's credentials.
func TestIdentityTrustsAPI(t *testing.T) {
	t.Parallel()
	n := StartNode(t)
	os := n.MustOpenStack
	os(t, "project", "create", "--domain", "default", "shop")
	trustorID := field(t, os(t, "user", "create", "-f", "json", "--domain", "default", "--password", "alice-pw", "alice"), "id")
	trusteeID := field(t, os(t, "user", "create", "-f", "json", "--domain", "default", "--password", "heat-pw", "heat"), "id")
	os(t, "role", "add", "--project", "shop", "--user", "alice", "member")
	os(t, "project", "create", "--domain", "default", "heat")
	os(t, "role", "add", "--project", "heat", "--user", "heat", "member")
	projectID := strings.TrimSpace(os(t, "project", "show", "shop", "-f", "value", "-c", "id"))
	alice := n.Token(t, "alice", "alice-pw", "shop")
	heat := n.Token(t, "heat", "heat-pw", "heat")

	code, _, body := n.Do(t, "POST", "/identity/v3/OS-TRUST/trusts", alice, map[string]any{"trust": map[string]any{
		"trustor_user_id": trustorID, "trustee_user_id": trusteeID, "project_id": projectID,
		"impersonation": true, "roles": []any{map[string]any{"name": "member"}}, "remaining_uses": 5}})
	if code != 201 {
		t.Fatalf("create trust: %d %s", code, body)
	}
	var tr struct {
		Trust struct {
			ID string `json:"id"`
		} `json:"trust"`
	}
	json.Unmarshal(body, &tr)
	if code, _, body := n.Do(t, "GET", "/identity/v3/OS-TRUST/trusts?trustee_user_id="+trusteeID, heat, nil); code != 200 || !strings.Contains(string(body), tr.Trust.ID) {
		t.Fatalf("trustee lists: %d %s", code, body)
	}
	auth := fmt.Sprintf(`{"auth":{"identity":{"methods":["token"],"token":{"id":%q}},"scope":{"OS-TRUST:trust":{"id":%q}}}}`, heat, tr.Trust.ID)
	code, hdr, body := n.Do(t, "POST", "/identity/v3/auth/tokens", "", auth)
	if code != 201 || !strings.Contains(string(body), `"OS-TRUST:trust"`) || !strings.Contains(string(body), trustorID) {
		t.Fatalf("trust-scoped token: %d %s", code, body)
	}
	trustTok := hdr.Get("X-Subject-Token")
	// The trust-scoped token works on the trustor's project in other services.
	if code, _, body := n.Do(t, "PUT", "/object-store/v1/AUTH_"+projectID+"/scaled", trustTok, nil); code != 201 && code != 202 {
		t.Fatalf("container with the trust token: %d %s", code, body)
	}
	if code, _, body := n.Do(t, "DELETE", "/identity/v3/OS-TRUST/trusts/"+tr.Trust.ID, alice, nil); code != 204 {
		t.Fatalf("delete trust: %d %s", code, body)
	}
	if code, _, _ := n.Do(t, "GET", "/object-store/v1/AUTH_"+projectID+"/scaled", trustTok, nil); code != 401 {
		t.Fatalf("trust token after the trust's deletion: %d", code)
	}

	// Isolation: heat cannot read alice's credentials or application credentials.
	code, _, body = n.Do(t, "POST", "/identity/v3/users/"+trustorID+"/application_credentials", alice, map[string]any{"application_credential": map[string]any{"name": "x"}})
	if code != 201 {
		t.Fatalf("app cred: %d %s", code, body)
	}
	code, _, body = n.Do(t, "POST", "/identity/v3/credentials", alice, map[string]any{"credential": map[string]any{"type": "totp", "user_id": trustorID, "blob": "seed"}})
	if code != 201 {
		t.Fatalf("credential: %d %s", code, body)
	}
	for _, path := range []string{"/identity/v3/users/" + trustorID + "/application_credentials", "/identity/v3/users/" + trustorID + "/credentials/OS-EC2"} {
		if code, _, _ := n.Do(t, "GET", path, heat, nil); code != 403 {
			t.Fatalf("heat reads %s: %d", path, code)
		}
	}
	if code, _, body := n.Do(t, "GET", "/identity/v3/credentials", heat, nil); code != 200 || strings.Contains(string(body), "seed") {
		t.Fatalf("heat's credential list shows alice's: %d %s", code, body)
	}
}
