package network

import (
	"time"
)

// timeWire is Neutron's timestamp format (seconds, UTC, Z).
func timeWire(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

type networkWire struct {
	ID                    string   `json:"id"`
	Name                  string   `json:"name"`
	TenantID              string   `json:"tenant_id"`
	ProjectID             string   `json:"project_id"`
	AdminStateUp          bool     `json:"admin_state_up"`
	MTU                   int      `json:"mtu"`
	Status                string   `json:"status"`
	Subnets               []string `json:"subnets"`
	Shared                bool     `json:"shared"`
	RouterExternal        bool     `json:"router:external"`
	Description           string   `json:"description"`
	PortSecurityEnabled   bool     `json:"port_security_enabled"`
	AvailabilityZoneHints []string `json:"availability_zone_hints"`
	AvailabilityZones     []string `json:"availability_zones"`
	IPv4AddressScope      *string  `json:"ipv4_address_scope"`
	IPv6AddressScope      *string  `json:"ipv6_address_scope"`
	L2Adjacency           bool     `json:"l2_adjacency"`
	Tags                  []string `json:"tags"`
	CreatedAt             string   `json:"created_at"`
	UpdatedAt             string   `json:"updated_at"`
	RevisionNumber        int64    `json:"revision_number"`
}

func networkToWire(n *Network) networkWire {
	subs := n.Subnets
	if subs == nil {
		subs = []string{}
	}
	return networkWire{ID: n.ID, Name: n.Name, TenantID: n.ProjectID, ProjectID: n.ProjectID, AdminStateUp: n.AdminStateUp,
		MTU: n.MTU, Status: n.Status, Subnets: subs, Shared: n.Shared, RouterExternal: n.External,
		Description: n.Description, PortSecurityEnabled: n.PortSecurityEnabled, AvailabilityZoneHints: []string{},
		AvailabilityZones: []string{}, L2Adjacency: true, Tags: tagsOrEmpty(n.Tags), CreatedAt: timeWire(n.CreatedAt),
		UpdatedAt: timeWire(n.UpdatedAt), RevisionNumber: n.Revision}
}

var networkAttrs = attrMap{
	"id": {}, "name": {post: true, put: true}, "admin_state_up": {post: true, put: true}, "status": {},
	"subnets": {}, "shared": {post: true, put: true}, "router:external": {post: true, put: true},
	"mtu": {post: true, put: true}, "description": {post: true, put: true}, "port_security_enabled": {post: true, put: true},
	"availability_zone_hints": {}, "availability_zones": {}, "ipv4_address_scope": {}, "ipv6_address_scope": {},
	"l2_adjacency": {}, "tags": {}, "created_at": {}, "updated_at": {}, "revision_number": {},
}

var networkCollection = collection{resource: "network", plural: "networks",
	filters: keys("id", "name", "admin_state_up", "status", "shared", "router:external", "mtu", "description",
		"port_security_enabled", "revision_number", "subnets", "created_at", "updated_at"),
	sorts: keys("id", "name", "admin_state_up", "status", "shared", "router:external", "mtu", "revision_number",
		"created_at", "updated_at")}

func networkFromItem(it item) (NetworkFields, error) {
	var f NetworkFields
	var err error
	if f.ProjectID, err = it.project(); err != nil {
		return f, err
	}
	if f.Name, err = it.str("name", nameSize); err != nil {
		return f, err
	}
	if f.Description, err = it.str("description", descriptionSize); err != nil {
		return f, err
	}
	if f.AdminStateUp, err = it.boolean("admin_state_up"); err != nil {
		return f, err
	}
	if f.Shared, err = it.boolean("shared"); err != nil {
		return f, err
	}
	if f.External, err = it.boolean("router:external"); err != nil {
		return f, err
	}
	if f.PortSecurityEnabled, err = it.boolean("port_security_enabled"); err != nil {
		return f, err
	}
	if f.MTU, err = it.integer("mtu"); err != nil {
		return f, err
	}
	if f.MTU != nil && *f.MTU < 0 {
		return f, invalidAttr("mtu", "'"+pyStr(it["mtu"])+"' should be non-negative")
	}
	return f, nil
}
