package compute

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/hypervisor"
)

// ips are GET /servers/{id}/ips and /ips/{network}.
func (s *Service) listIPs(w http.ResponseWriter, r *http.Request) error {
	sv, err := s.Server(r.Context(), principal(r), r.PathValue("server_id"))
	if err != nil {
		return err
	}
	ports, err := s.net.ServerPorts(r.Context(), sv.ID)
	if err != nil {
		return err
	}
	addrs := addresses(sv, ports, false)
	if label := r.PathValue("network"); label != "" {
		list, ok := addrs[label]
		if !ok {
			return fault.NotFoundf("Instance is not a member of specified network")
		}
		return httpapi.WriteJSON(w, http.StatusOK, map[string]any{label: list})
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"addresses": addrs})
}

// interfaceView is Nova's interface attachment view of a port.
func interfaceView(r *http.Request, p Port) map[string]any {
	ips := make([]map[string]string, len(p.FixedIPs))
	for i, ip := range p.FixedIPs {
		ips[i] = map[string]string{"subnet_id": ip.SubnetID, "ip_address": ip.IPAddress}
	}
	v := map[string]any{"net_id": p.NetworkID, "port_id": p.ID, "mac_addr": p.MACAddress, "port_state": p.Status, "fixed_ips": ips}
	if atLeast(r, 70) {
		v["tag"] = nil
	}
	return v
}

func (s *Service) listInterfaces(w http.ResponseWriter, r *http.Request) error {
	sv, err := s.Server(r.Context(), principal(r), r.PathValue("server_id"))
	if err != nil {
		return err
	}
	ports, err := s.net.ServerPorts(r.Context(), sv.ID)
	if err != nil {
		return err
	}
	out := make([]map[string]any, len(ports))
	for i, p := range ports {
		out[i] = interfaceView(r, p)
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"interfaceAttachments": out})
}

func (s *Service) serverPort(ctx context.Context, serverID, portID string) (*Port, error) {
	ports, err := s.net.ServerPorts(ctx, serverID)
	if err != nil {
		return nil, err
	}
	for _, p := range ports {
		if p.ID == portID {
			return &p, nil
		}
	}
	return nil, fault.NotFoundf("Instance %s does not have a port with id %s", serverID, portID)
}

func (s *Service) getInterface(w http.ResponseWriter, r *http.Request) error {
	sv, err := s.Server(r.Context(), principal(r), r.PathValue("server_id"))
	if err != nil {
		return err
	}
	p, err := s.serverPort(r.Context(), sv.ID, r.PathValue("port_id"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"interfaceAttachment": interfaceView(r, *p)})
}

// ifaceStates are where Nova lets interfaces be attached and detached.
var ifaceStates = []string{vmActive, vmPaused, vmStopped}

func (s *Service) attachInterface(w http.ResponseWriter, r *http.Request) error {
	var req PortRequest
	top, err := decodeObject(r)
	if err != nil {
		return err
	}
	if a, ok := top["interfaceAttachment"]; ok {
		m, err := object("interfaceAttachment", a)
		if err != nil {
			return err
		}
		allowed := []string{"net_id", "port_id", "fixed_ips"}
		if atLeast(r, 49) {
			allowed = append(allowed, "tag")
		}
		if err := only("interfaceAttachment", m, allowed...); err != nil {
			return err
		}
		if req.NetworkID, _, err = str(m, "net_id"); err != nil {
			return err
		}
		if req.PortID, _, err = str(m, "port_id"); err != nil {
			return err
		}
		if ips, ok := m["fixed_ips"].([]any); ok && len(ips) > 0 {
			if ip, ok := ips[0].(map[string]any); ok {
				req.FixedIP, _ = ip["ip_address"].(string)
			}
		}
	}
	if req.NetworkID != "" && req.PortID != "" {
		return fault.Invalidf("Must not input both network_id and port_id")
	}
	if req.FixedIP != "" && req.NetworkID == "" {
		return fault.Invalidf("Must input network_id when request IP address")
	}
	p, id := principal(r), r.PathValue("server_id")
	sv, err := s.startTask(r.Context(), p, id, check{action: "attach_interface", vms: ifaceStates, tasks: idle, lock: true}, "", nil)
	if err != nil {
		return err
	}
	port, err := s.net.AttachPort(r.Context(), p, sv.ID, deref(sv.Host), req)
	s.pc.forget(sv.ID)
	if err != nil {
		return ifaceFault(err)
	}
	nic := hypervisor.NIC{PortID: port.ID, NetworkID: port.NetworkID, MAC: port.MACAddress}
	for _, ip := range port.FixedIPs {
		nic.IPs = append(nic.IPs, ip.IPAddress)
	}
	err = s.work.do(r.Context(), id, func(ctx context.Context) error { return s.driver.PlugNIC(ctx, id, nic) })
	if err != nil {
		s.net.DetachPort(context.WithoutCancel(r.Context()), p, id, port.ID)
		s.pc.forget(id)
		return fault.Internalf("Failed to attach network adapter device to %s", id).WithCause(err)
	}
	s.recordAction(r.Context(), nil, p, id, httpapi.RequestID(r.Context()), "attach_interface")
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"interfaceAttachment": interfaceView(r, *port)})
}

