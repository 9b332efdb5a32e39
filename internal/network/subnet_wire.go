package network

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
)

type subnetWire struct {
	ID              string      `json:"id"`
	Name            string      `json:"name"`
	TenantID        string      `json:"tenant_id"`
	ProjectID       string      `json:"project_id"`
	NetworkID       string      `json:"network_id"`
	IPVersion       int         `json:"ip_version"`
	SubnetpoolID    *string     `json:"subnetpool_id"`
	EnableDHCP      bool        `json:"enable_dhcp"`
	IPv6RAMode      *string     `json:"ipv6_ra_mode"`
	IPv6AddressMode *string     `json:"ipv6_address_mode"`
	GatewayIP       *string     `json:"gateway_ip"`
	CIDR            string      `json:"cidr"`
	AllocationPools []poolJSON  `json:"allocation_pools"`
	HostRoutes      []HostRoute `json:"host_routes"`
	DNSNameservers  []string    `json:"dns_nameservers"`
	Description     string      `json:"description"`
	ServiceTypes    []string    `json:"service_types"`
	Tags            []string    `json:"tags"`
	CreatedAt       string      `json:"created_at"`
	UpdatedAt       string      `json:"updated_at"`
	RevisionNumber  int64       `json:"revision_number"`
}

func optStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func subnetToWire(s *Subnet) subnetWire {
	w := subnetWire{ID: s.ID, Name: s.Name, TenantID: s.ProjectID, ProjectID: s.ProjectID, NetworkID: s.NetworkID,
		IPVersion: s.IPVersion, EnableDHCP: s.EnableDHCP, IPv6RAMode: optStr(s.IPv6RAMode),
		IPv6AddressMode: optStr(s.IPv6AddressMode), CIDR: s.CIDR.String(), AllocationPools: []poolJSON{},
		HostRoutes: routesOrEmpty(s.HostRoutes), DNSNameservers: stringsOrEmpty(s.DNSNameservers),
		Description: s.Description, ServiceTypes: []string{}, Tags: tagsOrEmpty(s.Tags),
		CreatedAt: timeWire(s.CreatedAt), UpdatedAt: timeWire(s.UpdatedAt), RevisionNumber: s.Revision}
	if s.Gateway.IsValid() {
		w.GatewayIP = ptrTo(s.Gateway.String())
	}
	for _, p := range s.Pools {
		w.AllocationPools = append(w.AllocationPools, poolJSON{p.Start.String(), p.End.String()})
	}
	return w
}

var subnetAttrs = attrMap{
	"id": {}, "name": {post: true, put: true}, "ip_version": {post: true, required: true},
	"network_id": {post: true, required: true}, "subnetpool_id": {post: true}, "prefixlen": {post: true},
	"cidr": {post: true}, "gateway_ip": {post: true, put: true}, "allocation_pools": {post: true, put: true},
	"dns_nameservers": {post: true, put: true}, "host_routes": {post: true, put: true},
	"enable_dhcp": {post: true, put: true}, "ipv6_ra_mode": {post: true}, "ipv6_address_mode": {post: true},
	"description": {post: true, put: true}, "service_types": {post: true, put: true},
	"use_default_subnetpool": {post: true}, "segment_id": {post: true, put: true},
	"tags": {}, "created_at": {}, "updated_at": {}, "revision_number": {},
}

var subnetCollection = collection{resource: "subnet", plural: "subnets",
	filters: keys("id", "name", "ip_version", "network_id", "subnetpool_id", "cidr", "gateway_ip", "enable_dhcp",
		"ipv6_ra_mode", "ipv6_address_mode", "description", "revision_number", "created_at", "updated_at"),
	sorts: keys("id", "name", "ip_version", "network_id", "subnetpool_id", "cidr", "gateway_ip", "enable_dhcp",
		"ipv6_ra_mode", "ipv6_address_mode", "revision_number", "created_at", "updated_at")}

var ipv6Modes = []string{"dhcpv6-stateful", "dhcpv6-stateless", "slaac"}

func subnetFromItem(it item, create bool) (SubnetFields, error) {
	var f SubnetFields
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
	if f.EnableDHCP, err = it.boolean("enable_dhcp"); err != nil {
		return f, err
	}
	for _, k := range []string{"subnetpool_id", "prefixlen", "segment_id"} {
		if it.has(k) && !it.isNull(k) {
			return f, notImplemented("Attribute '" + k + "' (subnet pools and segments)")
		}
	}
	if it.has("use_default_subnetpool") {
		if b, err := it.boolean("use_default_subnetpool"); err != nil {
			return f, err
		} else if *b {
			return f, notImplemented("Attribute 'use_default_subnetpool' (subnet pools)")
		}
	}
	if it.has("service_types") && string(it["service_types"]) != "[]" && !it.isNull("service_types") {
		return f, notImplemented("Attribute 'service_types'")
	}
	if create {
		if err := subnetCreateAttrs(it, &f); err != nil {
			return f, err
		}
	}
	if it.has("gateway_ip") {
		f.Gateway.Set = true
		if !it.isNull("gateway_ip") {
			if f.Gateway.Addr, _, err = it.ipAddr("gateway_ip"); err != nil {
				return f, err
			}
		}
	}
	if it.has("allocation_pools") && !it.isNull("allocation_pools") {
		pools, err := parsePools(it["allocation_pools"])
		if err != nil {
			return f, err
		}
		f.Pools = &pools
	}
	if it.has("dns_nameservers") {
		dns, err := parseNameservers(it["dns_nameservers"])
		if err != nil {
			return f, err
		}
		f.DNSNameservers = &dns
	}
	if it.has("host_routes") {
		routes, err := parseHostRoutes(it["host_routes"])
		if err != nil {
			return f, err
		}
		f.HostRoutes = &routes
	}
	return f, nil
}

