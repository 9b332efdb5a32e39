package compute

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// os-simple-tenant-usage and os-instance_usage_audit_log on the wire.

func usageWindow(r *http.Request) UsageWindow {
	q := r.URL.Query()
	return UsageWindow{Start: q.Get("start"), End: q.Get("end")}
}

func tenantUsageView(project string, list []serverUsage, start, end time.Time, detailed bool) map[string]any {
	var hours, gb, mb, vcpus float64
	servers := []map[string]any{}
	for _, u := range list {
		f := u.sv.Flavor
		hours += u.hours
		gb += u.hours * float64(f.RootGB+f.EphemeralGB)
		mb += u.hours * float64(f.MemoryMB)
		vcpus += u.hours * float64(f.VCPUs)
		if detailed {
			var ended any
			if u.ended != nil {
				ended = naiveTime(*u.ended)
			}
			servers = append(servers, map[string]any{"instance_id": u.sv.ID, "name": u.sv.Name, "hours": u.hours,
				"memory_mb": f.MemoryMB, "local_gb": f.RootGB + f.EphemeralGB, "vcpus": f.VCPUs, "tenant_id": u.sv.ProjectID,
				"flavor": f.Name, "started_at": naiveTime(u.start), "ended_at": ended, "state": u.state, "uptime": u.uptime})
		}
	}
	v := map[string]any{"tenant_id": project, "total_hours": hours, "total_local_gb_usage": gb, "total_memory_mb_usage": mb,
		"total_vcpus_usage": vcpus, "start": naiveTime(start), "stop": naiveTime(end)}
	if detailed {
		v["server_usages"] = servers
	}
	return v
}

// pageUsages applies 2.40's limit and marker (a server id) to usages.
func pageUsages(r *http.Request, list []serverUsage) ([]serverUsage, int, error) {
	if !atLeast(r, 40) {
		return list, -1, nil
	}
	limit, marker, err := page(r)
	if err != nil {
		return nil, 0, err
	}
	if marker != "" {
		i := 0
		for i < len(list) && list[i].sv.ID != marker {
			i++
		}
		if i == len(list) {
			return nil, 0, fault.Invalidf("marker [%s] not found", marker)
		}
		list = list[i+1:]
	}
	if limit >= 0 && len(list) > limit {
		list = list[:limit]
	}
	return list, limit, nil
}

func (s *Service) listTenantUsages(w http.ResponseWriter, r *http.Request) error {
	u, err := s.AllUsages(r.Context(), usageWindow(r))
	if err != nil {
		return err
	}
	detailed, _ := strictBool(r.URL.Query().Get("detailed"))
	list, limit, err := pageUsages(r, u.Servers)
	if err != nil {
		return err
	}
	byProject := map[string][]serverUsage{}
	var order []string
	for _, su := range list {
		if _, ok := byProject[su.sv.ProjectID]; !ok {
			order = append(order, su.sv.ProjectID)
		}
		byProject[su.sv.ProjectID] = append(byProject[su.sv.ProjectID], su)
	}
	out := []map[string]any{}
	for _, p := range order {
		out = append(out, tenantUsageView(p, byProject[p], u.Start, u.End, detailed))
	}
	body := map[string]any{"tenant_usages": out}
	if limit > 0 && len(list) == limit {
		body["tenant_usages_links"] = nextLinks(r, len(list), limit, "os-simple-tenant-usage", list[len(list)-1].sv.ID)
	}
	return httpapi.WriteJSON(w, http.StatusOK, body)
}

func (s *Service) getTenantUsage(w http.ResponseWriter, r *http.Request) error {
	project := r.PathValue("tenant_id")
	u, err := s.ProjectUsage(r.Context(), principal(r), project, usageWindow(r))
	if err != nil {
		return err
	}
	list, limit, err := pageUsages(r, u.Servers)
	if err != nil {
		return err
	}
	v := map[string]any{}
	if len(list) > 0 || !atLeast(r, 40) {
		v = tenantUsageView(project, list, u.Start, u.End, true)
	}
	body := map[string]any{"tenant_usage": v}
	if limit > 0 && len(list) == limit {
		body["tenant_usage_links"] = nextLinks(r, len(list), limit, "os-simple-tenant-usage/"+project, list[len(list)-1].sv.ID)
	}
	return httpapi.WriteJSON(w, http.StatusOK, body)
}

// auditLog is Nova's audit of instance usage for the month before
// before; stratus runs no periodic audit task, so every host is "not
// run".
func (s *Service) auditLog(before time.Time) map[string]any {
	end := time.Date(before.Year(), before.Month(), 1, 0, 0, 0, 0, time.UTC)
	begin := end.AddDate(0, -1, 0)
	var hosts []string
	for _, h := range s.hosts {
		hosts = append(hosts, h.Name)
	}
	return map[string]any{"hosts_not_run": hosts, "log": map[string]any{}, "num_hosts": len(hosts), "num_hosts_done": 0,
		"num_hosts_not_run": len(hosts), "num_hosts_running": 0, "total_errors": 0, "total_instances": 0,
		"overall_status":   fmt.Sprintf("0 of %d hosts done. 0 errors.", len(hosts)),
		"period_beginning": begin.Format("2006-01-02 15:04:05"), "period_ending": end.Format("2006-01-02 15:04:05")}
}

func (s *Service) listAuditLogs(w http.ResponseWriter, r *http.Request) error {
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"instance_usage_audit_logs": s.auditLog(time.Now().UTC())})
}

func (s *Service) getAuditLog(w http.ResponseWriter, r *http.Request) error {
	v, _ := url.PathUnescape(r.PathValue("before"))
	var t time.Time
	var ok bool
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04:05.999999", "2006-01-02T15:04:05", "2006-01-02T15:04:05.999999"} {
		if tt, err := time.Parse(layout, v); err == nil {
			t, ok = tt, true
			break
		}
	}
	if !ok {
		return fault.Invalidf("Invalid timestamp for date %s", v)
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"instance_usage_audit_log": s.auditLog(t)})
}
