package compute

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// os-services and os-hypervisors on the wire: the ids, fields and routes
// that depend on the microversion. The state behind them is in hosts.go.

func serviceView(r *http.Request, v ComputeService) map[string]any {
	out := map[string]any{"id": v.ID, "binary": v.Binary, "host": v.Host, "zone": v.Zone, "status": "enabled",
		"state": "up", "updated_at": naiveTime(v.UpdatedAt), "disabled_reason": v.DisabledReason}
	if atLeast(r, 53) {
		out["id"] = v.UUID()
	}
	if v.Disabled {
		out["status"] = "disabled"
	}
	if v.ForcedDown {
		out["state"] = "down"
	}
	if atLeast(r, 11) {
		out["forced_down"] = v.ForcedDown
	}
	return out
}

func (s *Service) listServices(w http.ResponseWriter, r *http.Request) error {
	svcs, err := s.Services(r.Context())
	if err != nil {
		return err
	}
	q := r.URL.Query()
	out := []map[string]any{}
	for _, v := range svcs {
		if (q.Get("host") != "" && q.Get("host") != v.Host) || (q.Get("binary") != "" && q.Get("binary") != v.Binary) {
			continue
		}
		out = append(out, serviceView(r, v))
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"services": out})
}

// updateService is PUT /os-services/{id} (2.53, by uuid) and the older
// PUT /os-services/{enable,disable,disable-log-reason,force-down}.
func (s *Service) updateService(w http.ResponseWriter, r *http.Request) error {
	m, err := decodeObject(r)
	if err != nil {
		return err
	}
	if !atLeast(r, 53) {
		return s.updateServiceByAction(w, r, m)
	}
	id := r.PathValue("service_id")
	if !isUUID(id) {
		return fault.Invalidf("Invalid uuid %s", id)
	}
	svc, err := s.ServiceByUUID(r.Context(), id)
	if err != nil {
		return err
	}
	var u ServiceUpdate
	if st, ok := m["status"].(string); ok {
		disabled := st == "disabled"
		u.Disabled, u.ClearReason = &disabled, true
		if reason, ok := m["disabled_reason"].(string); ok && disabled {
			u.Reason = &reason
		}
	}
	if fd, ok := m["forced_down"]; ok {
		forced, err := boolValue("forced_down", fd)
		if err != nil {
			return err
		}
		u.ForcedDown = &forced
	}
	if svc, err = s.SetService(r.Context(), svc, u); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"service": serviceView(r, svc)})
}

// updateServiceByAction is the pre-2.53 PUT /os-services/{action}, which
// names the service by host and binary in the body.
func (s *Service) updateServiceByAction(w http.ResponseWriter, r *http.Request, m map[string]any) error {
	action := r.PathValue("service_id")
	host, _ := m["host"].(string)
	bin, _ := m["binary"].(string)
	svc, err := s.ServiceByName(r.Context(), host, bin)
	if err != nil {
		return err
	}
	out := map[string]any{"host": host, "binary": bin}
	yes, no := true, false
	var u ServiceUpdate
	switch action {
	case "enable":
		u.Disabled, u.ClearReason = &no, true
	case "disable":
		u.Disabled = &yes
	case "disable-log-reason":
		reason, _ := m["disabled_reason"].(string)
		u.Disabled, u.Reason = &yes, &reason
		out["disabled_reason"] = reason
	case "force-down":
		if !atLeast(r, 11) {
			return fault.NotFoundf("The resource could not be found.")
		}
		forced, err := boolValue("forced_down", m["forced_down"])
		if err != nil {
			return err
		}
		u.ForcedDown = &forced
		out["forced_down"] = forced
	default:
		return fault.NotFoundf("Unknown action")
	}
	if svc, err = s.SetService(r.Context(), svc, u); err != nil {
		return err
	}
	if action != "force-down" {
		out["status"] = map[bool]string{true: "disabled", false: "enabled"}[svc.Disabled]
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"service": out})
}

func (s *Service) deleteService(w http.ResponseWriter, r *http.Request) error {
	return fault.Conflictf("Unable to delete compute service that is in use. Please stop the stratus node instead.")
}

func (s *Service) hypervisorView(r *http.Request, h Hypervisor, detail bool, servers []map[string]string) map[string]any {
	v := map[string]any{"id": h.Index, "hypervisor_hostname": h.Host.Name, "state": "up", "status": "enabled"}
	if atLeast(r, 53) {
		v["id"] = h.UUID()
	}
	if h.Disabled {
		v["status"] = "disabled"
	}
	if detail {
		sid := any(len(s.hosts) + h.Index + 2)
		if atLeast(r, 53) {
			sid = hostUUID("service", h.Host.Name+"/nova-compute")
		}
		free := h.Info.DiskGB - h.DiskGBUsed
		v["hypervisor_type"], v["hypervisor_version"], v["host_ip"] = h.Info.Type, h.Info.Version, "127.0.0.1"
		v["service"] = map[string]any{"id": sid, "host": h.Host.Name, "disabled_reason": nil}
		v["vcpus"], v["memory_mb"], v["local_gb"] = h.Info.VCPUs, h.Info.MemoryMB, h.Info.DiskGB
		v["vcpus_used"], v["memory_mb_used"], v["local_gb_used"] = h.VCPUsUsed, h.MemoryMBUsed, h.DiskGBUsed
		v["free_ram_mb"], v["free_disk_gb"] = h.Info.MemoryMB-h.MemoryMBUsed, free
		v["current_workload"], v["running_vms"], v["disk_available_least"] = 0, h.RunningVMs, free
		// A driver that runs guests says how: cpu_info.accel is kvm or tcg
		// (the QEMU driver).
		cpu := map[string]any{}
		if h.Info.Accel != "" {
			cpu["accel"] = h.Info.Accel
		}
		if atLeast(r, 28) {
			v["cpu_info"] = cpu
		} else if len(cpu) > 0 {
			b, _ := json.Marshal(cpu)
			v["cpu_info"] = string(b)
		} else {
			v["cpu_info"] = ""
		}
	}
	if servers != nil {
		v["servers"] = servers
	}
	return v
}

