package compute

import (
	"context"
	"crypto/sha1"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/hypervisor"
	"github.com/stratus-iaas/stratus/internal/store"
)

// The admin's view of the compute hosts: os-hypervisors, os-services and
// os-hosts. Each configured host is one hypervisor and one nova-compute
// service; the node itself runs nova-scheduler and nova-conductor.

// hostUUID is a stable id of a host (or service) for 2.53's uuid ids.
func hostUUID(kind, name string) string {
	return uuid.NewHash(sha1.New(), uuid.NameSpaceOID, []byte("stratus/"+kind+"/"+name), 5).String()
}

type serviceRec struct {
	id       int
	host     string
	binary   string
	zone     string
	disabled bool
	reason   *string
	forced   bool
	updated  time.Time
}

// services are the nova services, with their stored state.
func (s *Service) services(ctx context.Context) ([]serviceRec, error) {
	var out []serviceRec
	out = append(out, serviceRec{host: "stratus", binary: "nova-scheduler", zone: "internal"},
		serviceRec{host: "stratus", binary: "nova-conductor", zone: "internal"})
	for _, h := range s.hosts {
		out = append(out, serviceRec{host: h.Name, binary: "nova-compute", zone: s.hostZone(ctx, h)})
	}
	rows, err := s.r.QueryContext(ctx, `SELECT host, binary_name, disabled, disabled_reason, forced_down, updated_at FROM compute_services`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type st struct {
		disabled, forced bool
		reason           *string
		updated          int64
	}
	saved := map[string]st{}
	for rows.Next() {
		var host, bin string
		var v st
		if err := rows.Scan(&host, &bin, &v.disabled, &v.reason, &v.forced, &v.updated); err != nil {
			return nil, err
		}
		saved[host+"/"+bin] = v
	}
	now := time.Now().UTC()
	for i := range out {
		out[i].id, out[i].updated = i+1, now
		if v, ok := saved[out[i].host+"/"+out[i].binary]; ok {
			out[i].disabled, out[i].reason, out[i].forced = v.disabled, v.reason, v.forced
		}
	}
	return out, rows.Err()
}

// hostDisabled reports whether a host's nova-compute is disabled (the
// scheduler's ComputeFilter skips it).
func (s *Service) hostDisabled(ctx context.Context, q store.Querier, host string) bool {
	var d, f bool
	err := q.QueryRowContext(ctx, `SELECT disabled, forced_down FROM compute_services WHERE host = $1 AND binary_name = 'nova-compute'`, host).Scan(&d, &f)
	return err == nil && (d || f)
}

func (s *Service) serviceView(r *http.Request, v serviceRec) map[string]any {
	out := map[string]any{"id": v.id, "binary": v.binary, "host": v.host, "zone": v.zone, "status": "enabled",
		"state": "up", "updated_at": naiveTime(v.updated), "disabled_reason": v.reason}
	if atLeast(r, 53) {
		out["id"] = hostUUID("service", v.host+"/"+v.binary)
	}
	if v.disabled {
		out["status"] = "disabled"
	}
	if v.forced {
		out["state"] = "down"
	}
	if atLeast(r, 11) {
		out["forced_down"] = v.forced
	}
	return out
}

func (s *Service) listServices(w http.ResponseWriter, r *http.Request) error {
	svcs, err := s.services(r.Context())
	if err != nil {
		return err
	}
	q := r.URL.Query()
	out := []map[string]any{}
	for _, v := range svcs {
		if (q.Get("host") != "" && q.Get("host") != v.host) || (q.Get("binary") != "" && q.Get("binary") != v.binary) {
			continue
		}
		out = append(out, s.serviceView(r, v))
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"services": out})
}

