package compute

import (
	"net/http"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/network"
)

// os-tenant-networks and os-networks (up to 2.35) on the wire: the
// network service's networks as nova-network showed them.

// novaNetwork is Nova's view of a Neutron network: the tenant one (id,
// label, cidr) or the admin's os-networks one, nova-network's fields
// all null.
func novaNetwork(n *network.Network, full, admin bool) map[string]any {
	if !full {
		return map[string]any{"id": n.ID, "label": n.Name, "cidr": "None"}
	}
	v := map[string]any{"id": n.ID, "label": n.Name}
	for _, k := range []string{"cidr", "netmask", "gateway", "broadcast", "dns1", "dns2", "cidr_v6", "gateway_v6", "netmask_v6"} {
		v[k] = nil
	}
	if admin {
		for _, k := range []string{"created_at", "updated_at", "deleted_at", "deleted", "injected", "bridge", "vlan", "vpn_public_address",
			"vpn_public_port", "vpn_private_address", "dhcp_start", "project_id", "host", "bridge_interface", "multi_host", "priority",
			"rxtx_base", "mtu", "dhcp_server", "enable_dhcp", "share_address"} {
			v[k] = nil
		}
	}
	return v
}

func (s *Service) listNetworks(full bool) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		nl, err := s.networkLister()
		if err != nil {
			return err
		}
		list, err := nl.ListNetworks(r.Context(), principal(r))
		if err != nil {
			return err
		}
		out := []map[string]any{}
		for _, n := range list {
			out = append(out, novaNetwork(n, full, principal(r).IsAdmin()))
		}
		return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"networks": out})
	}
}

func (s *Service) showNetwork(full bool) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		nl, err := s.networkLister()
		if err != nil {
			return err
		}
		id := r.PathValue("network_id")
		n, err := nl.Network(r.Context(), principal(r), id)
		if err != nil {
			if fault.KindOf(err) == fault.NotFound || isNotFound(err) {
				return fault.NotFoundf("Network %s could not be found.", id)
			}
			return err
		}
		return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"network": novaNetwork(n, full, principal(r).IsAdmin())})
	}
}

// networkGone answers the nova-network actions Nova removed (410).
func (s *Service) networkGone(w http.ResponseWriter, r *http.Request) error {
	return fault.New(fault.Gone, "Network creation, deletion and association were removed with nova-network.")
}
