package network

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
)

type fakeAuth map[string]*policy.Principal

func (f fakeAuth) Authenticate(_ context.Context, tok string) (*policy.Principal, error) {
	if p, ok := f[tok]; ok {
		return p, nil
	}
	return nil, fault.Unauthorizedf("The request you have made requires authentication.")
}

// testAPI serves the Neutron routes with tokens "alice", "bob", "admin".
func testAPI(t *testing.T) (*Service, func(method, path, token, body string) (int, map[string]any)) {
	t.Helper()
	s := newTestService(t)
	t.Cleanup(func() { checkPortCaches(t, s) })
	mux := httpapi.NewMux(fakeAuth{"alice": alice, "bob": bob, "admin": admin}, slog.New(slog.DiscardHandler))
	mux.Mount(s.Group())
	return s, func(method, path, token, body string) (int, map[string]any) {
		t.Helper()
		req := httptest.NewRequest(method, "/networking/v2.0"+path, strings.NewReader(body))
		req.Header.Set("X-Auth-Token", token)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		var m map[string]any
		if rec.Body.Len() > 0 {
			if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
				t.Fatalf("%s %s: body %q", method, path, rec.Body)
			}
		}
		return rec.Code, m
	}
}

func errMsg(m map[string]any) string {
	e, _ := m["NeutronError"].(map[string]any)
	s, _ := e["message"].(string)
	return s
}

func idOf(m map[string]any, resource string) string {
	r, _ := m[resource].(map[string]any)
	s, _ := r["id"].(string)
	return s
}

