package network

import (
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// FuzzNetworkAPI sends what a client controls — a list query and request
// bodies — to every Neutron collection. Bad input is the client's error:
// every answer must be below 500.
func FuzzNetworkAPI(f *testing.F) {
	s := newTestService(f)
	mux := httpapi.NewMux(fakeAuth{"alice": alice, "admin": admin}, slog.New(slog.DiscardHandler))
	mux.Mount(s.Group())
	send := func(method, path, token, body string) (int, string) {
		req := httptest.NewRequest(method, "/networking/v2.0"+path, strings.NewReader(body))
		req.Header.Set("X-Auth-Token", token)
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		return w.Code, w.Body.String()
	}
	const netID, subID, portID = "11111111-2222-3333-4444-555555555555", "21111111-2222-3333-4444-555555555555", "31111111-2222-3333-4444-555555555555"
	n, _ := mkNet(f, s, alice, "seed", "10.0.0.0/24")
	for _, seed := range []struct{ query, body string }{
		{"limit=2&sort_key=name&sort_dir=asc&fields=id", `{"network": {"name": "a", "admin_state_up": "true", "mtu": 1400}}`},
		{"name=a&name=&tags=x,y&not-tags-any=z&marker=" + n.ID, `{"subnet": {"network_id": "` + n.ID + `", "ip_version": 6, "cidr": "2001:db8::/64", "ipv6_address_mode": "slaac"}}`},
		{"fixed_ips=ip_address%3D10.0.0.2&fixed_ips=ip_address_substr%3D10&page_reverse=True&limit=1", `{"port": {"network_id": "` + n.ID + `", "fixed_ips": [{"ip_address": "10.0.0.9"}], "allowed_address_pairs": [{"ip_address": "10.0.0.0/24"}]}}`},
		{"sort_key=bogus&sort_dir=up", `{"security_group_rule": {"security_group_id": "x", "direction": "ingress", "protocol": 300, "port_range_min": "a"}}`},
		{"admin_state_up=maybe&limit=-1", `{"router": {"external_gateway_info": {"network_id": "` + n.ID + `", "external_fixed_ips": [{}]}}}`},
		{"", `{"floatingip": {"floating_network_id": "` + n.ID + `", "port_id": null}}`},
		{"", `{"networks": [{"name": 1}, {"network": {}}], "quota": {"network": "x"}, "tags": ["a", 1]}`},
	} {
		f.Add(seed.query, seed.body)
	}
	f.Fuzz(func(t *testing.T, query, body string) {
		if strings.ContainsAny(query, " #") || strings.ContainsFunc(query, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return // not a request line a client can send
		}
		for _, c := range []struct{ method, path, token string }{
			{"GET", "/networks?" + query, "alice"},
			{"GET", "/ports?" + query, "admin"},
			{"GET", "/security-group-rules?" + query, "alice"},
			{"GET", "/networks/" + n.ID + "?" + query, "alice"},
			{"POST", "/networks", "alice"},
			{"POST", "/subnets", "alice"},
			{"POST", "/ports", "alice"},
			{"POST", "/security-groups", "alice"},
			{"POST", "/security-group-rules", "alice"},
			{"POST", "/routers", "alice"},
			{"POST", "/floatingips", "admin"},
			{"PUT", "/networks/" + n.ID, "alice"},
			{"PUT", "/subnets/" + subID, "alice"},
			{"PUT", "/ports/" + portID, "alice"},
			{"PUT", "/routers/" + netID + "/add_router_interface", "alice"},
			{"PUT", "/quotas/pa", "admin"},
			{"PUT", "/networks/" + n.ID + "/tags", "alice"},
		} {
			b := body
			if c.method == "GET" {
				b = ""
			}
			if code, out := send(c.method, c.path, c.token, b); code >= 500 {
				t.Fatalf("%s %s %q: %d %s", c.method, c.path, b, code, out)
			}
		}
	})
}
