package e2e

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

// netJSON decodes `openstack ... -f json` output.
func netJSON(t *testing.T, out string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("json %q: %v", out, err)
	}
	return m
}

func TestNetworkOpenStackCLI(t *testing.T) {
	t.Parallel()
	n := StartNode(t)
	net := netJSON(t, n.MustOpenStack(t, "network", "create", "net1", "-f", "json"))
	if net["status"] != "ACTIVE" || net["mtu"].(float64) != 1500 {
		t.Fatalf("network %v", net)
	}
	sub := netJSON(t, n.MustOpenStack(t, "subnet", "create", "--network", "net1", "--subnet-range", "10.20.0.0/24",
		"--dns-nameserver", "8.8.8.8", "sub1", "-f", "json"))
	if sub["gateway_ip"] != "10.20.0.1" || sub["cidr"] != "10.20.0.0/24" {
		t.Fatalf("subnet %v", sub)
	}
	// Overlapping CIDR on one network: Neutron's message.
	_, err := n.OpenStack(t, nil, "subnet", "create", "--network", "net1", "--subnet-range", "10.20.0.128/25", "sub2")
	if err == nil || !strings.Contains(err.Error(), "overlaps with another subnet") {
		t.Fatalf("overlap: %v", err)
	}
	port := netJSON(t, n.MustOpenStack(t, "port", "create", "--network", "net1", "p1", "-f", "json"))
	ips := port["fixed_ips"].([]any)
	ip := ips[0].(map[string]any)["ip_address"].(string)
	if !netip.MustParsePrefix("10.20.0.0/24").Contains(netip.MustParseAddr(ip)) || !strings.HasPrefix(port["mac_address"].(string), "fa:16:3e:") {
		t.Fatalf("port %v", port)
	}
	// A fixed IP taken twice is a conflict.
	_, err = n.OpenStack(t, nil, "port", "create", "--network", "net1", "--fixed-ip", "ip-address="+ip, "p2")
	if err == nil || !strings.Contains(err.Error(), "already allocated") {
		t.Fatalf("duplicate fixed ip: %v", err)
	}
	n.MustOpenStack(t, "security", "group", "create", "web")
	rule := netJSON(t, n.MustOpenStack(t, "security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "22", "web", "-f", "json"))
	if rule["port_range_min"].(float64) != 22 || rule["protocol"] != "tcp" || rule["direction"] != "ingress" {
		t.Fatalf("rule %v", rule)
	}
	_, err = n.OpenStack(t, nil, "security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "22", "web")
	if err == nil || !strings.Contains(err.Error(), "Security group rule already exists") {
		t.Fatalf("duplicate rule: %v", err)
	}
	if out := n.MustOpenStack(t, "security", "group", "rule", "list", "web"); !strings.Contains(out, "22:22") {
		t.Fatalf("rule list:\n%s", out)
	}
	if out := n.MustOpenStack(t, "security", "group", "list"); !strings.Contains(out, "default") || !strings.Contains(out, "web") {
		t.Fatalf("group list:\n%s", out)
	}

	// Floating IPs come from an external network and associate through a
	// router that reaches the port's subnet.
	n.MustOpenStack(t, "network", "create", "--external", "public")
	n.MustOpenStack(t, "subnet", "create", "--network", "public", "--subnet-range", "172.24.4.0/24", "--no-dhcp", "public-sub")
	fip := netJSON(t, n.MustOpenStack(t, "floating", "ip", "create", "public", "-f", "json"))
	fipID := fip["id"].(string)
	if fip["floating_ip_address"] != "172.24.4.2" || fip["status"] != "DOWN" {
		t.Fatalf("floating ip %v", fip)
	}
	_, err = n.OpenStack(t, nil, "floating", "ip", "set", "--port", "p1", fipID)
	if err == nil || !strings.Contains(err.Error(), "is not reachable from subnet") {
		t.Fatalf("associate without router: %v", err)
	}
	n.MustOpenStack(t, "router", "create", "r1")
	n.MustOpenStack(t, "router", "set", "--external-gateway", "public", "r1")
	n.MustOpenStack(t, "router", "add", "subnet", "r1", "sub1")
	n.MustOpenStack(t, "floating", "ip", "set", "--port", "p1", fipID)
	fip = netJSON(t, n.MustOpenStack(t, "floating", "ip", "show", fipID, "-f", "json"))
	if fip["fixed_ip_address"] != ip || fip["status"] != "ACTIVE" || fip["router_id"] == nil {
		t.Fatalf("associated floating ip %v", fip)
	}
	if out := n.MustOpenStack(t, "floating", "ip", "list"); !strings.Contains(out, "172.24.4.2") {
		t.Fatalf("floating ip list:\n%s", out)
	}
	_, err = n.OpenStack(t, nil, "network", "delete", "net1")
	if err == nil {
		t.Fatal("deleted a network with ports")
	}
	// Tear down in order, as a user would.
	n.MustOpenStack(t, "floating", "ip", "delete", fipID)
	n.MustOpenStack(t, "router", "remove", "subnet", "r1", "sub1")
	n.MustOpenStack(t, "router", "delete", "r1")
	n.MustOpenStack(t, "port", "delete", "p1")
	n.MustOpenStack(t, "security", "group", "delete", "web")
	n.MustOpenStack(t, "subnet", "delete", "sub1")
	n.MustOpenStack(t, "network", "delete", "net1")
	if out := n.MustOpenStack(t, "network", "list", "-f", "value", "-c", "Name"); strings.TrimSpace(out) != "public" {
		t.Fatalf("networks left:\n%s", out)
	}
}

func TestNetworkIsolationCLI(t *testing.T) {
	t.Parallel()
	n := StartNode(t)
	n.MustOpenStack(t, "network", "create", "private-a")
	n.MustOpenStack(t, "subnet", "create", "--network", "private-a", "--subnet-range", "10.1.0.0/24", "sub-a")
	portID := netJSON(t, n.MustOpenStack(t, "port", "create", "--network", "private-a", "pa", "-f", "json"))["id"].(string)
	n.MustOpenStack(t, "network", "create", "--share", "shared-net")
	n.MustOpenStack(t, "subnet", "create", "--network", "shared-net", "--subnet-range", "10.2.0.0/24", "sub-shared")
	_, as2 := imgSecondUser(t, n)

	out, err := as2("network", "list", "-f", "value", "-c", "Name")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "private-a") || !strings.Contains(out, "shared-net") {
		t.Fatalf("second project sees:\n%s", out)
	}
	if _, err := as2("network", "show", "private-a"); err == nil {
		t.Fatal("second project sees another's network")
	}
	if _, err := as2("port", "show", portID); err == nil || !strings.Contains(err.Error(), "No Port found") {
		t.Fatalf("another project's port: %v", err)
	}
	if _, err := as2("subnet", "create", "--network", "private-a", "--subnet-range", "10.9.0.0/24", "x"); err == nil {
		t.Fatal("second project made a subnet on another's network")
	}
	// A port on the shared network is the second project's own; sharing a
	// network is an admin's.
	if _, err := as2("port", "create", "--network", "shared-net", "p2"); err != nil {
		t.Fatal(err)
	}
	if _, err := as2("network", "create", "--share", "mine"); err == nil || !strings.Contains(err.Error(), "disallowed by policy") {
		t.Fatalf("member shared a network: %v", err)
	}
	groups, err := as2("security", "group", "list", "-f", "value", "-c", "Name")
	if err != nil || strings.TrimSpace(groups) != "default" {
		t.Fatalf("second project's groups %q %v", groups, err)
	}
}

func TestNetworkWire(t *testing.T) {
	t.Parallel()
	n := StartNode(t)
	tok := n.AdminToken(t)
	neutronErr := func(body []byte) map[string]any {
		t.Helper()
		var m map[string]map[string]any
		if err := json.Unmarshal(body, &m); err != nil || m["NeutronError"] == nil {
			t.Fatalf("not a NeutronError: %s", body)
		}
		return m["NeutronError"]
	}
	code, _, body := n.Do(t, "GET", "/networking/v2.0/networks/0b6f2b4e-7a0a-4a37-9a6b-1e2a1f0c3d4e", tok, nil)
	if e := neutronErr(body); code != 404 || e["type"] != "NetworkNotFound" ||
		e["message"] != "Network 0b6f2b4e-7a0a-4a37-9a6b-1e2a1f0c3d4e could not be found." || e["detail"] != "" {
		t.Fatalf("404: %d %s", code, body)
	}
	code, _, body = n.Do(t, "GET", "/networking/v2.0/subnetpools", tok, nil)
	if e := neutronErr(body); code != 501 || e["type"] != "HTTPNotImplemented" {
		t.Fatalf("unbuilt: %d %s", code, body)
	}
	code, _, body = n.Do(t, "POST", "/networking/v2.0/networks", tok, `{"network": {"name": "x", "bogus": 1}}`)
	if e := neutronErr(body); code != 400 || e["message"] != "Unrecognized attribute(s) 'bogus'" {
		t.Fatalf("unknown attribute: %d %s", code, body)
	}
	var ids []string
	for i := 0; i < 3; i++ {
		code, _, body = n.Do(t, "POST", "/networking/v2.0/networks", tok, fmt.Sprintf(`{"network": {"name": "n%d"}}`, i))
		if code != 201 {
			t.Fatalf("create: %d %s", code, body)
		}
		var m struct{ Network struct{ ID string } }
		json.Unmarshal(body, &m)
		ids = append(ids, m.Network.ID)
	}
	code, _, body = n.Do(t, "POST", "/networking/v2.0/subnets", tok,
		fmt.Sprintf(`{"subnet": {"network_id": %q, "ip_version": 4, "cidr": "10.0.0.0/24", "allocation_pools": [{"start": "10.0.0.10", "end": "10.0.1.5"}]}}`, ids[0]))
	if e := neutronErr(body); code != 400 || e["type"] != "OutOfBoundsAllocationPool" ||
		e["message"] != "The allocation pool 10.0.0.10-10.0.1.5 spans beyond the subnet cidr 10.0.0.0/24." {
		t.Fatalf("pool: %d %s", code, body)
	}
	// Pagination as Neutron: sorted by id with a limit, a next link while
	// pages are full, following it reaches every network once.
	seen := map[string]bool{}
	path := "/networking/v2.0/networks?limit=2&fields=id&fields=name"
	for pages := 0; path != "" && pages < 5; pages++ {
		code, _, body = n.Do(t, "GET", path, tok, nil)
		if code != 200 {
			t.Fatalf("list: %d %s", code, body)
		}
		var page struct {
			Networks []map[string]any
			Links    []struct{ Rel, Href string } `json:"networks_links"`
		}
		json.Unmarshal(body, &page)
		for _, m := range page.Networks {
			if len(m) != 2 || seen[m["id"].(string)] {
				t.Fatalf("page item %v", m)
			}
			seen[m["id"].(string)] = true
		}
		path = ""
		for _, l := range page.Links {
			if l.Rel == "next" {
				path = strings.TrimPrefix(l.Href, n.URL)
			}
		}
	}
	if len(seen) != 3 {
		t.Fatalf("pages gave %d networks", len(seen))
	}
	code, _, body = n.Do(t, "GET", "/networking/v2.0/networks?bogus=1", tok, nil)
	if e := neutronErr(body); code != 400 || e["message"] != "['bogus'] is invalid attribute for filtering" {
		t.Fatalf("bad filter: %d %s", code, body)
	}
	code, _, body = n.Do(t, "GET", "/networking/v2.0/networks?name=n1", tok, nil)
	if code != 200 || strings.Count(string(body), `"name":"n1"`) != 1 || strings.Contains(string(body), `"name":"n0"`) {
		t.Fatalf("filter: %d %s", code, body)
	}
}
