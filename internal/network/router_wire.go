package network

import (
	"encoding/json"
)

type gatewayWire struct {
	NetworkID        string        `json:"network_id"`
	EnableSNAT       bool          `json:"enable_snat"`
	ExternalFixedIPs []fixedIPWire `json:"external_fixed_ips"`
}

type routerWire struct {
	ID                    string       `json:"id"`
	Name                  string       `json:"name"`
	TenantID              string       `json:"tenant_id"`
	ProjectID             string       `json:"project_id"`
	AdminStateUp          bool         `json:"admin_state_up"`
	Status                string       `json:"status"`
	ExternalGatewayInfo   *gatewayWire `json:"external_gateway_info"`
	Description           string       `json:"description"`
	Routes                []HostRoute  `json:"routes"`
	AvailabilityZoneHints []string     `json:"availability_zone_hints"`
	AvailabilityZones     []string     `json:"availability_zones"`
	Tags                  []string     `json:"tags"`
	CreatedAt             string       `json:"created_at"`
	UpdatedAt             string       `json:"updated_at"`
	RevisionNumber        int64        `json:"revision_number"`
}

func routerToWire(r *Router) routerWire {
	w := routerWire{ID: r.ID, Name: r.Name, TenantID: r.ProjectID, ProjectID: r.ProjectID, AdminStateUp: r.AdminStateUp,
		Status: r.Status, Description: r.Description, Routes: routesOrEmpty(r.Routes), AvailabilityZoneHints: []string{},
		AvailabilityZones: []string{}, Tags: tagsOrEmpty(r.Tags), CreatedAt: timeWire(r.CreatedAt),
		UpdatedAt: timeWire(r.UpdatedAt), RevisionNumber: r.Revision}
	if r.GatewayNetID != "" {
		g := &gatewayWire{NetworkID: r.GatewayNetID, EnableSNAT: r.EnableSNAT, ExternalFixedIPs: []fixedIPWire{}}
		for _, ip := range r.GatewayIPs {
			g.ExternalFixedIPs = append(g.ExternalFixedIPs, fixedIPWire{ip.SubnetID, ip.IPAddress})
		}
		w.ExternalGatewayInfo = g
	}
	return w
}

var routerAttrs = attrMap{
	"id": {}, "name": {post: true, put: true}, "admin_state_up": {post: true, put: true}, "status": {},
	"external_gateway_info": {post: true, put: true}, "description": {post: true, put: true}, "routes": {put: true},
	"availability_zone_hints": {}, "availability_zones": {}, "tags": {}, "created_at": {}, "updated_at": {},
	"revision_number": {},
}

var routerCollection = collection{resource: "router", plural: "routers",
	filters: keys("id", "name", "admin_state_up", "status", "description", "revision_number", "created_at", "updated_at"),
	sorts:   keys("id", "name", "admin_state_up", "status", "revision_number", "created_at", "updated_at")}

func routerFromItem(it item) (RouterFields, error) {
	var f RouterFields
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
	if it.has("routes") {
		routes, err := parseHostRoutes(it["routes"])
		if err != nil {
			return f, err
		}
		f.Routes = &routes
	}
	if !it.has("external_gateway_info") {
		return f, nil
	}
	if it.isNull("external_gateway_info") {
		f.ClearGateway = true
		return f, nil
	}
	var gw item
	if json.Unmarshal(it["external_gateway_info"], &gw) != nil {
		return f, invalidAttr("external_gateway_info", "'"+pyStr(it["external_gateway_info"])+"' is not a dictionary")
	}
	if len(gw) == 0 || !gw.has("network_id") {
		if len(gw) > 0 {
			return f, invalidAttr("external_gateway_info", "Validation of dictionary's keys failed. Expected keys: {'network_id'}")
		}
		f.ClearGateway = true
		return f, nil
	}
	for k := range gw {
		if k != "network_id" && k != "enable_snat" && k != "external_fixed_ips" {
			return f, invalidAttr("external_gateway_info", "Unrecognized attribute(s) '"+k+"'")
		}
	}
	id, err := gw.str("network_id", 0)
	if err != nil {
		return f, err
	}
	if !isUUID(*id) {
		return f, invalidAttr("external_gateway_info", "'"+*id+"' is not a valid UUID")
	}
	g := &GatewayFields{NetworkID: *id}
	if g.EnableSNAT, err = gw.boolean("enable_snat"); err != nil {
		return f, err
	}
	if gw.has("external_fixed_ips") {
		reqs, err := parseFixedIPs(gw["external_fixed_ips"])
		if err != nil {
			return f, err
		}
		g.FixedIPs = &reqs
	}
	f.Gateway = g
	return f, nil
}

type interfaceWire struct {
	ID        string   `json:"id"`
	TenantID  string   `json:"tenant_id"`
	ProjectID string   `json:"project_id"`
	PortID    string   `json:"port_id"`
	NetworkID string   `json:"network_id"`
	SubnetID  string   `json:"subnet_id"`
	SubnetIDs []string `json:"subnet_ids"`
}

func interfaceToWire(ri *RouterInterface) interfaceWire {
	return interfaceWire{ID: ri.RouterID, TenantID: ri.ProjectID, ProjectID: ri.ProjectID, PortID: ri.PortID,
		NetworkID: ri.NetworkID, SubnetID: ri.SubnetID, SubnetIDs: stringsOrEmpty(ri.SubnetIDs)}
}
