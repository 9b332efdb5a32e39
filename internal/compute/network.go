package compute

import (
	"context"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/network"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// The network service's Go API as compute uses it (internal/network,
// Neutron v2.0): its types, so *network.Service satisfies Network.
type (
	PortRequest = network.PortRequest
	FixedIP     = network.FixedIP
	Port        = network.Port
)

// Network is what compute needs of the network service.
type Network interface {
	// BindPorts creates or binds a port per request for serverID on host;
	// no requests is Nova's "auto" (the project's network, created on
	// first use).
	BindPorts(ctx context.Context, p *policy.Principal, serverID, host string, reqs []PortRequest, securityGroups []string) ([]Port, error)
	// UnbindPorts releases the server's ports (deleting those it created).
	UnbindPorts(ctx context.Context, p *policy.Principal, serverID string) error
	ServerPorts(ctx context.Context, serverID string) ([]Port, error)
	PortsOfServers(ctx context.Context, ids []string) (map[string][]Port, error)
	AttachPort(ctx context.Context, p *policy.Principal, serverID, host string, req PortRequest) (*Port, error)
	DetachPort(ctx context.Context, p *policy.Principal, serverID, portID string) error
}

// The network service's errors, matched with errors.Is.
var (
	ErrNetworkNotFound       = network.ErrNetworkNotFound
	ErrPortNotFound          = network.ErrPortNotFound
	ErrPortInUse             = network.ErrPortInUse
	ErrFixedIPInUse          = network.ErrFixedIPInUse
	ErrNoMoreIPs             = network.ErrNoMoreIPs
	ErrSecurityGroupNotFound = network.ErrSecurityGroupNotFound
)

// SecurityGroups is the optional part of Network that changes the
// security groups of a server's ports (addSecurityGroup,
// removeSecurityGroup, os-security-groups of a server).
type SecurityGroups interface {
	ServerSecurityGroups(ctx context.Context, serverID string) ([]string, error)
	AddServerSecurityGroup(ctx context.Context, p *policy.Principal, serverID, group string) error
	RemoveServerSecurityGroup(ctx context.Context, p *policy.Principal, serverID, group string) error
}

// noNetwork is the Network of a node without a network service: servers
// get no NICs, and attaching one is refused.
type noNetwork struct{}

func (noNetwork) BindPorts(_ context.Context, _ *policy.Principal, _, _ string, reqs []PortRequest, _ []string) ([]Port, error) {
	for _, r := range reqs {
		if r.PortID != "" {
			return nil, ErrPortNotFound
		}
		return nil, ErrNetworkNotFound
	}
	return nil, nil
}
func (noNetwork) UnbindPorts(context.Context, *policy.Principal, string) error { return nil }
func (noNetwork) ServerPorts(context.Context, string) ([]Port, error)          { return nil, nil }
func (noNetwork) PortsOfServers(context.Context, []string) (map[string][]Port, error) {
	return map[string][]Port{}, nil
}
func (noNetwork) AttachPort(context.Context, *policy.Principal, string, string, PortRequest) (*Port, error) {
	return nil, ErrPortNotFound
}
func (noNetwork) DetachPort(context.Context, *policy.Principal, string, string) error {
	return ErrPortNotFound
}

// NetworkLister is the optional part of Network that lists networks.
type NetworkLister interface {
	ListNetworks(ctx context.Context, p *policy.Principal) ([]*network.Network, error)
	Network(ctx context.Context, p *policy.Principal, id string) (*network.Network, error)
}

func (s *Service) networkLister() (NetworkLister, error) {
	if nl, ok := s.net.(NetworkLister); ok {
		return nl, nil
	}
	return nil, fault.NotImplementedf("Networks need the network service.")
}
