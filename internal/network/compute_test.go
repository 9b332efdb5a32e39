package network

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

func TestBindPortsAutoNetwork(t *testing.T) {
	s := newTestService(t)
	ctx := context.Background()
	ports, err := s.BindPorts(ctx, alice, "srv-1", "host-1", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ports) != 1 {
		t.Fatalf("%d ports", len(ports))
	}
	p := ports[0]
	if p.NetworkName != AutoNetworkName || p.DeviceID != "srv-1" || p.DeviceOwner != ComputeDeviceOwner || p.Status != StatusActive {
		t.Fatalf("port %+v", p)
	}
	if len(p.FixedIPs) != 1 || p.FixedIPs[0].IPAddress != "10.0.0.2" || p.FixedIPs[0].Version != 4 {
		t.Fatalf("fixed ips %+v", p.FixedIPs)
	}
	if !strings.HasPrefix(p.MACAddress, "fa:16:3e:") || fmt.Sprint(p.SecurityGroups) != "[default]" {
		t.Fatalf("mac %s groups %v", p.MACAddress, p.SecurityGroups)
	}
	// The second server reuses the project's one network.
	ports2, err := s.BindPorts(ctx, alice, "srv-2", "host-1", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ports2[0].NetworkID != p.NetworkID || ports2[0].FixedIPs[0].IPAddress != "10.0.0.3" {
		t.Fatalf("second port %+v", ports2[0])
	}
	nets, err := s.ListNetworks(ctx, alice)
	if err != nil || len(nets) != 1 || len(nets[0].Subnets) != 1 {
		t.Fatalf("networks %v %v", nets, err)
	}
	// Another project gets its own.
	pb, err := s.BindPorts(ctx, bob, "srv-3", "host-1", nil, nil)
	if err != nil || pb[0].NetworkID == p.NetworkID || pb[0].FixedIPs[0].IPAddress != "10.0.0.2" {
		t.Fatalf("bob %+v %v", pb, err)
	}
	// With two networks, "auto" is ambiguous.
	mkNet(t, s, alice, "second", "192.168.5.0/24")
	_, err = s.BindPorts(ctx, alice, "srv-4", "h", nil, nil)
	wantErr(t, err, ErrNetworkAmbiguous, 409, "Multiple possible networks found, use a Network ID to be more specific.")
}

func TestBindPortsErrors(t *testing.T) {
	s := newTestService(t)
	ctx := context.Background()
	n, sn := mkNet(t, s, alice, "net", "10.1.0.0/29") // pool 10.1.0.2-10.1.0.6
	bnet, _ := mkNet(t, s, bob, "bobnet", "10.2.0.0/24")
	empty, _ := mkNet(t, s, alice, "empty", "")

	_, err := s.BindPorts(ctx, alice, "s1", "h", []PortRequest{{NetworkID: n.ID, FixedIP: "10.1.0.5"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		reqs     []PortRequest
		groups   []string
		sentinel error
		status   int
		msg      string
	}{
		{"fixed ip taken", []PortRequest{{NetworkID: n.ID, FixedIP: "10.1.0.5"}}, nil, ErrFixedIPInUse, 409,
			"Fixed IP address 10.1.0.5 is already in use on instance s1."},
		{"fixed ip outside", []PortRequest{{NetworkID: n.ID, FixedIP: "10.9.0.5"}}, nil, ErrInvalidFixedIP, 400,
			"Invalid input received: Fixed IP 10.9.0.5 is not a valid ip address for network " + n.ID + "."},
		{"other project's network", []PortRequest{{NetworkID: bnet.ID}}, nil, ErrNetworkNotFound, 404,
			"Network " + bnet.ID + " could not be found."},
		{"missing network", []PortRequest{{NetworkID: "nope"}}, nil, ErrNetworkNotFound, 404, "Network nope could not be found."},
		{"no subnet", []PortRequest{{NetworkID: empty.ID}}, nil, ErrNetworkRequiresSubnet, 400,
			"Network " + empty.ID + " requires a subnet in order to boot instances on."},
		{"missing port", []PortRequest{{PortID: "nope"}}, nil, ErrPortNotFound, 404, "Port id nope could not be found."},
		{"missing group", []PortRequest{{NetworkID: n.ID}}, []string{"web"}, ErrSecurityGroupNotFound, 404, "Security group web not found."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.BindPorts(ctx, alice, "s2", "h", tt.reqs, tt.groups)
			wantErr(t, err, tt.sentinel, tt.status, tt.msg)
		})
	}
	// A failed bind leaves nothing behind: the subnet still has 4 free
	// addresses, all taken now, then none.
	for i := 0; i < 4; i++ {
		if _, err := s.BindPorts(ctx, alice, fmt.Sprint("fill-", i), "h", []PortRequest{{NetworkID: n.ID}}, nil); err != nil {
			t.Fatalf("fill %d: %v", i, err)
		}
	}
	_, err = s.BindPorts(ctx, alice, "s3", "h", []PortRequest{{NetworkID: n.ID}}, nil)
	wantErr(t, err, ErrNoMoreIPs, 400, "No fixed IP addresses available for network: "+n.ID)
	// Two ports where the second fails: neither is made.
	used, _ := allocationCount(ctx, s.r, sn.ID)
	if used != 5 {
		t.Fatalf("%d addresses used", used)
	}
}

func TestBindExistingPortAndUnbind(t *testing.T) {
	s := newTestService(t)
	ctx := context.Background()
	n, _ := mkNet(t, s, alice, "net", "10.1.0.0/24")
	userPort, err := s.CreatePort(ctx, alice, PortFields{NetworkID: n.ID, Name: ptr("mine")})
	if err != nil {
		t.Fatal(err)
	}
	bobsPort, err := s.CreatePort(ctx, admin, PortFields{NetworkID: n.ID, ProjectID: ptr("pb")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.BindPorts(ctx, bob, "sb", "h", []PortRequest{{PortID: userPort.ID}}, nil)
	wantErr(t, err, ErrPortNotFound, 404, "Port id "+userPort.ID+" could not be found.")
	_, err = s.BindPorts(ctx, alice, "sa", "h", []PortRequest{{PortID: bobsPort.ID}}, nil)
	wantErr(t, err, ErrPortNotUsable, 400, "Port "+bobsPort.ID+" not usable for instance sa.")

	ports, err := s.BindPorts(ctx, alice, "sa", "h", []PortRequest{{PortID: userPort.ID}, {NetworkID: n.ID}}, []string{"default"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ports) != 2 || ports[0].ID != userPort.ID || ports[0].DeviceID != "sa" || ports[1].DeviceID != "sa" {
		t.Fatalf("ports %+v", ports)
	}
	_, err = s.BindPorts(ctx, alice, "sc", "h", []PortRequest{{PortID: userPort.ID}}, nil)
	wantErr(t, err, ErrPortInUse, 409, "Port "+userPort.ID+" is still in use.")

	byServer, err := s.PortsOfServers(ctx, []string{"sa", "nobody"})
	if err != nil || len(byServer["sa"]) != 2 || len(byServer["nobody"]) != 0 {
		t.Fatalf("PortsOfServers %v %v", byServer, err)
	}
	if byServer["sa"][0].NetworkName != "net" {
		t.Fatalf("network name %q", byServer["sa"][0].NetworkName)
	}

	if err := s.UnbindPorts(ctx, alice, "sa"); err != nil {
		t.Fatal(err)
	}
	left, err := s.ServerPorts(ctx, "sa")
	if err != nil || len(left) != 0 {
		t.Fatalf("ports left %v %v", left, err)
	}
	// The user's port is kept and unbound; the server's own port is gone.
	up, err := s.Port(ctx, alice, userPort.ID)
	if err != nil || up.DeviceID != "" || up.DeviceOwner != "" || up.Status != StatusDown {
		t.Fatalf("user port %+v %v", up, err)
	}
	_, err = s.Port(ctx, alice, ports[1].ID)
	wantErr(t, err, ErrPortNotFound, 404, "")
}

func TestAttachDetach(t *testing.T) {
	s := newTestService(t)
	ctx := context.Background()
	_, err := s.AttachPort(ctx, alice, "s1", "h", PortRequest{})
	wantErr(t, err, ErrNoNetworkAvailable, 400, "No specific network was requested and none are available for project 'pa'.")
	n, _ := mkNet(t, s, alice, "net", "10.1.0.0/24")
	p1, err := s.AttachPort(ctx, alice, "s1", "h", PortRequest{})
	if err != nil || p1.NetworkID != n.ID {
		t.Fatalf("attach %+v %v", p1, err)
	}
	p2, err := s.AttachPort(ctx, alice, "s1", "h", PortRequest{NetworkID: n.ID, FixedIP: "10.1.0.50"})
	if err != nil || p2.FixedIPs[0].IPAddress != "10.1.0.50" {
		t.Fatalf("attach fixed %+v %v", p2, err)
	}
	err = s.DetachPort(ctx, alice, "s2", p1.ID)
	wantErr(t, err, ErrPortNotFound, 404, "Port id "+p1.ID+" could not be found.")
	if err := s.DetachPort(ctx, alice, "s1", p1.ID); err != nil {
		t.Fatal(err)
	}
	left, _ := s.ServerPorts(ctx, "s1")
	if len(left) != 1 || left[0].ID != p2.ID {
		t.Fatalf("left %+v", left)
	}
}

func TestServerSecurityGroups(t *testing.T) {
	s := newTestService(t)
	ctx := context.Background()
	n, _ := mkNet(t, s, alice, "net", "10.1.0.0/24")
	web, err := s.CreateSecurityGroup(ctx, alice, SecurityGroupFields{Name: ptr("web")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.BindPorts(ctx, alice, "s1", "h", []PortRequest{{NetworkID: n.ID}, {NetworkID: n.ID}}, []string{web.ID}); err != nil {
		t.Fatal(err)
	}
	names, err := s.ServerSecurityGroups(ctx, "s1")
	if err != nil || fmt.Sprint(names) != "[web]" {
		t.Fatalf("groups %v %v", names, err)
	}
	if err := s.AddServerSecurityGroup(ctx, alice, "s1", "default"); err != nil {
		t.Fatal(err)
	}
	names, _ = s.ServerSecurityGroups(ctx, "s1")
	if len(names) != 2 {
		t.Fatalf("groups after add %v", names)
	}
	if err := s.RemoveServerSecurityGroup(ctx, alice, "s1", "web"); err != nil {
		t.Fatal(err)
	}
	err = s.RemoveServerSecurityGroup(ctx, alice, "s1", "web")
	wantErr(t, err, ErrGroupNotOnServer, 404, "Security group web not associated with the instance s1")
	err = s.AddServerSecurityGroup(ctx, bob, "s1", "web")
	wantErr(t, err, ErrSecurityGroupNotFound, 404, "Security group web is not found for project pb")
	// A name two groups share is ambiguous.
	if _, err := s.CreateSecurityGroup(ctx, alice, SecurityGroupFields{Name: ptr("web")}); err != nil {
		t.Fatal(err)
	}
	err = s.AddServerSecurityGroup(ctx, alice, "s1", "web")
	wantErr(t, err, ErrNoUniqueMatch, 409, "Multiple security groups found matching 'web'. Use an ID to be more specific.")
}

func TestPortsOfManyServers(t *testing.T) {
	s := newTestService(t)
	ctx := context.Background()
	n, _ := mkNet(t, s, alice, "net", "10.8.0.0/20")
	var ids []string
	for i := 0; i < 300; i++ {
		id := fmt.Sprint("srv-", i)
		ids = append(ids, id)
		if _, err := s.BindPorts(ctx, alice, id, "h", []PortRequest{{NetworkID: n.ID}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	m, err := s.PortsOfServers(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if len(m[id]) != 1 {
			t.Fatalf("%s has %d ports", id, len(m[id]))
		}
		ip := m[id][0].FixedIPs[0].IPAddress
		if seen[ip] || !netip.MustParsePrefix("10.8.0.0/20").Contains(netip.MustParseAddr(ip)) {
			t.Fatalf("address %s repeated or outside", ip)
		}
		seen[ip] = true
	}
}

func TestBindPortsConcurrent(t *testing.T) {
	s := newTestService(t)
	ctx := context.Background()
	n, _ := mkNet(t, s, alice, "net", "10.9.0.0/24")
	const workers, each = 6, 5
	errs := make(chan error, workers*each*2)
	done := make(chan struct{})
	for w := 0; w < workers; w++ {
		go func(w int) {
			defer func() { done <- struct{}{} }()
			for i := 0; i < each; i++ {
				_, err := s.BindPorts(ctx, alice, fmt.Sprintf("w%d-%d", w, i), "h", []PortRequest{{NetworkID: n.ID}}, nil)
				errs <- err
				// Nova's "auto" for another project at the same time.
				_, err = s.BindPorts(ctx, bob, fmt.Sprintf("b%d-%d", w, i), "h", nil, nil)
				errs <- err
			}
		}(w)
	}
	for w := 0; w < workers; w++ {
		<-done
	}
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	ports, err := s.ListPorts(ctx, admin, PortListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, p := range ports {
		key := p.NetworkID + p.FixedIPs[0].IPAddress
		if seen[key] {
			t.Fatalf("address %s given twice", key)
		}
		seen[key] = true
	}
	if len(ports) != 2*workers*each {
		t.Fatalf("%d ports", len(ports))
	}
	nets, _ := s.ListNetworks(ctx, bob)
	if len(nets) != 1 {
		t.Fatalf("bob has %d networks", len(nets))
	}
}

func TestPortCacheBackfill(t *testing.T) {
	s := newTestService(t)
	ctx := context.Background()
	n, _ := mkNet(t, s, alice, "net", "10.1.0.0/24")
	if _, err := s.BindPorts(ctx, alice, "s1", "h", []PortRequest{{NetworkID: n.ID}}, nil); err != nil {
		t.Fatal(err)
	}
	// A port row from before migration 0041 has empty copies.
	if _, err := s.db.WriteStmts().ExecContext(ctx, "UPDATE ports SET fixed_ips = '[]', security_group_ids = '[]'"); err != nil {
		t.Fatal(err)
	}
	s2, err := New(ctx, Options{DB: s.db})
	if err != nil {
		t.Fatal(err)
	}
	ports, err := s2.ServerPorts(ctx, "s1")
	if err != nil || len(ports) != 1 || len(ports[0].FixedIPs) != 1 || fmt.Sprint(ports[0].SecurityGroups) != "[default]" {
		t.Fatalf("after backfill %+v %v", ports, err)
	}
}
