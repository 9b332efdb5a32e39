package identity_test

import (
	"strings"
	"testing"
)

// FuzzIdentityAPI sends client-controlled bodies and queries to Keystone's
// token, v2.0 token and CRUD handlers, as the admin and anonymously: every
// answer must be below 500.
func FuzzIdentityAPI(f *testing.F) {
	e := newEnv(f)
	admin := e.admin(f)
	for _, s := range []struct{ body, query string }{
		{passwordAuth("admin", adminPassword, projectScope("admin")), "nocatalog=1"},
		{`{"auth":{"identity":{"methods":["token"],"token":{"id":"x"}},"scope":"system"}}`, "name=a&enabled=true"},
		{`{"auth":{"passwordCredentials":{"username":"admin","password":"x"},"tenantName":"admin"}}`, "domain_id=default&limit=1"},
		{`{"project":{"name":"p","domain_id":"default","tags":["a"],"is_domain":false}}`, "user.id=u&scope.project.id=p&effective"},
		{`{"user":{"name":"u","password":"pw","default_project_id":"x","options":{}}}`, "include_names=1&include_subtree=true"},
		{`{"role":{"name":"r","domain_id":null}}`, "parents_as_list&subtree_as_ids"},
		{`{"credential":{"type":"ec2","blob":"{\"access\":\"a\"}","user_id":"u"}}`, "type=ec2"},
		{`{"trust":{"trustor_user_id":"u","trustee_user_id":"v","impersonation":true,"roles":[{"name":"member"}],"remaining_uses":2,"expires_at":"2030-01-01"}}`, "trustor_user_id=u"},
		{`{"application_credential":{"name":"a","roles":[{"id":"x"}],"access_rules":[{"service":"compute","method":"GET","path":"/**"}],"expires_at":"2030-01-01T00:00:00"}}`, "name=a"},
		{`{"registered_limits":[{"service_id":"s","resource_name":"r","default_limit":1}],"limits":[{"project_id":"p","service_id":"s","resource_name":"r","resource_limit":-1}]}`, "resource_name=r"},
		{`{"credentials":{"access":"a","signature":"s","token":"QVdTNA==","params":{"SignatureVersion":"2"},"headers":{"Authorization":"AWS4-HMAC-SHA256 Credential=a/b"}}}`, "name__icontains=A"},
		{`{"endpoint_group":{"name":"g","filters":{"service_id":"x"}},"endpoint":{"service_id":"x","interface":"public","url":"u","region":"r"},"tags":["a"]}`, "tags-any=a,b&not-tags=c"},
	} {
		f.Add(s.body, s.query)
	}
	f.Fuzz(func(t *testing.T, body, query string) {
		if strings.ContainsAny(query, " #") || strings.ContainsFunc(query, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return // not a request line a client can send
		}
		for _, c := range []struct{ method, path, token string }{
			{"POST", "/identity/v3/auth/tokens", ""},
			{"POST", "/identity/v2.0/tokens", ""},
			{"POST", "/identity/v3/projects", admin},
			{"POST", "/identity/v3/users", admin},
			{"POST", "/identity/v3/roles", admin},
			{"POST", "/identity/v3/credentials", admin},
			{"POST", "/identity/v3/domains", admin},
			{"PATCH", "/identity/v3/projects/default", admin},
			{"GET", "/identity/v3/projects?" + query, admin},
			{"GET", "/identity/v3/users?" + query, admin},
			{"GET", "/identity/v3/role_assignments?" + query, admin},
			{"GET", "/identity/v3/auth/tokens?" + query, admin},
			{"POST", "/identity/v3/OS-TRUST/trusts", admin},
			{"GET", "/identity/v3/OS-TRUST/trusts?" + query, admin},
			{"POST", "/identity/v3/users/x/application_credentials", admin},
			{"POST", "/identity/v3/registered_limits", admin},
			{"POST", "/identity/v3/limits", admin},
			{"POST", "/identity/v3/ec2tokens", admin},
			{"POST", "/identity/v3/s3tokens", admin},
			{"POST", "/identity/v3/endpoints", admin},
			{"POST", "/identity/v3/OS-EP-FILTER/endpoint_groups", admin},
			{"PUT", "/identity/v3/projects/default/tags", admin},
			{"POST", "/identity/v3/groups", admin},
			{"GET", "/identity/v3/groups?" + query, admin},
			{"GET", "/identity/v3/endpoints?" + query, admin},
		} {
			var b any
			if c.method != "GET" {
				b = body
			}
			if r := e.do(t, c.method, c.path, c.token, b, "X-Subject-Token", admin); r.code >= 500 {
				t.Fatalf("%s %s %q: %d %s", c.method, c.path, body, r.code, r.body)
			}
		}
	})
}