// ifaceFault words network errors as os-interface does (404 for a
// missing network or port, 409 for one in use, 400 otherwise).
func ifaceFault(err error) error {
	msg := faultMessage(err)
	switch {
	case errors.Is(err, ErrNetworkNotFound), errors.Is(err, ErrPortNotFound):
		return fault.NotFoundf("%s", msg)
	case errors.Is(err, ErrPortInUse), errors.Is(err, ErrFixedIPInUse):
		return fault.Conflictf("%s", msg)
	}
	if fe := fault.As(err); fe != nil && fe.Kind != fault.Internal {
		return fault.Invalidf("%s", msg)
	}
	return err
}

func (s *Service) detachInterface(w http.ResponseWriter, r *http.Request) error {
	p, id, portID := principal(r), r.PathValue("server_id"), r.PathValue("port_id")
	if _, err := s.startTask(r.Context(), p, id, check{action: "detach_interface", vms: ifaceStates, tasks: idle, lock: true}, "", nil); err != nil {
		return err
	}
	if _, err := s.serverPort(r.Context(), id, portID); err != nil {
		return fault.NotFoundf("Port id %s could not be found.", portID)
	}
	err := s.work.do(r.Context(), id, func(ctx context.Context) error {
		if err := s.driver.UnplugNIC(ctx, id, portID); err != nil && !errors.Is(err, hypervisor.ErrNotFound) {
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.pc.forget(id)
	defer s.pc.forget(id)
	if err := s.net.DetachPort(r.Context(), p, id, portID); err != nil {
		return ifaceFault(err)
	}
	s.recordAction(r.Context(), nil, p, id, httpapi.RequestID(r.Context()), "detach_interface")
	return accepted(w)
}

// The server password (os-server-password): what a guest posted to the
// metadata service, encrypted with the key pair. Nothing posts one here, so
// it reads "" until a driver's guest agent does.
func (s *Service) getPassword(w http.ResponseWriter, r *http.Request) error {
	sv, err := s.Server(r.Context(), principal(r), r.PathValue("server_id"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]string{"password": sv.SystemMetadata["password"]})
}

func (s *Service) clearPassword(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.startTask(r.Context(), principal(r), r.PathValue("server_id"), check{action: "clear_password"}, "", func(sv *Server) error {
		delete(sv.SystemMetadata, "password")
		return nil
	}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Availability zones (os-availability-zone): the zones of the hosts, all
// available; the detail (admin) lists each host's nova-compute service.
func (s *Service) listZones(detail bool) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if detail && !principal(r).IsAdmin() {
			return fault.Forbiddenf("Policy doesn't allow os_compute_api:os-availability-zone:detail to be performed.")
		}
		var out []map[string]any
		now := naiveTime(time.Now())
		zoned := s.zonedHosts(r.Context())
		for _, z := range s.zones(r.Context()) {
			zone := map[string]any{"zoneName": z, "zoneState": map[string]bool{"available": true}, "hosts": nil}
			if detail {
				hosts := map[string]any{}
				for _, h := range zoned {
					if h.Zone == z {
						hosts[h.Name] = map[string]any{"nova-compute": map[string]any{"available": true, "active": true, "updated_at": now}}
					}
				}
				zone["hosts"] = hosts
			}
			out = append(out, zone)
		}
		if detail {
			out = append(out, map[string]any{"zoneName": "internal", "zoneState": map[string]bool{"available": true},
				"hosts": map[string]any{"stratus": map[string]any{"nova-scheduler": map[string]any{"available": true, "active": true, "updated_at": now},
					"nova-conductor": map[string]any{"available": true, "active": true, "updated_at": now}}}})
		}
		return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"availabilityZoneInfo": out})
	}
}