func subnetCreateAttrs(it item, f *SubnetFields) error {
	v, err := it.integer("ip_version")
	if err != nil {
		return err
	}
	if *v != 4 && *v != 6 {
		return invalidAttr("ip_version", fmt.Sprintf("%d is not in [4, 6]", *v))
	}
	f.IPVersion = *v
	id, err := it.str("network_id", 0)
	if err != nil {
		return err
	}
	if !isUUID(*id) {
		return invalidAttr("network_id", "'"+*id+"' is not a valid UUID")
	}
	f.NetworkID = *id
	if it.has("cidr") && !it.isNull("cidr") {
		c, err := it.str("cidr", 0)
		if err != nil {
			return invalidAttr("cidr", "'"+pyStr(it["cidr"])+"' is not a valid IP subnet")
		}
		p, msg := parseSubnetCIDR(*c)
		if msg != "" {
			return invalidAttr("cidr", msg)
		}
		f.CIDR = p
	}
	for _, k := range []string{"ipv6_ra_mode", "ipv6_address_mode"} {
		if !it.has(k) || it.isNull(k) {
			continue
		}
		m, err := it.str(k, 0)
		if err != nil {
			return err
		}
		if !containsStr(ipv6Modes, *m) {
			return invalidAttr(k, *m+" is not in ['dhcpv6-stateful', 'dhcpv6-stateless', 'slaac']")
		}
		if k == "ipv6_ra_mode" {
			f.IPv6RAMode = m
		} else {
			f.IPv6AddressMode = m
		}
	}
	return nil
}

func parsePools(raw json.RawMessage) ([]Pool, error) {
	var list []map[string]any
	if json.Unmarshal(raw, &list) != nil {
		return nil, invalidAttr("allocation_pools", "Invalid data format for IP pool: '"+pyStr(raw)+"'")
	}
	pools := []Pool{}
	for _, m := range list {
		if len(m) != 2 || m["start"] == nil || m["end"] == nil {
			return nil, invalidAttr("allocation_pools", "Validation of dictionary's keys failed. Expected keys: {'end', 'start'} Provided keys: "+dictKeys(m))
		}
		var p Pool
		for i, k := range []string{"start", "end"} {
			s, _ := m[k].(string)
			a, msg := canonicalIP(s)
			if msg != "" {
				return nil, invalidAttr("allocation_pools", msg)
			}
			if i == 0 {
				p.Start = a
			} else {
				p.End = a
			}
		}
		pools = append(pools, p)
	}
	return pools, nil
}

func dictKeys(m map[string]any) string {
	var ks []string
	for k := range m {
		ks = append(ks, "'"+k+"'")
	}
	return "{" + strings.Join(ks, ", ") + "}"
}

func parseNameservers(raw json.RawMessage) ([]string, error) {
	if string(raw) == "null" {
		return []string{}, nil
	}
	var list []any
	if json.Unmarshal(raw, &list) != nil {
		return nil, invalidAttr("dns_nameservers", "Invalid data format for nameserver: '"+pyStr(raw)+"'")
	}
	out := []string{}
	for _, v := range list {
		s, _ := v.(string)
		if _, msg := canonicalIP(s); msg != "" {
			return nil, invalidAttr("dns_nameservers", fmt.Sprintf("'%s' is not a valid nameserver. %s", pyValue(v), msg))
		}
		if containsStr(out, s) {
			return nil, invalidAttr("dns_nameservers", "Duplicate nameserver '"+s+"'")
		}
		out = append(out, s)
	}
	return out, nil
}

func parseHostRoutes(raw json.RawMessage) ([]HostRoute, error) {
	if string(raw) == "null" {
		return []HostRoute{}, nil
	}
	var list []map[string]any
	if json.Unmarshal(raw, &list) != nil {
		return nil, invalidAttr("host_routes", "Invalid data format for hostroute: '"+pyStr(raw)+"'")
	}
	out := []HostRoute{}
	for _, m := range list {
		if len(m) != 2 || m["destination"] == nil || m["nexthop"] == nil {
			return nil, invalidAttr("host_routes", "Validation of dictionary's keys failed. Expected keys: {'destination', 'nexthop'} Provided keys: "+dictKeys(m))
		}
		dst, _ := m["destination"].(string)
		nh, _ := m["nexthop"].(string)
		p, err := netip.ParsePrefix(dst)
		if err != nil || p.Masked() != p {
			return nil, invalidAttr("host_routes", "'"+dst+"' is not a valid CIDR")
		}
		if p.Addr().IsLoopback() {
			return nil, invalidAttr("host_routes", "'"+dst+"' is not a routable CIDR")
		}
		if _, msg := canonicalIP(nh); msg != "" {
			return nil, invalidAttr("host_routes", msg)
		}
		r := HostRoute{Destination: dst, NextHop: nh}
		for _, o := range out {
			if o == r {
				return nil, invalidAttr("host_routes", "Duplicate hostroute '"+routeRepr(r)+"'")
			}
		}
		out = append(out, r)
	}
	return out, nil
}
