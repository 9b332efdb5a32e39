package volume

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// The admin views of the storage backend (os-services, os-hosts,
// scheduler-stats/get_pools, capabilities), read from this node: its
// scheduler and its one volume backend (the volume store), which are up
// while the node answers. Other nodes sharing the database are not listed:
// stratus keeps no heartbeats of them.

const (
	vendorName      = "Open Source" // Cinder's reference drivers say so too
	storageProtocol = "file"
)

type service struct{ binary, host string }

func (s *Service) services() []service {
	return []service{{"cinder-scheduler", s.node}, {"cinder-volume", s.node + "@" + s.store.Kind()}}
}

// capacity is the volume store's size and free space in GiB, or
// "unknown" when the store cannot tell (the blob store).
func (s *Service) capacity() (total, free any) {
	if c, ok := s.store.(interface{ Capacity() (int64, int64, error) }); ok {
		if t, f, err := c.Capacity(); err == nil {
			return float64(t) / float64(GiB), float64(f) / float64(GiB)
		}
	}
	return "unknown", "unknown"
}

func hostPart(h string) string { host, _, _ := strings.Cut(h, "@"); return host }

func (s *Service) servicesHTTP(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	now := stamp(time.Now())
	out := []map[string]any{}
	for _, sv := range s.services() {
		if h := q.Get("host"); h != "" && hostPart(sv.host) != hostPart(h) {
			continue
		}
		if b := q.Get("binary"); b != "" && sv.binary != b {
			continue
		}
		out = append(out, map[string]any{"binary": sv.binary, "host": sv.host, "zone": s.zone, "status": "enabled",
			"state": "up", "updated_at": now, "disabled_reason": nil})
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"services": out})
}

// updateServiceHTTP is PUT /os-services/{action}: the errors are Cinder's;
// disabling, enabling, freezing and thawing this node's services are not
// implemented (501).
func (s *Service) updateServiceHTTP(w http.ResponseWriter, r *http.Request) error {
	top, err := decodeBodyRaw(r)
	if err != nil {
		return err
	}
	o := object{m: top}
	host, _, err := o.str("host")
	if err != nil {
		return err
	}
	binary, _, err := o.str("binary")
	if err != nil {
		return err
	}
	known := func(b string) bool {
		for _, sv := range s.services() {
			if sv.host == deref(host) && (b == "" || sv.binary == b) {
				return true
			}
		}
		return false
	}
	switch action := r.PathValue("action"); action {
	case "enable", "disable", "disable-log-reason":
		if action == "disable-log-reason" {
			reason, _, err := o.str("disabled_reason")
			if err != nil || reason == nil || strings.TrimSpace(*reason) == "" || len(*reason) > 255 {
				return fault.Invalidf("Disabled reason contains invalid characters or is too long")
			}
		}
		if !known(deref(binary)) {
			return fault.NotFoundf("Could not find binary %s on host %s.", deref(binary), deref(host))
		}
	case "freeze", "thaw":
		if !known("") {
			return invalidInput("No service found with host=%s", deref(host))
		}
	default:
		return fault.NotFoundf("Unknown action")
	}
	return fault.NotImplementedf("Changing the state of volume services is not implemented in stratus.")
}

func (s *Service) hostsHTTP(w http.ResponseWriter, r *http.Request) error {
	now := stamp(time.Now())
	out := []map[string]any{}
	for _, sv := range s.services() {
		out = append(out, map[string]any{"service-status": "available", "service": sv.binary, "zone": s.zone,
			"service-state": "enabled", "host_name": sv.host, "last-update": now})
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"hosts": out})
}

// showHostHTTP is os-hosts/{host}: volume and snapshot totals per project.
func (s *Service) showHostHTTP(w http.ResponseWriter, r *http.Request) error {
	host := r.PathValue("host")
	if hostPart(host) != s.node {
		return fault.NotFoundf("Host %s could not be found.", host)
	}
	type tot struct{ vols, volGB, snaps, snapGB int64 }
	per := map[string]*tot{}
	all := &tot{}
	add := func(project string, f func(t *tot)) {
		if per[project] == nil {
			per[project] = &tot{}
		}
		f(per[project])
		f(all)
	}
	if err := s.scanTotals(r.Context(), func(project string, n, gb int64, snap bool) {
		add(project, func(t *tot) {
			if snap {
				t.snaps, t.snapGB = t.snaps+n, t.snapGB+gb
			} else {
				t.vols, t.volGB = t.vols+n, t.volGB+gb
			}
		})
	}); err != nil {
		return err
	}
	entry := func(project string, t *tot) map[string]any {
		f := strconv.FormatInt
		return map[string]any{"resource": map[string]string{"host": host, "project": project, "volume_count": f(t.vols, 10),
			"total_volume_gb": f(t.volGB, 10), "snapshot_count": f(t.snaps, 10), "total_snapshot_gb": f(t.snapGB, 10)}}
	}
	out := []map[string]any{entry("(total)", all)}
	for p, t := range per {
		out = append(out, entry(p, t))
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"host": out})
}

// scanTotals reports, per project, the count and GiB of volumes and of
// snapshots on this node.
func (s *Service) scanTotals(ctx context.Context, fn func(project string, n, gb int64, snap bool)) error {
	for _, q := range []struct {
		sql  string
		snap bool
	}{
		{"SELECT project_id, COUNT(*), COALESCE(SUM(size), 0) FROM volumes WHERE node = $1 GROUP BY project_id", false},
		{`SELECT s.project_id, COUNT(*), COALESCE(SUM(s.size), 0) FROM volume_snapshots s JOIN volumes v ON v.id = s.volume_id
			WHERE v.node = $1 GROUP BY s.project_id`, true},
	} {
		rows, err := s.r.QueryContext(ctx, q.sql, s.node)
		if err != nil {
			return err
		}
		for rows.Next() {
			var p string
			var n, gb int64
			if err := rows.Scan(&p, &n, &gb); err != nil {
				rows.Close()
				return err
			}
			fn(p, n, gb, q.snap)
		}
		rows.Close()
	}
	return nil
}

func (s *Service) poolsHTTP(w http.ResponseWriter, r *http.Request) error {
	pool := map[string]any{"name": s.host}
	if d, _ := parseBool(r.URL.Query().Get("detail")); d {
		total, free := s.capacity()
		pool["capabilities"] = map[string]any{"volume_backend_name": s.store.Kind(), "vendor_name": vendorName,
			"driver_version": "1.0", "storage_protocol": storageProtocol, "total_capacity_gb": total,
			"free_capacity_gb": free, "reserved_percentage": 0, "QoS_support": false, "timestamp": stamp(time.Now())}
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"pools": []any{pool}})
}

func (s *Service) capabilitiesHTTP(w http.ResponseWriter, r *http.Request) error {
	if host := r.PathValue("host"); hostPart(host) != s.node {
		return fault.NotFoundf("Host %s could not be found.", host)
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"namespace": "OS::Storage::Capabilities::" + s.node,
		"vendor_name": vendorName, "volume_backend_name": s.store.Kind(), "pool_name": nil, "driver_version": "1.0",
		"storage_protocol": storageProtocol, "display_name": nil, "description": nil, "visibility": nil,
		"replication_targets": []any{}, "properties": map[string]any{}})
}
