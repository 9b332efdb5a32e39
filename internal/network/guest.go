package network

import (
	"context"
	"errors"

	"github.com/stratus-iaas/stratus/internal/store"
)

// GuestSubnet is what a hypervisor tells a guest about the subnet one of
// its addresses is on (network_data.json, and the QEMU driver's user-mode
// network).
type GuestSubnet struct {
	CIDR    string
	Gateway string // "" when the subnet has none
	DNS     []string
	MTU     int // of the subnet's network
	DHCP    bool
}

// GuestSubnets describes the subnets named (those of a server's fixed
// IPs, which compute reads with the service's rights: the ports are its
// servers'). Unknown ids are left out.
func (s *Service) GuestSubnets(ctx context.Context, subnetIDs []string) (map[string]GuestSubnet, error) {
	out := map[string]GuestSubnet{}
	admin := scope{admin: true}
	for _, id := range subnetIDs {
		if _, done := out[id]; done {
			continue
		}
		sn, err := getSubnet(ctx, s.r, admin, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		g := GuestSubnet{CIDR: sn.CIDR.String(), DNS: sn.DNSNameservers, DHCP: sn.EnableDHCP}
		if sn.Gateway.IsValid() {
			g.Gateway = sn.Gateway.String()
		}
		if n, err := getNetwork(ctx, s.r, admin, sn.NetworkID); err == nil {
			g.MTU = n.MTU
		}
		out[id] = g
	}
	return out, nil
}
