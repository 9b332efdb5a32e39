package volume

import (
	"net/http"
	"strconv"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// The wire side of os-services, os-hosts, scheduler-stats/get_pools and
// capabilities; the backend itself is in backend.go.

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
	// A disabled_reason that is not a string is as invalid as none.
	reason, _, err := o.str("disabled_reason")
	if err != nil {
		reason = nil
	}
	return s.SetServiceStatus(r.Context(), r.PathValue("action"), deref(host), deref(binary), reason)
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
	all, per, err := s.HostUsage(r.Context(), host)
	if err != nil {
		return err
	}
	entry := func(project string, t *HostTotals) map[string]any {
		f := strconv.FormatInt
		return map[string]any{"resource": map[string]string{"host": host, "project": project, "volume_count": f(t.Volumes, 10),
			"total_volume_gb": f(t.VolumeGB, 10), "snapshot_count": f(t.Snapshots, 10), "total_snapshot_gb": f(t.SnapshotGB, 10)}}
	}
	out := []map[string]any{entry("(total)", &all)}
	for p, t := range per {
		out = append(out, entry(p, t))
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"host": out})
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
