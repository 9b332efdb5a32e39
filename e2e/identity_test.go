package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/projects"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/tokens"

	"github.com/stratus-iaas/stratus/internal/store/storetest"
)

// userEnv is the OS_* environment for another user: OS_CLOUD is cleared
// because openstackclient lets a clouds.yaml auth section win over
// OS_PROJECT_NAME and --os-project-name.
func (n *Node) userEnv(user, password, project string) []string {
	return []string{"OS_CLOUD=", "OS_AUTH_URL=" + n.URL + "/identity/v3", "OS_IDENTITY_API_VERSION=3",
		"OS_USERNAME=" + user, "OS_PASSWORD=" + password, "OS_PROJECT_NAME=" + project,
		"OS_USER_DOMAIN_NAME=Default", "OS_PROJECT_DOMAIN_NAME=Default", "OS_REGION_NAME=RegionOne"}
}

// field reads one field of `openstack ... -f json` output.
func field(t *testing.T, out, key string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("json %q: %v", out, err)
	}
	s, _ := m[key].(string)
	return s
}

func TestIdentityOpenStackCLI(t *testing.T) {
	t.Parallel()
	n := StartNode(t)
	tok := field(t, n.MustOpenStack(t, "token", "issue", "-f", "json"), "id")
	if tok == "" {
		t.Fatal("token issue: no id")
	}
	if out := n.MustOpenStack(t, "catalog", "list"); !strings.Contains(out, "identity") || !strings.Contains(out, n.URL+"/identity") {
		t.Fatalf("catalog list:\n%s", out)
	}
	projectID := field(t, n.MustOpenStack(t, "project", "create", "-f", "json", "demo"), "id")
	userID := field(t, n.MustOpenStack(t, "user", "create", "-f", "json", "--password", "demo-pw", "--project", "demo", "demo"), "id")
	if projectID == "" || userID == "" {
		t.Fatal("create: no ids")
	}
	if _, err := n.OpenStack(t, nil, "project", "create", "demo"); err == nil || !strings.Contains(err.Error(), "409") {
		t.Fatalf("duplicate project: %v", err)
	}
	n.MustOpenStack(t, "role", "add", "--project", "demo", "--user", "demo", "member")

	n.MustOpenStack(t, "token", "revoke", tok)
	if code, _, body := n.Do(t, "GET", "/identity/v3/auth/tokens", n.AdminToken(t), nil); code != 400 {
		t.Fatalf("no subject: %d %s", code, body)
	}
	if code, _, _ := n.Do(t, "GET", "/identity/v3/auth/projects", tok, nil); code != 401 {
		t.Fatalf("revoked token: %d", code)
	}

	out, err := n.OpenStack(t, n.userEnv("demo", "demo-pw", "demo"), "token", "issue", "-f", "json")
	if err != nil {
		t.Fatal(err)
	}
	if field(t, out, "project_id") != projectID || field(t, out, "user_id") != userID {
		t.Fatalf("demo token: %s", out)
	}
	// The member may not administer users.
	if _, err := n.OpenStack(t, n.userEnv("demo", "demo-pw", "demo"), "user", "create", "eve"); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("member creating a user: %v", err)
	}
	if out := n.MustOpenStack(t, "user", "list"); !strings.Contains(out, "demo") || !strings.Contains(out, "admin") {
		t.Fatalf("user list:\n%s", out)
	}
	if out := n.MustOpenStack(t, "project", "list"); !strings.Contains(out, projectID) {
		t.Fatalf("project list:\n%s", out)
	}
	out = n.MustOpenStack(t, "role", "assignment", "list", "--names", "--project", "demo")
	if !strings.Contains(out, "member") || !strings.Contains(out, "demo@Default") {
		t.Fatalf("role assignment list:\n%s", out)
	}

	// EC2 credentials, as the demo user for its own project.
	demo := n.userEnv("demo", "demo-pw", "demo")
	ec2, err := n.OpenStack(t, demo, "ec2", "credentials", "create", "-f", "json")
	if err != nil {
		t.Fatalf("ec2 credentials create: %v", err)
	}
	access := field(t, ec2, "access")
	if field(t, ec2, "project_id") != projectID || len(field(t, ec2, "secret")) != 32 {
		t.Fatalf("ec2 credentials create:\n%s", ec2)
	}
	if out, err := n.OpenStack(t, demo, "ec2", "credentials", "list"); err != nil || !strings.Contains(out, access) {
		t.Fatalf("ec2 credentials list: %v\n%s", err, out)
	}
	if _, err := n.OpenStack(t, demo, "ec2", "credentials", "delete", access); err != nil {
		t.Fatalf("ec2 credentials delete: %v", err)
	}
	if out, err := n.OpenStack(t, demo, "ec2", "credentials", "list"); err != nil || strings.Contains(out, access) {
		t.Fatalf("ec2 credentials list after delete: %v\n%s", err, out)
	}
}

