package policy

import "testing"

func TestRules(t *testing.T) {
	admin := &Principal{ProjectID: "p1", IsAdminProject: true, Roles: []string{"admin"}}
	projectAdmin := &Principal{ProjectID: "p2", Roles: []string{"admin"}}
	domainAdmin := &Principal{DomainID: "d1", Roles: []string{"admin"}}
	systemAdmin := &Principal{SystemScope: true, Roles: []string{"admin"}}
	systemReader := &Principal{SystemScope: true, Roles: []string{"reader"}}
	member := &Principal{ProjectID: "p1", Roles: []string{"member"}}
	reader := &Principal{ProjectID: "p1", Roles: []string{"reader"}}
	unscoped := &Principal{Roles: nil}
	tests := []struct {
		rule Rule
		p    *Principal
		want bool
	}{
		{Public, nil, true},
		{Optional, nil, true},
		{Optional, member, true},
		{Authenticated, nil, false},
		{Authenticated, unscoped, true},
		{Admin, member, false},
		{Admin, admin, true},
		{Admin, projectAdmin, false},
		{Admin, domainAdmin, false},
		{Admin, systemAdmin, true},
		{Admin, systemReader, false},
		{ProjectMember, projectAdmin, true},
		{ProjectReader, reader, true},
		{ProjectReader, unscoped, false},
		{ProjectMember, reader, false},
		{ProjectMember, member, true},
		{ProjectMember, admin, true},
	}
	for _, tt := range tests {
		if got := tt.rule.Allow(tt.p); got != tt.want {
			t.Errorf("%s.Allow(%+v) = %v, want %v", tt.rule.Name, tt.p, got, tt.want)
		}
	}
}

func TestInProject(t *testing.T) {
	if !(&Principal{ProjectID: "a"}).InProject("a") || (&Principal{ProjectID: "a"}).InProject("b") {
		t.Fatal("InProject by scope")
	}
	if !(&Principal{ProjectID: "a", IsAdminProject: true, Roles: []string{"admin"}}).InProject("b") {
		t.Fatal("admin is in every project")
	}
	if (&Principal{ProjectID: "a", Roles: []string{"admin"}}).InProject("b") {
		t.Fatal("an admin of project a is not in project b")
	}
	var nilp *Principal
	if nilp.InProject("a") || nilp.IsAdmin() {
		t.Fatal("nil principal has no rights")
	}
}

func TestAccessRules(t *testing.T) {
	p := &Principal{AccessRules: []AccessRule{
		{Service: "compute", Method: "GET", Path: "/v2.1/servers/*/ips"},
		{Service: "image", Method: "GET", Path: "/v2/images/**"},
		{Service: "object-store", Method: "PUT", Path: "/v1/{account}/c/o"},
	}}
	for _, c := range []struct {
		types        []string
		method, path string
		want         bool
	}{
		{[]string{"compute"}, "GET", "/v2.1/servers/abc/ips", true},
		{[]string{"compute"}, "GET", "/v2.1/servers//ips", false},
		{[]string{"compute"}, "GET", "/v2.1/servers/a/b/ips", false},
		{[]string{"compute"}, "POST", "/v2.1/servers/abc/ips", false},
		{[]string{"image"}, "GET", "/v2/images/x/file", true},
		{[]string{"image"}, "GET", "/v2/images/", true},
		{[]string{"image"}, "GET", "/v2/images", false},
		{[]string{"compute"}, "GET", "/v2/images/x", false},
		{[]string{"object-store"}, "PUT", "/v1/AUTH_p/c/o", true},
		{[]string{"object-store"}, "PUT", "/v1/AUTH_p/c/o2", false},
		{[]string{"volumev3", "block-storage"}, "GET", "/v3/p/volumes", false},
	} {
		if got := p.AllowsCall(c.types, c.method, c.path); got != c.want {
			t.Errorf("%v %s %s: %v, want %v", c.types, c.method, c.path, got, c.want)
		}
	}
	if !(&Principal{}).AllowsCall([]string{"compute"}, "DELETE", "/anything") {
		t.Error("a principal without rules is limited")
	}
}