func TestHTTPValidation(t *testing.T) {
	_, do := testAPI(t)
	_, m := do("POST", "/networks", "alice", `{"network": {"name": "n"}}`)
	net := idOf(m, "network")
	_, m = do("POST", "/subnets", "alice", `{"subnet": {"network_id": "`+net+`", "ip_version": 4, "cidr": "10.0.0.0/24"}}`)
	sub := idOf(m, "subnet")
	_, m = do("POST", "/security-groups", "alice", `{"security_group": {"name": "web"}}`)
	sg := idOf(m, "security_group")
	tests := []struct {
		name, method, path, body string
		status                   int
		msg                      string
	}{
		{"no body", "POST", "/networks", ``, 400, "Resource body required"},
		{"not json", "POST", "/networks", `{x`, 400, "Body contains invalid data"},
		{"wrong key", "POST", "/networks", `{"net": {}}`, 400, "Unable to find 'network' in request body"},
		{"read-only post", "POST", "/networks", `{"network": {"status": "DOWN"}}`, 400, "Attribute 'status' not allowed in POST"},
		{"read-only put", "PUT", "/networks/" + net, `{"network": {"status": "DOWN"}}`, 400, "Cannot update read-only attribute status"},
		{"bad bool", "POST", "/networks", `{"network": {"admin_state_up": "maybe"}}`, 400, "Invalid input for operation: 'maybe' cannot be converted to boolean."},
		{"long name", "POST", "/networks", `{"network": {"name": "` + strings.Repeat("x", 256) + `"}}`, 400, ""},
		{"shared by member", "POST", "/networks", `{"network": {"shared": true}}`, 403, "(rule:create_network and rule:create_network:shared) is disallowed by policy"},
		{"other project", "POST", "/networks", `{"network": {"tenant_id": "pb"}}`, 400, "Specifying 'project_id' or 'tenant_id' other than the authenticated project in request is not allowed for current user."},
		{"ids differ", "POST", "/networks", `{"network": {"tenant_id": "pa", "project_id": "pb"}}`, 400, "'project_id' and 'tenant_id' do not match"},
		{"subnet no version", "POST", "/subnets", `{"subnet": {"network_id": "` + net + `", "cidr": "10.1.0.0/24"}}`, 400, "Failed to parse request. Required attribute 'ip_version' not specified"},
		{"subnet bad cidr", "POST", "/subnets", `{"subnet": {"network_id": "` + net + `", "ip_version": 4, "cidr": "10.1.0/24"}}`, 400, "Invalid input for cidr. Reason: '10.1.0/24' is not a valid IP subnet."},
		{"subnet version mismatch", "POST", "/subnets", `{"subnet": {"network_id": "` + net + `", "ip_version": 6, "cidr": "10.1.0.0/24"}}`, 400, "Invalid input for operation: cidr '10.1.0.0/24' does not match the ip_version '6'."},
		{"subnet overlap", "POST", "/subnets", `{"subnet": {"network_id": "` + net + `", "ip_version": 4, "cidr": "10.0.0.128/25"}}`, 400, "Invalid input for operation: Requested subnet with cidr: 10.0.0.128/25 for network: " + net + " overlaps with another subnet."},
		{"subnet gw in pool", "POST", "/subnets", `{"subnet": {"network_id": "` + net + `", "ip_version": 4, "cidr": "10.2.0.0/24", "gateway_ip": "10.2.0.5", "allocation_pools": [{"start": "10.2.0.2", "end": "10.2.0.9"}]}}`, 409, "Gateway ip 10.2.0.5 conflicts with allocation pool 10.2.0.2-10.2.0.9"},
		{"subnet no cidr", "POST", "/subnets", `{"subnet": {"network_id": "` + net + `", "ip_version": 4}}`, 400, "Bad subnets request: a subnetpool must be specified in the absence of a cidr."},
		{"subnetpool 501", "POST", "/subnets", `{"subnet": {"network_id": "` + net + `", "ip_version": 4, "subnetpool_id": "` + net + `"}}`, 501, ""},
		{"port bad mac", "POST", "/ports", `{"port": {"network_id": "` + net + `", "mac_address": "zz"}}`, 400, "Invalid input for mac_address. Reason: 'zz' is not a valid MAC address."},
		{"port ip outside", "POST", "/ports", `{"port": {"network_id": "` + net + `", "fixed_ips": [{"ip_address": "10.9.9.9"}]}}`, 400, "IP address 10.9.9.9 is not a valid IP for any of the subnets on the specified network."},
		{"port wrong subnet ip", "POST", "/ports", `{"port": {"network_id": "` + net + `", "fixed_ips": [{"subnet_id": "` + sub + `", "ip_address": "10.0.0.255"}]}}`, 400, "IP address 10.0.0.255 is not a valid IP for the specified subnet."},
		{"port host by member", "POST", "/ports", `{"port": {"network_id": "` + net + `", "binding:host_id": "h1"}}`, 403, "(rule:create_port and rule:create_port:binding:host_id) is disallowed by policy"},
		{"port missing group", "POST", "/ports", `{"port": {"network_id": "` + net + `", "security_groups": ["` + net + `"]}}`, 404, "Security group " + net + " does not exist"},
		{"rule protocol", "POST", "/security-group-rules", `{"security_group_rule": {"security_group_id": "` + sg + `", "direction": "ingress", "protocol": "bogus"}}`, 400, "Security group rule protocol bogus not supported. Only protocol values (None, 'any', 'ah', 'dccp', 'egp', 'esp', 'gre', 'hopopt', 'icmp', 'igmp', 'ip', 'ipip', 'ipv6-encap', 'ipv6-frag', 'ipv6-icmp', 'icmpv6', 'ipv6-nonxt', 'ipv6-opts', 'ipv6-route', 'ospf', 'pgm', 'rsvp', 'sctp', 'tcp', 'udp', 'udplite', 'vrrp') and integer representations [0 to 255] are supported."},
		{"rule range", "POST", "/security-group-rules", `{"security_group_rule": {"security_group_id": "` + sg + `", "direction": "ingress", "protocol": "tcp", "port_range_min": 90, "port_range_max": 80}}`, 400, "For TCP/UDP protocols, port_range_min must be <= port_range_max"},
		{"rule port value", "POST", "/security-group-rules", `{"security_group_rule": {"security_group_id": "` + sg + `", "direction": "ingress", "protocol": "tcp", "port_range_min": 70000, "port_range_max": 70000}}`, 400, "Invalid value for port 70000"},
		{"rule ports no protocol", "POST", "/security-group-rules", `{"security_group_rule": {"security_group_id": "` + sg + `", "direction": "ingress", "port_range_min": 22, "port_range_max": 22}}`, 400, "Must also specify protocol if port range is given."},
		{"rule icmp code", "POST", "/security-group-rules", `{"security_group_rule": {"security_group_id": "` + sg + `", "direction": "ingress", "protocol": "icmp", "port_range_max": 3}}`, 400, "ICMP code (port-range-max) 3 is provided but ICMP type (port-range-min) is missing."},
		{"rule ethertype cidr", "POST", "/security-group-rules", `{"security_group_rule": {"security_group_id": "` + sg + `", "direction": "ingress", "ethertype": "IPv6", "remote_ip_prefix": "10.0.0.0/8"}}`, 400, "Conflicting value ethertype IPv6 for CIDR 10.0.0.0/8"},
		{"rule two remotes", "POST", "/security-group-rules", `{"security_group_rule": {"security_group_id": "` + sg + `", "direction": "ingress", "remote_group_id": "` + sg + `", "remote_ip_prefix": "10.0.0.0/8"}}`, 400, "Only one of remote_ip_prefix or remote_group_id or remote_address_group_id may be provided."},
		{"rule direction", "POST", "/security-group-rules", `{"security_group_rule": {"security_group_id": "` + sg + `", "direction": "sideways"}}`, 400, "Invalid input for direction. Reason: sideways is not in ['ingress', 'egress']."},
		{"rule bad ethertype", "POST", "/security-group-rules", `{"security_group_rule": {"security_group_id": "` + sg + `", "direction": "egress", "ethertype": "IPv5"}}`, 400, "Security group rule for ethertype 'IPv5' not supported. Allowed values are ['IPv4', 'IPv6']."},
		{"group named default", "POST", "/security-groups", `{"security_group": {"name": "default"}}`, 409, "Default security group already exists."},
		{"bad limit", "GET", "/networks?limit=x", ``, 400, "Bad limit request: Limit must be an integer 0 or greater and not 'x'."},
		{"bad sort key", "GET", "/networks?sort_key=bogus&sort_dir=asc", ``, 400, "['bogus'] is invalid attribute for sort_keys"},
		{"unknown extension", "GET", "/extensions/bogus", ``, 404, "Extension with alias bogus does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, m := do(tt.method, tt.path, "alice", tt.body)
			if code != tt.status || (tt.msg != "" && errMsg(m) != tt.msg) {
				t.Fatalf("%d %q, want %d %q", code, errMsg(m), tt.status, tt.msg)
			}
		})
	}
}

