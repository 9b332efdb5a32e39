package compute

import (
	"context"
	"fmt"
	"sync"

	"github.com/google/uuid"

	"github.com/stratus-iaas/stratus/internal/policy"
)

// fakeNet is a network service in memory: networks by id with a /24
// each, ports that servers bind.
type fakeNet struct {
	mu     sync.Mutex
	nets   map[string]string // id -> name
	ports  map[string]*Port
	next   int
	bindOK bool
}

const (
	netPrivate = "aaaaaaaa-0000-0000-0000-000000000001"
	netOther   = "aaaaaaaa-0000-0000-0000-000000000002"
)

func newFakeNet() *fakeNet {
	return &fakeNet{nets: map[string]string{netPrivate: "private", netOther: "other"}, ports: map[string]*Port{}}
}

func (f *fakeNet) newPort(netID, serverID, fixed string) *Port {
	f.next++
	ip := fixed
	if ip == "" {
		ip = fmt.Sprintf("10.0.%d.%d", len(f.nets[netID]), f.next+2)
	}
	p := &Port{ID: uuid.NewString(), NetworkID: netID, NetworkName: f.nets[netID], MACAddress: fmt.Sprintf("fa:16:3e:00:00:%02x", f.next),
		DeviceID: serverID, DeviceOwner: "compute:nova", Status: "ACTIVE", FixedIPs: []FixedIP{{SubnetID: "sub-" + netID[:8], IPAddress: ip, Version: 4}},
		SecurityGroups: []string{"default"}}
	f.ports[p.ID] = p
	return p
}

func (f *fakeNet) BindPorts(ctx context.Context, p *policy.Principal, serverID, host string, reqs []PortRequest, sgs []string) ([]Port, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(reqs) == 0 {
		reqs = []PortRequest{{NetworkID: netPrivate}}
	}
	var out []Port
	for _, r := range reqs {
		switch {
		case r.PortID != "":
			pt, ok := f.ports[r.PortID]
			if !ok {
				return nil, ErrPortNotFound
			}
			if pt.DeviceID != "" {
				return nil, ErrPortInUse
			}
			pt.DeviceID = serverID
			out = append(out, *pt)
		default:
			if _, ok := f.nets[r.NetworkID]; !ok {
				return nil, ErrNetworkNotFound
			}
			out = append(out, *f.newPort(r.NetworkID, serverID, r.FixedIP))
		}
	}
	return out, nil
}

func (f *fakeNet) UnbindPorts(ctx context.Context, p *policy.Principal, serverID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, pt := range f.ports {
		if pt.DeviceID == serverID {
			delete(f.ports, id)
		}
	}
	return nil
}

func (f *fakeNet) ServerPorts(ctx context.Context, serverID string) ([]Port, error) {
	m, err := f.PortsOfServers(ctx, []string{serverID})
	return m[serverID], err
}

func (f *fakeNet) PortsOfServers(ctx context.Context, ids []string) (map[string][]Port, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string][]Port{}
	for _, pt := range f.ports {
		for _, id := range ids {
			if pt.DeviceID == id {
				out[id] = append(out[id], *pt)
			}
		}
	}
	return out, nil
}

func (f *fakeNet) AttachPort(ctx context.Context, p *policy.Principal, serverID, host string, req PortRequest) (*Port, error) {
	pts, err := f.BindPorts(ctx, p, serverID, host, []PortRequest{req}, nil)
	if err != nil {
		return nil, err
	}
	return &pts[0], nil
}

func (f *fakeNet) DetachPort(ctx context.Context, p *policy.Principal, serverID, portID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	pt, ok := f.ports[portID]
	if !ok || pt.DeviceID != serverID {
		return ErrPortNotFound
	}
	delete(f.ports, portID)
	return nil
}

// freePort makes an unbound port on a network.
func (f *fakeNet) freePort(netID string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.newPort(netID, "", "").ID
}