// saveService stores a service's state.
func (s *Service) saveService(ctx context.Context, v serviceRec) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO compute_services (host, binary_name, disabled, disabled_reason, forced_down, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (host, binary_name) DO UPDATE SET disabled = excluded.disabled,
			disabled_reason = excluded.disabled_reason, forced_down = excluded.forced_down, updated_at = excluded.updated_at`,
			v.host, v.binary, v.disabled, v.reason, v.forced, store.Now())
		return err
	})
}

// updateService is PUT /os-services/{id} (2.53, by uuid) and the older
// PUT /os-services/{enable,disable,disable-log-reason,force-down}.
func (s *Service) updateService(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("service_id")
	m, err := decodeObject(r)
	if err != nil {
		return err
	}
	svcs, err := s.services(r.Context())
	if err != nil {
		return err
	}
	var svc *serviceRec
	if atLeast(r, 53) {
		if !isUUID(id) {
			return fault.Invalidf("Invalid uuid %s", id)
		}
		for i := range svcs {
			if hostUUID("service", svcs[i].host+"/"+svcs[i].binary) == id {
				svc = &svcs[i]
			}
		}
		if svc == nil {
			return fault.NotFoundf("Service %s could not be found.", id)
		}
		if st, ok := m["status"].(string); ok {
			svc.disabled = st == "disabled"
			svc.reason = nil
			if reason, ok := m["disabled_reason"].(string); ok && svc.disabled {
				svc.reason = &reason
			}
		}
		if fd, ok := m["forced_down"]; ok {
			if svc.forced, err = boolValue("forced_down", fd); err != nil {
				return err
			}
		}
		if err := s.saveService(r.Context(), *svc); err != nil {
			return err
		}
		return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"service": s.serviceView(r, *svc)})
	}
	host, _ := m["host"].(string)
	bin, _ := m["binary"].(string)
	for i := range svcs {
		if svcs[i].host == host && svcs[i].binary == bin {
			svc = &svcs[i]
		}
	}
	if svc == nil {
		return fault.NotFoundf("Service %s on host %s not found.", bin, host)
	}
	out := map[string]any{"host": host, "binary": bin}
	switch id {
	case "enable":
		svc.disabled, svc.reason = false, nil
	case "disable":
		svc.disabled = true
	case "disable-log-reason":
		reason, _ := m["disabled_reason"].(string)
		svc.disabled, svc.reason = true, &reason
		out["disabled_reason"] = reason
	case "force-down":
		if !atLeast(r, 11) {
			return fault.NotFoundf("The resource could not be found.")
		}
		if svc.forced, err = boolValue("forced_down", m["forced_down"]); err != nil {
			return err
		}
		out["forced_down"] = svc.forced
	default:
		return fault.NotFoundf("Unknown action")
	}
	if id != "force-down" {
		out["status"] = map[bool]string{true: "disabled", false: "enabled"}[svc.disabled]
	}
	if err := s.saveService(r.Context(), *svc); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"service": out})
}

func (s *Service) deleteService(w http.ResponseWriter, r *http.Request) error {
	return fault.Conflictf("Unable to delete compute service that is in use. Please stop the stratus node instead.")
}

// hostInfo is the driver's description of a host, or the machine's.
func (s *Service) hostInfo(ctx context.Context) hypervisor.HostInfo {
	if d, ok := s.driver.(hypervisor.Describer); ok {
		if hi, err := d.HostInfo(ctx); err == nil {
			return hi
		}
	}
	return hypervisor.HostInfo{Type: "fake", Version: 1000, VCPUs: runtime.NumCPU(), MemoryMB: 8192, DiskGB: 1000}
}

type hypervisorRec struct {
	index int
	host  Host
	use   *hostUse
	info  hypervisor.HostInfo
}

func (s *Service) hypervisors(ctx context.Context) ([]hypervisorRec, error) {
	use, err := s.usage(ctx, s.r)
	if err != nil {
		return nil, err
	}
	info := s.hostInfo(ctx)
	var out []hypervisorRec
	for i, h := range s.hosts {
		u := use[h.Name]
		if u == nil {
			u = &hostUse{}
		}
		hi := info
		if h.VCPUs > 0 {
			hi.VCPUs = int(h.VCPUs)
		}
		if h.MemoryMB > 0 {
			hi.MemoryMB = h.MemoryMB
		}
		if h.DiskGB > 0 {
			hi.DiskGB = h.DiskGB
		}
		out = append(out, hypervisorRec{index: i + 1, host: h, use: u, info: hi})
	}
	return out, nil
}

func (s *Service) hypervisorView(r *http.Request, h hypervisorRec, detail bool, servers []map[string]string) map[string]any {
	v := map[string]any{"id": h.index, "hypervisor_hostname": h.host.Name, "state": "up", "status": "enabled"}
	if atLeast(r, 53) {
		v["id"] = hostUUID("hypervisor", h.host.Name)
	}
	if s.hostDisabled(r.Context(), s.r, h.host.Name) {
		v["status"] = "disabled"
	}
	if detail {
		sid := any(len(s.hosts) + h.index + 2)
		if atLeast(r, 53) {
			sid = hostUUID("service", h.host.Name+"/nova-compute")
		}
		v["hypervisor_type"], v["hypervisor_version"], v["host_ip"] = h.info.Type, h.info.Version, "127.0.0.1"
		v["service"] = map[string]any{"id": sid, "host": h.host.Name, "disabled_reason": nil}
		v["vcpus"], v["memory_mb"], v["local_gb"] = h.info.VCPUs, h.info.MemoryMB, h.info.DiskGB
		v["vcpus_used"], v["memory_mb_used"], v["local_gb_used"] = h.use.vcpus, h.use.ram, h.use.disk
		v["free_ram_mb"], v["free_disk_gb"] = h.info.MemoryMB-h.use.ram, h.info.DiskGB-h.use.disk
		v["current_workload"], v["running_vms"], v["disk_available_least"] = 0, h.use.count, h.info.DiskGB-h.use.disk
		// A driver that runs guests says how: cpu_info.accel is kvm or tcg
		// (the QEMU driver).
		cpu := map[string]any{}
		if h.info.Accel != "" {
			cpu["accel"] = h.info.Accel
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

// hostServers are the servers on a host, as os-hypervisors lists them.
func (s *Service) hostServers(ctx context.Context, host string) ([]map[string]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, seq FROM compute_servers WHERE host = $1 AND deleted_at = 0 ORDER BY seq`, host)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []map[string]string{}
	for rows.Next() {
		var id string
		var seq int64
		if err := rows.Scan(&id, &seq); err != nil {
			return nil, err
		}
		out = append(out, map[string]string{"uuid": id, "name": fmt.Sprintf("instance-%08x", seq)})
	}
	return out, rows.Err()
}