func TestHTTPIsolationAndAdmin(t *testing.T) {
	_, do := testAPI(t)
	_, m := do("POST", "/networks", "alice", `{"network": {"name": "a-net"}}`)
	net := idOf(m, "network")
	_, m = do("POST", "/subnets", "alice", `{"subnet": {"network_id": "`+net+`", "ip_version": 4, "cidr": "10.0.0.0/24"}}`)
	sub := idOf(m, "subnet")
	_, m = do("POST", "/ports", "alice", `{"port": {"network_id": "`+net+`"}}`)
	port := idOf(m, "port")
	if _, ok := m["port"].(map[string]any)["binding:host_id"]; ok {
		t.Fatal("member sees binding:host_id")
	}
	for _, path := range []string{"/networks/" + net, "/subnets/" + sub, "/ports/" + port} {
		if code, _ := do("GET", path, "bob", ""); code != 404 {
			t.Errorf("bob GET %s: %d", path, code)
		}
		if code, _ := do("DELETE", path, "bob", ""); code != 404 {
			t.Errorf("bob DELETE %s: %d", path, code)
		}
		if code, _ := do("GET", path, "admin", ""); code != 200 {
			t.Errorf("admin GET %s: %d", path, code)
		}
	}
	if _, m := do("GET", "/networks", "bob", ""); len(m["networks"].([]any)) != 0 {
		t.Fatalf("bob lists %v", m)
	}
	if _, m := do("GET", "/networks", "admin", ""); len(m["networks"].([]any)) != 1 {
		t.Fatalf("admin lists %v", m)
	}
	if code, m := do("GET", "/ports/"+port, "admin", ""); code != 200 || m["port"].(map[string]any)["binding:vif_type"] != "unbound" {
		t.Fatalf("admin port view %v", m)
	}
	// An admin makes a shared network; bob sees it and ports on it but
	// cannot change it.
	_, m = do("POST", "/networks", "admin", `{"network": {"name": "shared", "shared": true}}`)
	shared := idOf(m, "network")
	if code, _ := do("GET", "/networks/"+shared, "bob", ""); code != 200 {
		t.Fatalf("bob shared: %d", code)
	}
	if code, m := do("PUT", "/networks/"+shared, "bob", `{"network": {"name": "mine"}}`); code != 403 || errMsg(m) != "rule:update_network is disallowed by policy" {
		t.Fatalf("bob update shared: %d %v", code, m)
	}
	if code, _ := do("DELETE", "/networks/"+net, "alice", ""); code != 409 {
		t.Fatalf("delete network with port: %d", code)
	}
	if code, _ := do("GET", "/quotas", "alice", ""); code != 403 {
		t.Fatalf("member quota list: %d", code)
	}
	if code, m := do("GET", "/quotas/pb", "alice", ""); code != 403 {
		t.Fatalf("member reads other's quota: %d %v", code, m)
	}
}

