package compute

import (
	"context"
	"strings"
	"testing"

	"github.com/stratus-iaas/stratus/internal/hypervisor"
)

// describedDriver is the fake driver describing its host as the QEMU
// driver does.
type describedDriver struct{ hypervisor.Driver }

func (describedDriver) HostInfo(context.Context) (hypervisor.HostInfo, error) {
	return hypervisor.HostInfo{Type: "QEMU", Version: 7002022, Accel: "tcg", VCPUs: 2, MemoryMB: 4096, DiskGB: 100}, nil
}

func TestHypervisors(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Driver = describedDriver{o.Driver} })
	e.boot("alice", "vm1", nil)
	e.must(e.do("GET", "/os-hypervisors", "alice", nil), 403)
	list := e.must(e.do("GET", "/os-hypervisors", "admin", nil), 200).JSON(t)["hypervisors"].([]any)
	if len(list) != 3 || list[0].(map[string]any)["hypervisor_hostname"] != "h1" || list[0].(map[string]any)["id"] != 1.0 {
		t.Fatalf("list %v", list)
	}
	det := e.must(e.do("GET", "/os-hypervisors/detail", "admin", nil), 200).JSON(t)["hypervisors"].([]any)
	used := 0.0
	for _, h := range det {
		m := h.(map[string]any)
		if m["hypervisor_type"] != "QEMU" || m["hypervisor_version"] != 7002022.0 || m["vcpus"] != 2.0 || m["memory_mb"] != 4096.0 {
			t.Fatalf("detail %v", m)
		}
		if ci, _ := m["cpu_info"].(string); ci == "" || !strings.Contains(ci, `"accel":"tcg"`) {
			t.Fatalf("cpu_info before 2.28 is a JSON string saying TCG: %v", m["cpu_info"])
		}
		used += m["running_vms"].(float64)
	}
	if used != 1 {
		t.Fatalf("running_vms sum %v", used)
	}
	h := e.must(e.do("GET", "/os-hypervisors/detail", "admin", nil, mvh("2.53")...), 200).JSON(t)["hypervisors"].([]any)[0].(map[string]any)
	if ci := h["cpu_info"].(map[string]any); ci["accel"] != "tcg" || ci["model"] != "max" {
		t.Fatalf("cpu_info from 2.28: %v", h["cpu_info"])
	}
	id := h["id"].(string)
	if got := e.must(e.do("GET", "/os-hypervisors/"+id, "admin", nil, mvh("2.53")...), 200).JSON(t)["hypervisor"].(map[string]any); got["hypervisor_hostname"] != "h1" {
		t.Fatalf("show %v", got)
	}
	e.must(e.do("GET", "/os-hypervisors/2", "admin", nil), 200)
	e.must(e.do("GET", "/os-hypervisors/9", "admin", nil), 404)
	e.must(e.do("GET", "/os-hypervisors/nope", "admin", nil, mvh("2.53")...), 400)
	st := e.must(e.do("GET", "/os-hypervisors/statistics", "admin", nil), 200).JSON(t)["hypervisor_statistics"].(map[string]any)
	if st["count"] != 3.0 || st["vcpus"] != 6.0 || st["running_vms"] != 1.0 {
		t.Fatalf("statistics %v", st)
	}
}