func (s *Service) listHypervisors(detail bool) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		hs, err := s.hypervisors(r.Context())
		if err != nil {
			return err
		}
		q := r.URL.Query()
		pattern := q.Get("hypervisor_hostname_pattern")
		withServers, _ := strictBool(q.Get("with_servers"))
		out := []map[string]any{}
		for _, h := range hs {
			if pattern != "" && !strings.Contains(h.host.Name, pattern) {
				continue
			}
			var servers []map[string]string
			if withServers && atLeast(r, 53) {
				if servers, err = s.hostServers(r.Context(), h.host.Name); err != nil {
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
func (s *Service) findHypervisor(r *http.Request) (*hypervisorRec, error) {
	id := r.PathValue("hypervisor_id")
	hs, err := s.hypervisors(r.Context())
	if err != nil {
		return nil, err
	}
	for i := range hs {
		if (atLeast(r, 53) && hostUUID("hypervisor", hs[i].host.Name) == id) || (!atLeast(r, 53) && strconv.Itoa(hs[i].index) == id) {
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
		if servers, err = s.hostServers(r.Context(), h.host.Name); err != nil {
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
	hs, err := s.hypervisors(r.Context())
	if err != nil {
		return err
	}
	st := map[string]int64{"count": int64(len(hs))}
	for _, h := range hs {
		st["vcpus"] += int64(h.info.VCPUs)
		st["memory_mb"] += h.info.MemoryMB
		st["local_gb"] += h.info.DiskGB
		st["vcpus_used"] += h.use.vcpus
		st["memory_mb_used"] += h.use.ram
		st["local_gb_used"] += h.use.disk
		st["free_ram_mb"] += h.info.MemoryMB - h.use.ram
		st["free_disk_gb"] += h.info.DiskGB - h.use.disk
		st["running_vms"] += h.use.count
		st["disk_available_least"] += h.info.DiskGB - h.use.disk
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
		hs, err := s.hypervisors(r.Context())
		if err != nil {
			return err
		}
		out := []map[string]any{}
		for _, h := range hs {
			if !strings.Contains(h.host.Name, pattern) {
				continue
			}
			var list []map[string]string
			if servers {
				if list, err = s.hostServers(r.Context(), h.host.Name); err != nil {
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