func TestHTTPQuotas(t *testing.T) {
	_, do := testAPI(t)
	if code, m := do("PUT", "/quotas/pa", "admin", `{"quota": {"network": 1, "port": -1}}`); code != 200 || m["quota"].(map[string]any)["network"].(float64) != 1 {
		t.Fatalf("update: %d %v", code, m)
	}
	if code, _ := do("POST", "/networks", "alice", `{"network": {}}`); code != 201 {
		t.Fatal("first network refused")
	}
	code, m := do("POST", "/networks", "alice", `{"network": {}}`)
	if code != 409 || errMsg(m) != "Quota exceeded for resources: ['network']." {
		t.Fatalf("over quota: %d %v", code, m)
	}
	_, m = do("GET", "/quotas", "admin", "")
	if qs := m["quotas"].([]any); len(qs) != 1 || qs[0].(map[string]any)["project_id"] != "pa" {
		t.Fatalf("quota list %v", m)
	}
	_, m = do("GET", "/quotas/pa/details.json", "alice", "")
	if d := m["quota"].(map[string]any)["network"].(map[string]any); d["used"].(float64) != 1 || d["limit"].(float64) != 1 {
		t.Fatalf("details %v", m)
	}
	if code, _ := do("DELETE", "/quotas/pa", "admin", ""); code != 204 {
		t.Fatal("reset")
	}
	_, m = do("GET", "/quotas/pa", "alice", "")
	if m["quota"].(map[string]any)["network"].(float64) != 100 {
		t.Fatalf("after reset %v", m)
	}
}

func TestHTTPListFiltersAndTags(t *testing.T) {
	_, do := testAPI(t)
	var ids []string
	for _, name := range []string{"b", "a", "c"} {
		_, m := do("POST", "/networks", "alice", `{"network": {"name": "`+name+`"}}`)
		ids = append(ids, idOf(m, "network"))
	}
	if code, _ := do("PUT", "/networks/"+ids[0]+"/tags", "alice", `{"tags": ["red", "blue"]}`); code != 200 {
		t.Fatal("set tags")
	}
	if code, _ := do("PUT", "/networks/"+ids[1]+"/tags/red", "alice", ""); code != 201 {
		t.Fatal("add tag")
	}
	names := func(m map[string]any) string {
		var out []string
		for _, n := range m["networks"].([]any) {
			out = append(out, n.(map[string]any)["name"].(string))
		}
		return strings.Join(out, ",")
	}
	tests := []struct{ query, want string }{
		{"", "b,a,c"},
		{"?sort_key=name&sort_dir=asc", "a,b,c"},
		{"?sort_key=name&sort_dir=desc", "c,b,a"},
		{"?name=a&name=c", "a,c"},
		{"?tags=red", "b,a"},
		{"?tags=red,blue", "b"},
		{"?tags-any=blue", "b"},
		{"?not-tags=red", "c"},
		{"?admin_state_up=True&shared=false", "b,a,c"},
		{"?sort_key=name&sort_dir=asc&limit=2", "a,b"},
		{"?sort_key=name&sort_dir=asc&limit=2&marker=" + ids[0], "c"},
		{"?sort_key=name&sort_dir=asc&limit=1&marker=" + ids[2] + "&page_reverse=true", "b"},
	}
	for _, tt := range tests {
		code, m := do("GET", "/networks"+tt.query, "alice", "")
		if code != 200 || names(m) != tt.want {
			t.Errorf("%s: %d %s, want %s", tt.query, code, names(m), tt.want)
		}
	}
	if code, _ := do("GET", "/networks/"+ids[1]+"/tags/blue", "alice", ""); code != 404 {
		t.Fatal("absent tag found")
	}
	_, m := do("GET", "/networks/"+ids[0]+"?fields=name&fields=tags", "alice", "")
	if n := m["network"].(map[string]any); len(n) != 2 || n["name"] != "b" {
		t.Fatalf("fields %v", m)
	}
	// next and previous links of a middle page.
	_, m = do("GET", "/networks?sort_key=name&sort_dir=asc&limit=1&marker="+ids[1], "alice", "")
	links, _ := m["networks_links"].([]any)
	if len(links) != 2 {
		t.Fatalf("links %v", m)
	}
	if h := links[0].(map[string]any)["href"].(string); !strings.Contains(h, "limit=1&marker=") || links[0].(map[string]any)["rel"] != "next" {
		t.Fatalf("next link %q", h)
	}
	if h := links[1].(map[string]any)["href"].(string); !strings.HasSuffix(h, "page_reverse=True") {
		t.Fatalf("previous link %q", h)
	}
	_, m = do("GET", "/networks", "alice", "")
	if _, ok := m["networks_links"]; ok {
		t.Fatal("links without a limit")
	}
}

