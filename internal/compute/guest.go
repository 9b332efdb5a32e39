package compute

import (
	"context"
	"database/sql"
	"errors"

	"github.com/stratus-iaas/stratus/internal/hypervisor"
	"github.com/stratus-iaas/stratus/internal/network"
)

// Subnets is the optional part of Network that describes the subnets of
// a server's addresses to its guest (the network service has it).
type Subnets interface {
	GuestSubnets(ctx context.Context, subnetIDs []string) (map[string]network.GuestSubnet, error)
}

// addSubnets gives each NIC of sp the subnet of its address (CIDR,
// gateway, DNS, MTU), which a real guest is configured with.
func (s *Service) addSubnets(ctx context.Context, sp *hypervisor.Spec, ports []Port) error {
	sub, ok := s.net.(Subnets)
	if !ok {
		return nil
	}
	var ids []string
	for _, p := range ports {
		for _, ip := range p.FixedIPs {
			ids = append(ids, ip.SubnetID)
		}
	}
	info, err := sub.GuestSubnets(ctx, ids)
	if err != nil {
		return err
	}
	for i, p := range ports {
		for _, ip := range p.FixedIPs {
			if g, ok := info[ip.SubnetID]; ok && ip.Version != 6 && i < len(sp.NICs) {
				n := &sp.NICs[i]
				n.CIDR, n.Gateway, n.DNS, n.MTU = g.CIDR, g.Gateway, g.DNS, g.MTU
				break
			}
		}
	}
	return nil
}

// powerCrashed is Nova's power state CRASHED.
const powerCrashed = int(hypervisor.Crashed)

// applyPower sets what a power state seen outside an operation means for
// a settled server (ACTIVE, PAUSED, SUSPENDED or SHUTOFF).
func applyPower(sv *Server, st int) error {
	switch sv.VMState {
	case vmActive, vmPaused, vmSuspended, vmStopped:
	default:
		return errSkip
	}
	if st == sv.PowerState {
		return errSkip
	}
	sv.PowerState = st
	switch st {
	case int(hypervisor.Shutdown), powerCrashed:
		sv.VMState = vmStopped
	}
	return nil
}

// syncPowerStates brings settled servers in line with what the driver
// reports after a restart (a VM gone while stratus was down is SHUTOFF),
// as Nova's _sync_power_states.
func (s *Service) syncPowerStates(ctx context.Context) error {
	have, err := s.driver.Instances(ctx)
	if err != nil {
		return err
	}
	for id, st := range have {
		_, err := s.mutate(ctx, id, func(tx *sql.Tx, sv *Server) error {
			if sv.DeletedAt != 0 || sv.TaskState != nil {
				return errSkip
			}
			return applyPower(sv, int(st))
		})
		if err != nil && !errors.Is(err, errSkip) {
			s.log.Warn("power state not synced", "server", id, "err", err)
		}
	}
	return nil
}

// AccessKey is the metadata key under which a server's view shows the
// host address forwarded to its guest's SSH port, on drivers that forward
// ports (QEMU's user-mode networking): shown, never stored.
const AccessKey = "stratus:ssh"

// addAccess adds the SSH forward of sv to its shown metadata.
func (s *Service) addAccess(ctx context.Context, v map[string]any, sv *Server) {
	acc, ok := s.driver.(hypervisor.Accessor)
	if !ok || sv.VMState == vmBuilding {
		return
	}
	a, err := acc.Access(ctx, sv.ID)
	if err != nil || a.SSH == "" {
		return
	}
	md := map[string]string{AccessKey: a.SSH}
	for k, val := range sv.Metadata {
		md[k] = val
	}
	v["metadata"] = md
}