// hostServersView lists a host's servers as os-hypervisors shows them
// (empty, not nil, when there are none).
func (s *Service) hostServersView(r *http.Request, host string) ([]map[string]string, error) {
	list, err := s.HostServers(r.Context(), host)
	if err != nil {
		return nil, err
	}
	out := []map[string]string{}
	for _, hs := range list {
		out = append(out, map[string]string{"uuid": hs.ID, "name": fmt.Sprintf("instance-%08x", hs.Seq)})
	}
	return out, nil
}

func (s *Service) listHypervisors(detail bool) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		hs, err := s.Hypervisors(r.Context())
		if err != nil {
			return err
		}
		q := r.URL.Query()
		pattern := q.Get("hypervisor_hostname_pattern")
		withServers, _ := strictBool(q.Get("with_servers"))
		out := []map[string]any{}
		for _, h := range hs {
			if pattern != "" && !strings.Contains(h.Host.Name, pattern) {
				continue
			}
			var servers []map[string]string
			if withServers && atLeast(r, 53) {
				if servers, err = s.hostServersView(r, h.Host.Name); err != nil {
					return err
				}
				if len(servers) == 0 && !atLeast(r, 75) {
					servers = nil
				}
			}
			out = append(out, s.hypervisorView(r, h, detail, servers))
		}
		if pattern != "" && len(out) == 0 {
			return fault.NotFoundf("No hypervisor matching '%s' could be found.", pattern)
		}
		return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"hypervisors": out})
	}
}

// findHypervisor finds a hypervisor by id (an index before 2.53, a uuid
// from it).
func (s *Service) findHypervisor(r *http.Request) (*Hypervisor, error) {
	id := r.PathValue("hypervisor_id")
	hs, err := s.Hypervisors(r.Context())
	if err != nil {
		return nil, err
	}
	for i := range hs {
		if (atLeast(r, 53) && hs[i].UUID() == id) || (!atLeast(r, 53) && strconv.Itoa(hs[i].Index) == id) {
			return &hs[i], nil
		}
	}
	if atLeast(r, 53) && !isUUID(id) {
		return nil, fault.Invalidf("Invalid uuid %s", id)
	}
	return nil, fault.NotFoundf("Hypervisor with ID %s could not be found.", id)
}

func (s *Service) showHypervisor(w http.ResponseWriter, r *http.Request) error {
	h, err := s.findHypervisor(r)
	if err != nil {
		return err
	}
	var servers []map[string]string
	if ws, _ := strictBool(r.URL.Query().Get("with_servers")); ws && atLeast(r, 53) {
		if servers, err = s.hostServersView(r, h.Host.Name); err != nil {
			return err
		}
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"hypervisor": s.hypervisorView(r, *h, true, servers)})
}

func (s *Service) hypervisorUptime(w http.ResponseWriter, r *http.Request) error {
	h, err := s.findHypervisor(r)
	if err != nil {
		return err
	}
	v := s.hypervisorView(r, *h, false, nil)
	v["uptime"] = " " + time.Now().UTC().Format("15:04:05") + " up 1 day,  1 user,  load average: 0.00, 0.00, 0.00"
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"hypervisor": v})
}

func (s *Service) hypervisorStats(w http.ResponseWriter, r *http.Request) error {
	hs, err := s.Hypervisors(r.Context())
	if err != nil {
		return err
	}
	st := map[string]int64{"count": int64(len(hs))}
	for _, h := range hs {
		st["vcpus"] += int64(h.Info.VCPUs)
		st["memory_mb"] += h.Info.MemoryMB
		st["local_gb"] += h.Info.DiskGB
		st["vcpus_used"] += h.VCPUsUsed
		st["memory_mb_used"] += h.MemoryMBUsed
		st["local_gb_used"] += h.DiskGBUsed
		st["free_ram_mb"] += h.Info.MemoryMB - h.MemoryMBUsed
		st["free_disk_gb"] += h.Info.DiskGB - h.DiskGBUsed
		st["running_vms"] += h.RunningVMs
		st["disk_available_least"] += h.Info.DiskGB - h.DiskGBUsed
	}
	st["current_workload"] = 0
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"hypervisor_statistics": st})
}

// searchHypervisors is the pre-2.53 /os-hypervisors/{pattern}/search and
// /servers.
func (s *Service) searchHypervisors(servers bool) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if atLeast(r, 53) {
			return fault.NotFoundf("The resource could not be found.")
		}
		pattern := r.PathValue("hypervisor_id")
		hs, err := s.Hypervisors(r.Context())
		if err != nil {
			return err
		}
		out := []map[string]any{}
		for _, h := range hs {
			if !strings.Contains(h.Host.Name, pattern) {
				continue
			}
			var list []map[string]string
			if servers {
				if list, err = s.hostServersView(r, h.Host.Name); err != nil {
					return err
				}
				if len(list) == 0 {
					list = nil
				}
			}
			out = append(out, s.hypervisorView(r, h, false, list))
		}
		if len(out) == 0 {
			return fault.NotFoundf("No hypervisor matching '%s' could be found.", pattern)
		}
		return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"hypervisors": out})
	}
}
