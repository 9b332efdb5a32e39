package network

import (
	"net/netip"
	"time"
)

// Network is a Neutron network.
type Network struct {
	ID                  string
	ProjectID           string
	Name                string
	Description         string
	AdminStateUp        bool
	Status              string
	Shared              bool
	External            bool // router:external
	MTU                 int
	PortSecurityEnabled bool
	AutoAllocated       bool     // made by BindPorts for Nova's "auto"
	Subnets             []string // ids, in creation order
	Tags                []string
	Revision            int64
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// Pool is an allocation pool of a subnet, both ends included.
type Pool struct{ Start, End netip.Addr }

// HostRoute is a route a subnet's DHCP hands out.
type HostRoute struct {
	Destination string `json:"destination"`
	NextHop     string `json:"nexthop"`
}

// Subnet is a Neutron subnet.
type Subnet struct {
	ID              string
	ProjectID       string
	NetworkID       string
	Name            string
	Description     string
	IPVersion       int
	CIDR            netip.Prefix
	Gateway         netip.Addr // invalid: no gateway
	EnableDHCP      bool
	IPv6RAMode      string
	IPv6AddressMode string
	Pools           []Pool
	DNSNameservers  []string
	HostRoutes      []HostRoute
	Tags            []string
	Revision        int64
	CreatedAt       time.Time
	UpdatedAt       time.Time
	nextIP          string // allocation hint
}

// slaac reports whether addresses on s come from the MAC (EUI-64).
func (s *Subnet) slaac() bool {
	return s.IPVersion == 6 && (s.IPv6AddressMode == "slaac" || s.IPv6AddressMode == "dhcpv6-stateless")
}

// AddressPair is an allowed address pair of a port.
type AddressPair struct {
	IPAddress  string `json:"ip_address"`
	MACAddress string `json:"mac_address"`
}

// PortRecord is a Neutron port with every attribute stratus keeps. (Port
// is the summary the compute service reads.)
type PortRecord struct {
	ID                  string
	ProjectID           string
	NetworkID           string
	Name                string
	Description         string
	MACAddress          string
	AdminStateUp        bool
	Status              string
	DeviceID            string
	DeviceOwner         string
	HostID              string // binding:host_id
	VNICType            string // binding:vnic_type
	Profile             string // binding:profile, JSON object
	PortSecurityEnabled bool
	FixedIPs            []FixedIP
	SecurityGroups      []string // ids
	AllowedAddressPairs []AddressPair
	ServerOwned         bool // created by BindPorts: deleted by UnbindPorts
	Tags                []string
	Revision            int64
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// SecurityGroup is a Neutron security group with its rules.
type SecurityGroup struct {
	ID          string
	ProjectID   string
	Name        string
	Description string
	Stateful    bool
	Rules       []SecurityGroupRule
	Tags        []string
	Revision    int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// SecurityGroupRule is one rule. Nil pointers and empty strings are
// Neutron's nulls.
type SecurityGroupRule struct {
	ID              string
	ProjectID       string
	SecurityGroupID string
	Direction       string // ingress, egress
	Ethertype       string // IPv4, IPv6
	Protocol        string // "" is any
	PortRangeMin    *int
	PortRangeMax    *int
	RemoteIPPrefix  string
	RemoteGroupID   string
	Description     string
	Revision        int64
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Router is a Neutron router. Its interfaces and gateway are ports.
type Router struct {
	ID           string
	ProjectID    string
	Name         string
	Description  string
	AdminStateUp bool
	Status       string
	GatewayNetID string // "" without a gateway
	EnableSNAT   bool
	GatewayIPs   []FixedIP // of the gateway port, filled on read
	Routes       []HostRoute
	Tags         []string
	Revision     int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// FloatingIP is a floating IP record.
type FloatingIP struct {
	ID                string
	ProjectID         string
	FloatingNetworkID string
	FloatingIPAddress string
	FloatingPortID    string
	PortID            string
	FixedIPAddress    string
	RouterID          string
	Status            string
	Description       string
	Tags              []string
	Revision          int64
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// Device owners Neutron and Nova use.
const (
	OwnerRouterInterface = "network:router_interface"
	OwnerRouterGateway   = "network:router_gateway"
	OwnerFloatingIP      = "network:floatingip"
	OwnerDHCP            = "network:dhcp"
	ownerComputePrefix   = "compute:"
)

// Statuses.
const (
	StatusActive = "ACTIVE"
	StatusDown   = "DOWN"
)