func TestIdentityGophercloud(t *testing.T) {
	t.Parallel()
	n := StartNode(t)
	ctx := context.Background()
	provider, err := openstack.AuthenticatedClient(ctx, gophercloud.AuthOptions{
		IdentityEndpoint: n.URL + "/identity/v3",
		Username:         "admin", Password: AdminPassword, DomainName: "Default",
		Scope: &gophercloud.AuthScope{ProjectName: "admin", DomainName: "Default"},
	})
	if err != nil {
		t.Fatal(err)
	}
	client, err := openstack.NewIdentityV3(provider, gophercloud.EndpointOpts{Region: "RegionOne"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := projects.Create(ctx, client, projects.CreateOpts{Name: "gc", DomainID: "default", Description: "from gophercloud"}).Extract()
	if err != nil {
		t.Fatal(err)
	}
	pages, err := projects.List(client, projects.ListOpts{Name: "gc"}).AllPages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	all, err := projects.ExtractProjects(pages)
	if err != nil || len(all) != 1 || all[0].ID != p.ID || all[0].Description != "from gophercloud" {
		t.Fatalf("list: %+v %v", all, err)
	}

	tok := n.AdminToken(t)
	res := tokens.Get(ctx, client, tok)
	user, err := res.ExtractUser()
	if err != nil || user.Name != "admin" || user.Domain.Name != "Default" {
		t.Fatalf("user: %+v %v", user, err)
	}
	proj, err := res.ExtractProject()
	if err != nil || proj.Name != "admin" {
		t.Fatalf("project: %+v %v", proj, err)
	}
	roles, err := res.ExtractRoles()
	if err != nil || len(roles) == 0 {
		t.Fatalf("roles: %+v %v", roles, err)
	}
	cat, err := res.ExtractServiceCatalog()
	if err != nil || len(cat.Entries) == 0 {
		t.Fatalf("catalog: %+v %v", cat, err)
	}
	if ok, err := tokens.Validate(ctx, client, tok); err != nil || !ok {
		t.Fatalf("validate: %v %v", ok, err)
	}
	if err := tokens.Revoke(ctx, client, tok).Err; err != nil {
		t.Fatal(err)
	}
	if ok, _ := tokens.Validate(ctx, client, tok); ok {
		t.Fatal("revoked token still valid")
	}
}

func TestIdentityRestart(t *testing.T) {
	t.Parallel()
	n := StartNode(t)
	admin := n.AdminToken(t)
	code, _, body := n.Do(t, "POST", "/identity/v3/users", admin, `{"user":{"name":"keeper","password":"keeper-pw","domain_id":"default"}}`)
	if code != 201 {
		t.Fatalf("create user: %d %s", code, body)
	}
	code, hdr, body := n.Do(t, "POST", "/identity/v3/auth/tokens", "",
		`{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"keeper","domain":{"name":"Default"},"password":"keeper-pw"}}}}}`)
	if code != 201 {
		t.Fatalf("unscoped token: %d %s", code, body)
	}
	keeper := hdr.Get("X-Subject-Token")

	n.Restart()

	// Both tokens issued before the restart still validate.
	req, _ := http.NewRequest("GET", n.URL+"/identity/v3/auth/tokens", nil)
	req.Header.Set("X-Auth-Token", admin)
	req.Header.Set("X-Subject-Token", keeper)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("keeper's token after restart: %d", resp.StatusCode)
	}

	if code, _, body := n.Do(t, "GET", "/identity/v3/users?name=keeper", admin, nil); code != 200 || !strings.Contains(string(body), `"name":"keeper"`) {
		t.Fatalf("after restart: %d %s", code, body)
	}
	code, _, body = n.Do(t, "POST", "/identity/v3/auth/tokens", "",
		`{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"keeper","domain":{"name":"Default"},"password":"keeper-pw"}}}}}`)
	if code != 201 {
		t.Fatalf("keeper after restart: %d %s", code, body)
	}
	n.AdminToken(t)
}

func TestIdentityWire(t *testing.T) {
	t.Parallel()
	n := StartNode(t)
	code, _, body := n.Do(t, "GET", "/identity", "", nil)
	if code != 300 || !strings.Contains(string(body), `"values":[`) {
		t.Fatalf("root: %d %s", code, body)
	}
	code, hdr, body := n.Do(t, "POST", "/identity/v3/auth/tokens", "",
		`{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"id":"default"},"password":"wrong"}}}}}`)
	want := `{"error":{"code":401,"message":"The request you have made requires authentication.","title":"Unauthorized"}}`
	if code != 401 || string(body) != want || hdr.Get("WWW-Authenticate") == "" {
		t.Fatalf("wrong password: %d %s %v", code, body, hdr)
	}
	code, _, body = n.Do(t, "POST", "/identity/v2.0/tokens", "",
		`{"auth":{"passwordCredentials":{"username":"admin","password":"`+AdminPassword+`"},"tenantName":"admin"}}`)
	if code != 200 || !strings.Contains(string(body), `"serviceCatalog":[`) || !strings.Contains(string(body), `"publicURL":"`+n.URL+`/identity"`) {
		t.Fatalf("v2.0 tokens: %d %s", code, body)
	}
}

// Two nodes on one PostgreSQL database: a token revoked on one stops
// working on the other once that node's validation cache entry expires
// (1 s).
func TestIdentityTwoNodesRevocation(t *testing.T) {
	if os.Getenv(storetest.PGEnv) == "" {
		t.Skip("needs a shared PostgreSQL database (STRATUS_TEST_PG)")
	}
	t.Parallel()
	a := StartNode(t)
	b := &Node{t: t, DataDir: t.TempDir(), Database: a.Database}
	b.start()
	t.Cleanup(b.Kill)

	admin := a.AdminToken(t)
	user := b.AdminToken(t) // issued on b, validated on both
	if code, _, body := b.Do(t, "GET", "/identity/v3/auth/projects", user, nil); code != 200 {
		t.Fatalf("b: %d %s", code, body)
	}
	req, _ := http.NewRequest("DELETE", a.URL+"/identity/v3/auth/tokens", nil)
	req.Header.Set("X-Auth-Token", admin)
	req.Header.Set("X-Subject-Token", user)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 {
		t.Fatalf("revoke on a: %d", resp.StatusCode)
	}
	revoked := time.Now()
	for {
		code, _, _ := b.Do(t, "GET", "/identity/v3/auth/projects", user, nil)
		if code == 401 {
			t.Logf("revocation on a reached b after %v", time.Since(revoked).Round(time.Millisecond))
			return
		}
		if time.Since(revoked) > 5*time.Second {
			t.Fatalf("b still accepts the token %v after revocation on a", time.Since(revoked))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
