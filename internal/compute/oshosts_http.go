package compute

import (
	"net/http"
	"strings"

	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// os-hosts (up to 2.42) on the wire; the hosts behind it are in hosts.go.

func (s *Service) listHosts(w http.ResponseWriter, r *http.Request) error {
	svcs, err := s.Services(r.Context())
	if err != nil {
		return err
	}
	zone := r.URL.Query().Get("zone")
	out := []map[string]any{}
	for _, v := range svcs {
		if zone != "" && v.Zone != zone {
			continue
		}
		out = append(out, map[string]any{"host_name": v.Host, "service": strings.TrimPrefix(v.Binary, "nova-"), "zone": v.Zone})
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"hosts": out})
}

func (s *Service) showHost(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("host")
	rec, use, err := s.HostUsage(r.Context(), name)
	if err != nil {
		return err
	}
	res := func(project string, cpu, mem, disk int64) map[string]any {
		return map[string]any{"resource": map[string]any{"host": name, "project": project, "cpu": cpu, "memory_mb": mem, "disk_gb": disk}}
	}
	out := []map[string]any{res("(total)", int64(rec.Info.VCPUs), rec.Info.MemoryMB, rec.Info.DiskGB),
		res("(used_now)", rec.VCPUsUsed, rec.MemoryMBUsed, rec.DiskGBUsed), res("(used_max)", rec.VCPUsUsed, rec.MemoryMBUsed, rec.DiskGBUsed)}
	for _, u := range use {
		out = append(out, res(u.Project, u.VCPUs, u.MemoryMB, u.DiskGB))
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"host": out})
}

// hostUpdateRequest reads PUT /os-hosts/{host}: the status ("" when
// absent) and whether maintenance_mode was asked for.
func hostUpdateRequest(r *http.Request) (status string, maintenance bool, err error) {
	m, err := decodeObject(r)
	if err != nil {
		return "", false, err
	}
	if err := only("", m, "status", "maintenance_mode"); err != nil {
		return "", false, err
	}
	if len(m) == 0 {
		return "", false, schemaErr("", m, "{} does not have enough properties")
	}
	status, hasStatus, err := str(m, "status")
	if err != nil {
		return "", false, err
	}
	if hasStatus && status != "enable" && status != "disable" {
		return "", false, schemaErr("status", status, pyRepr(status)+" is not one of ['enable', 'Enable', 'ENABLE', 'disable', 'Disable', 'DISABLE']")
	}
	maint, hasMaint, err := str(m, "maintenance_mode")
	if err != nil {
		return "", false, err
	}
	if hasMaint && maint != "enable" && maint != "disable" {
		return "", false, schemaErr("maintenance_mode", maint, pyRepr(maint)+" is not one of ['enable', 'Enable', 'ENABLE', 'disable', 'Disable', 'DISABLE']")
	}
	return status, hasMaint, nil
}

// updateHost is PUT /os-hosts/{host}: status enables or disables its
// nova-compute.
func (s *Service) updateHost(w http.ResponseWriter, r *http.Request) error {
	status, maintenance, err := hostUpdateRequest(r)
	if err != nil {
		return err
	}
	name := r.PathValue("host")
	if err := s.UpdateHost(r.Context(), name, status, maintenance); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"host": name, "status": status + "d"})
}

// hostPowerAction is GET /os-hosts/{host}/{startup,shutdown,reboot}.
func (s *Service) hostPowerAction(w http.ResponseWriter, r *http.Request) error {
	return s.HostPowerAction(r.PathValue("host"))
}