func TestHTTPVersions(t *testing.T) {
	s := newTestService(t)
	mux := httpapi.NewMux(fakeAuth{}, slog.New(slog.DiscardHandler))
	mux.Mount(s.Group())
	for path, want := range map[string]string{
		"/networking":       `"id":"v2.0"`,
		"/networking/":      `"href":"http://example.com/networking/v2.0/"`,
		"/networking/v2.0/": `"collection":"networks"`,
	} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), want) {
			t.Errorf("%s: %d %s", path, rec.Code, rec.Body)
		}
	}
}

func TestHTTPPortUpdateAddresses(t *testing.T) {
	_, do := testAPI(t)
	_, m := do("POST", "/networks", "alice", `{"network": {"name": "n"}}`)
	net := idOf(m, "network")
	_, m = do("POST", "/subnets", "alice", `{"subnet": {"network_id": "`+net+`", "ip_version": 4, "cidr": "10.0.0.0/24"}}`)
	sub := idOf(m, "subnet")
	_, m = do("POST", "/ports", "alice", `{"port": {"network_id": "`+net+`", "fixed_ips": [{"ip_address": "10.0.0.10"}]}}`)
	port := idOf(m, "port")
	ips := func(m map[string]any) string {
		var out []string
		for _, ip := range m["port"].(map[string]any)["fixed_ips"].([]any) {
			out = append(out, ip.(map[string]any)["ip_address"].(string))
		}
		return strings.Join(out, ",")
	}
	steps := []struct{ body, want string }{
		{`{"port": {"fixed_ips": [{"ip_address": "10.0.0.10"}, {"subnet_id": "` + sub + `", "ip_address": "10.0.0.20"}]}}`, "10.0.0.10,10.0.0.20"},
		{`{"port": {"fixed_ips": [{"ip_address": "10.0.0.20"}]}}`, "10.0.0.20"},
		{`{"port": {"fixed_ips": [{"ip_address": "10.0.0.20"}, {"subnet_id": "` + sub + `"}]}}`, "10.0.0.20,10.0.0.2"},
	}
	for _, st := range steps {
		code, m := do("PUT", "/ports/"+port, "alice", st.body)
		if code != 200 || ips(m) != st.want {
			t.Fatalf("update %s: %d %v", st.body, code, m)
		}
		if _, m := do("GET", "/ports/"+port, "alice", ""); ips(m) != st.want {
			t.Fatalf("after update %s: %v", st.body, m)
		}
	}
	// The freed address is free again for another port.
	if code, m := do("POST", "/ports", "alice", `{"port": {"network_id": "`+net+`", "fixed_ips": [{"ip_address": "10.0.0.10"}]}}`); code != 201 {
		t.Fatalf("reuse freed address: %d %v", code, m)
	}
	if code, m := do("PUT", "/ports/"+port, "alice", `{"port": {"security_groups": []}}`); code != 200 || len(m["port"].(map[string]any)["security_groups"].([]any)) != 0 {
		t.Fatalf("clear groups: %d %v", code, m)
	}
}
