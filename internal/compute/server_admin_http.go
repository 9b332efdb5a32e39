package compute

import (
	"fmt"
	"net/http"
	"time"

	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/hypervisor"
)

// Server diagnostics and os-server-external-events on the wire.

// diagnosticsView is the libvirt driver's diagnostics of sv: the old
// flat form before 2.48, the standard one from 2.48.
func diagnosticsView(r *http.Request, sv *Server, ports []Port) map[string]any {
	state := map[int]string{int(hypervisor.Running): "running", int(hypervisor.Paused): "paused", int(hypervisor.Shutdown): "shutdown",
		int(hypervisor.Crashed): "crashed", int(hypervisor.Suspended): "suspended"}[sv.PowerState]
	if state == "" {
		state = "pending"
	}
	var uptime int64
	if sv.LaunchedAt != nil {
		uptime = int64(time.Since(*sv.LaunchedAt).Seconds())
	}
	if !atLeast(r, 48) {
		v := map[string]any{"memory": sv.Flavor.MemoryMB * 1024, "uptime": uptime, "vda_read": 0, "vda_write": 0,
			"vda_read_req": 0, "vda_write_req": 0, "vda_errors": -1}
		for i := int64(0); i < sv.Flavor.VCPUs; i++ {
			v[fmt.Sprintf("cpu%d_time", i)] = 0
		}
		for i := range ports {
			for _, k := range []string{"rx", "rx_drop", "rx_errors", "rx_packets", "tx", "tx_drop", "tx_errors", "tx_packets"} {
				v[fmt.Sprintf("tap%d_%s", i, k)] = 0
			}
		}
		return v
	}
	cpus := []map[string]any{}
	for i := int64(0); i < sv.Flavor.VCPUs; i++ {
		cpus = append(cpus, map[string]any{"id": i, "time": 0, "utilisation": nil})
	}
	nics := []map[string]any{}
	for _, p := range ports {
		nics = append(nics, map[string]any{"mac_address": p.MACAddress, "rx_octets": 0, "rx_errors": 0, "rx_drop": 0, "rx_packets": 0,
			"rx_rate": nil, "tx_octets": 0, "tx_errors": 0, "tx_drop": 0, "tx_packets": 0, "tx_rate": nil})
	}
	disks := []map[string]any{{"read_bytes": 0, "read_requests": 0, "write_bytes": 0, "write_requests": 0, "errors_count": 0}}
	return map[string]any{"state": state, "driver": "libvirt", "hypervisor": "kvm",
		"hypervisor_os": "linux", "uptime": uptime, "config_drive": sv.ConfigDrive != "", "num_cpus": sv.Flavor.VCPUs,
		"num_nics": len(nics), "num_disks": len(disks), "memory_details": map[string]any{"maximum": sv.Flavor.MemoryMB, "used": 0},
		"cpu_details": cpus, "nic_details": nics, "disk_details": disks}
}

func (s *Service) serverDiagnostics(w http.ResponseWriter, r *http.Request) error {
	sv, ports, err := s.Diagnostics(r.Context(), principal(r), r.PathValue("server_id"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, diagnosticsView(r, sv, ports))
}

// externalEventsRequest reads POST /os-server-external-events's body.
func externalEventsRequest(r *http.Request) ([]ExternalEvent, error) {
	top, err := decodeObject(r)
	if err != nil {
		return nil, err
	}
	if err := required("", top, "events"); err != nil {
		return nil, err
	}
	if err := only("", top, "events"); err != nil {
		return nil, err
	}
	list, ok := top["events"].([]any)
	if !ok {
		return nil, schemaErr("events", top["events"], pyRepr(top["events"])+" is not of type 'array'")
	}
	if len(list) == 0 {
		return nil, schemaErr("events", list, "[] is too short")
	}
	var out []ExternalEvent
	for _, item := range list {
		ev, err := externalEventItem(item)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, nil
}

func externalEventItem(item any) (ExternalEvent, error) {
	ev := ExternalEvent{Status: "completed"}
	m, err := object("events", item)
	if err != nil {
		return ev, err
	}
	if err := required("events", m, "name", "server_uuid"); err != nil {
		return ev, err
	}
	if err := only("events", m, "name", "server_uuid", "status", "tag"); err != nil {
		return ev, err
	}
	if ev.Name, _, err = str(m, "name"); err != nil {
		return ev, err
	}
	if !contains(externalEvents, ev.Name) {
		return ev, schemaErr("name", ev.Name, fmt.Sprintf("%s is not one of %s", pyRepr(ev.Name), pyRepr(anySlice(externalEvents))))
	}
	if ev.ServerID, _, err = str(m, "server_uuid"); err != nil {
		return ev, err
	}
	if st, ok, err := str(m, "status"); err != nil {
		return ev, err
	} else if ok {
		if st != "failed" && st != "completed" && st != "in-progress" {
			return ev, schemaErr("status", st, pyRepr(st)+" is not one of ['failed', 'completed', 'in-progress']")
		}
		ev.Status = st
	}
	if tag, ok, err := str(m, "tag"); err != nil {
		return ev, err
	} else if ok {
		ev.Tag = &tag
	}
	return ev, nil
}

// externalEvent is POST /os-server-external-events: 200 when every
// event's server is known, 207 when only some are.
func (s *Service) externalEvent(w http.ResponseWriter, r *http.Request) error {
	evs, err := externalEventsRequest(r)
	if err != nil {
		return err
	}
	if err := s.ExternalEvents(r.Context(), evs); err != nil {
		return err
	}
	out, code := []map[string]any{}, http.StatusOK
	for _, ev := range evs {
		v := map[string]any{"name": ev.Name, "server_uuid": ev.ServerID, "status": ev.Status, "code": ev.Code}
		if ev.Tag != nil {
			v["tag"] = *ev.Tag
		}
		if ev.Code != 200 {
			code = 207
		}
		out = append(out, v)
	}
	return httpapi.WriteJSON(w, code, map[string]any{"events": out})
}
