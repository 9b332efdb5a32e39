package compute

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/google/uuid"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/hypervisor"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// os-hypervisors (admin): one hypervisor per compute host, described by
// the driver when it can (hypervisor.Describer: the QEMU driver says QEMU,
// its version, and in cpu_info whether guests run under KVM or TCG), with
// the usage of the servers placed there. Ids are integers before 2.53 and
// UUIDs (stable, from the host name) from 2.53, as Nova's.

func (s *Service) hypervisorRoutes() []httpapi.Route {
	admin := policy.Admin
	return []httpapi.Route{
		{Method: http.MethodGet, Pattern: "/os-hypervisors", Policy: admin, Handler: s.listHypervisors(false)},
		{Method: http.MethodGet, Pattern: "/os-hypervisors/detail", Policy: admin, Handler: s.listHypervisors(true)},
		{Method: http.MethodGet, Pattern: "/os-hypervisors/statistics", Policy: admin, Handler: s.hypervisorStatistics},
		{Method: http.MethodGet, Pattern: "/os-hypervisors/{hypervisor_id}", Policy: admin, Handler: s.showHypervisor},
	}
}

var hypervisorNS = uuid.MustParse("9f0c6b3e-2a43-4a8e-8a55-5e2f6a1c7d10")

func hypervisorID(r *http.Request, i int, h Host) any {
	if atLeast(r, 53) {
		return uuid.NewSHA1(hypervisorNS, []byte(h.Name)).String()
	}
	return i + 1
}

// hostInfo is what the driver says of this machine (zero when it cannot).
func (s *Service) hostInfo(ctx context.Context) hypervisor.HostInfo {
	hi := hypervisor.HostInfo{Type: "fake", Version: 1000}
	if d, ok := s.driver.(hypervisor.Describer); ok {
		if got, err := d.HostInfo(ctx); err == nil {
			hi = got
		}
	}
	return hi
}

func (s *Service) hypervisorView(r *http.Request, i int, h Host, u *hostUse, hi hypervisor.HostInfo, detail bool) map[string]any {
	v := map[string]any{"id": hypervisorID(r, i, h), "hypervisor_hostname": h.Name, "state": "up", "status": "enabled"}
	if !detail {
		return v
	}
	if u == nil {
		u = &hostUse{}
	}
	// Physical capacity: the driver's for this machine, else the one
	// configured (before allocation ratios, as Nova shows it).
	vcpus, mem, disk := int64(hi.VCPUs), hi.MemoryMB, hi.DiskGB
	if vcpus == 0 {
		vcpus, mem, disk = h.VCPUs, h.MemoryMB, h.DiskGB
	}
	cpu := map[string]any{"arch": "x86_64", "vendor": "unknown", "model": "unknown", "features": []string{},
		"topology": map[string]int64{"sockets": 1, "cores": vcpus, "threads": 1}}
	if hi.Accel != "" {
		cpu["accel"] = hi.Accel
		cpu["model"] = map[string]string{"kvm": "host", "tcg": "max"}[hi.Accel]
	}
	var cpuInfo any = cpu
	if !atLeast(r, 28) {
		b, _ := json.Marshal(cpu)
		cpuInfo = string(b)
	}
	v["hypervisor_type"], v["hypervisor_version"], v["host_ip"] = hi.Type, hi.Version, "127.0.0.1"
	v["service"] = map[string]any{"host": h.Name, "id": hypervisorID(r, i, h), "disabled_reason": nil}
	v["vcpus"], v["vcpus_used"], v["memory_mb"], v["memory_mb_used"] = vcpus, u.vcpus, mem, u.ram
	v["local_gb"], v["local_gb_used"], v["free_ram_mb"], v["free_disk_gb"] = disk, u.disk, mem-u.ram, disk-u.disk
	v["current_workload"], v["running_vms"], v["disk_available_least"], v["cpu_info"] = 0, u.count, disk-u.disk, cpuInfo
	return v
}

func (s *Service) listHypervisors(detail bool) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		use, err := s.usage(r.Context(), s.r)
		if err != nil {
			return err
		}
		hi := s.hostInfo(r.Context())
		out := []map[string]any{}
		for i, h := range s.hosts {
			out = append(out, s.hypervisorView(r, i, h, use[h.Name], hi, detail))
		}
		return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"hypervisors": out})
	}
}

func (s *Service) showHypervisor(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("hypervisor_id")
	use, err := s.usage(r.Context(), s.r)
	if err != nil {
		return err
	}
	for i, h := range s.hosts {
		if want := hypervisorID(r, i, h); id == strconv.Itoa(i+1) && !atLeast(r, 53) || id == want {
			return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"hypervisor": s.hypervisorView(r, i, h, use[h.Name], s.hostInfo(r.Context()), true)})
		}
	}
	if atLeast(r, 53) {
		if _, err := uuid.Parse(id); err != nil {
			return fault.Invalidf("Invalid uuid %s", id)
		}
	}
	return fault.NotFoundf("Hypervisor with ID %s could not be found.", id)
}

func (s *Service) hypervisorStatistics(w http.ResponseWriter, r *http.Request) error {
	use, err := s.usage(r.Context(), s.r)
	if err != nil {
		return err
	}
	hi := s.hostInfo(r.Context())
	keys := []string{"vcpus", "vcpus_used", "memory_mb", "memory_mb_used", "local_gb", "local_gb_used", "free_ram_mb",
		"free_disk_gb", "current_workload", "running_vms", "disk_available_least"}
	sum := map[string]any{"count": len(s.hosts)}
	for _, k := range keys {
		sum[k] = int64(0)
	}
	for i, h := range s.hosts {
		v := s.hypervisorView(r, i, h, use[h.Name], hi, true)
		for _, k := range keys {
			sum[k] = sum[k].(int64) + toInt64(v[k])
		}
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"hypervisor_statistics": sum})
}

func toInt64(v any) int64 {
	switch n := v.(type) {
	case int:
		return int64(n)
	case int64:
		return n
	}
	return 0
}
