package compute

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/hypervisor"
	"github.com/stratus-iaas/stratus/internal/network"
)

// qemuLike is the fake driver with what the QEMU driver adds: a host
// description, SSH forwards, and the last spec it was given.
type qemuLike struct {
	hypervisor.Driver
	mu   sync.Mutex
	last hypervisor.Spec
}

func (q *qemuLike) HostInfo(context.Context) (hypervisor.HostInfo, error) {
	return hypervisor.HostInfo{Type: "QEMU", Version: 7002022, Accel: "tcg", VCPUs: 2, MemoryMB: 4096, DiskGB: 100}, nil
}

func (q *qemuLike) Access(ctx context.Context, id string) (hypervisor.Access, error) {
	if _, err := q.State(ctx, id); err != nil {
		return hypervisor.Access{}, err
	}
	return hypervisor.Access{SSH: "127.0.0.1:2222"}, nil
}

func (q *qemuLike) Spawn(ctx context.Context, sp hypervisor.Spec) error {
	q.mu.Lock()
	q.last = sp
	q.mu.Unlock()
	return q.Driver.Spawn(ctx, sp)
}

// subnetNet is the fake network with GuestSubnets.
type subnetNet struct{ *fakeNet }

func (subnetNet) GuestSubnets(ctx context.Context, ids []string) (map[string]network.GuestSubnet, error) {
	out := map[string]network.GuestSubnet{}
	for _, id := range ids {
		out[id] = network.GuestSubnet{CIDR: "10.9.0.0/24", Gateway: "10.9.0.1", DNS: []string{"10.9.0.2"}, MTU: 1450}
	}
	return out, nil
}

func TestGuestDetailsAccessAndAccel(t *testing.T) {
	var q *qemuLike
	e := newEnv(t, func(o *Options) {
		q = &qemuLike{Driver: o.Driver}
		o.Driver = q
		o.Network = subnetNet{o.Network.(*fakeNet)}
	})
	sv := e.boot("alice", "vm1", map[string]any{"metadata": map[string]string{"a": "b"}})
	q.mu.Lock()
	nic := q.last.NICs[0]
	q.mu.Unlock()
	if nic.CIDR != "10.9.0.0/24" || nic.Gateway != "10.9.0.1" || nic.DNS[0] != "10.9.0.2" || nic.MTU != 1450 {
		t.Fatalf("spawned NIC without its subnet: %+v", nic)
	}
	md := e.show("alice", sv["id"].(string))["metadata"].(map[string]any)
	if md[AccessKey] != "127.0.0.1:2222" || md["a"] != "b" {
		t.Fatalf("shown metadata: %v", md)
	}
	if got := e.must(e.do("GET", "/servers/"+sv["id"].(string)+"/metadata", "alice", nil), 200); got.has(AccessKey) {
		t.Fatalf("the SSH forward was stored as metadata: %s", got.Body)
	}
	hy := e.must(e.do("GET", "/os-hypervisors/detail", "admin", nil), 200)
	if !hy.has(`\"accel\":\"tcg\"`) || !hy.has(`"hypervisor_type":"QEMU"`) {
		t.Fatalf("os-hypervisors before 2.28: %s", hy.Body)
	}
	hy = e.must(e.do("GET", "/os-hypervisors/detail", "admin", nil, mvh("2.28")...), 200)
	if !hy.has(`"cpu_info":{"accel":"tcg"}`) {
		t.Fatalf("os-hypervisors from 2.28: %s", hy.Body)
	}
}

func TestCrashFaultShownWhileCrashed(t *testing.T) {
	e := newEnv(t)
	id := e.boot("alice", "vm1", nil)["id"].(string)
	// The VM dies (the fake's VM stops) and the driver says so.
	if err := e.drv.PowerOff(context.Background(), id, 0); err != nil {
		t.Fatal(err)
	}
	e.svc.HandleEvent(hypervisor.Event{ServerID: id, State: hypervisor.Crashed, Fault: "The QEMU process of the server ended unexpectedly"})
	var v map[string]any
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if v = e.show("alice", id); v["status"] == "SHUTOFF" {
			break
		}
	}
	f, _ := v["fault"].(map[string]any)
	if v["status"] != "SHUTOFF" || v["OS-EXT-STS:power_state"] != 6.0 || f == nil || !strings.Contains(f["message"].(string), "ended unexpectedly") {
		t.Fatalf("crashed server: %v", v)
	}
	// Started again, the fault no longer shows.
	e.must(e.act("alice", id, map[string]any{"os-start": nil}), 202)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if v = e.show("alice", id); v["status"] == "ACTIVE" {
			break
		}
	}
	if v["status"] != "ACTIVE" || v["fault"] != nil {
		t.Fatalf("restarted server: %v", v)
	}
}

func TestPowerSyncAtStart(t *testing.T) {
	e := newEnv(t)
	id := e.boot("alice", "vm1", nil)["id"].(string)
	// The VM went away while the compute service was not running.
	if err := e.drv.PowerOff(context.Background(), id, 0); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.syncPowerStates(context.Background()); err != nil {
		t.Fatal(err)
	}
	if v := e.show("alice", id); v["status"] != "SHUTOFF" || v["OS-EXT-STS:power_state"] != 4.0 {
		t.Fatalf("after sync: %v %v", v["status"], v["OS-EXT-STS:power_state"])
	}
}

func TestAllocationRatios(t *testing.T) {
	for _, tc := range []struct {
		ratio float64
		fit   int
	}{{1, 2}, {1.5, 3}} {
		e := newEnv(t, func(o *Options) {
			o.Hosts = []Host{{Name: "h1", Zone: "nova", VCPUs: 16, MemoryMB: 1024, DiskGB: 100}}
			o.Ratios = Ratios{RAM: tc.ratio}
		})
		for i := 0; i <= tc.fit; i++ {
			v := e.boot("alice", "vm", nil)
			want := "ACTIVE"
			if i == tc.fit {
				want = "ERROR" // 512 MiB more than 1024 MiB × ratio
			}
			if v["status"] != want {
				t.Fatalf("ratio %v, server %d: %v (fault %v)", tc.ratio, i+1, v["status"], v["fault"])
			}
		}
	}
}
