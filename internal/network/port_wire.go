package network

import (
	"encoding/json"
	"net/netip"

	"github.com/stratus-iaas/stratus/internal/fault"
)

type fixedIPWire struct {
	SubnetID  string `json:"subnet_id"`
	IPAddress string `json:"ip_address"`
}

type portWire struct {
	ID                  string          `json:"id"`
	Name                string          `json:"name"`
	NetworkID           string          `json:"network_id"`
	TenantID            string          `json:"tenant_id"`
	ProjectID           string          `json:"project_id"`
	MACAddress          string          `json:"mac_address"`
	AdminStateUp        bool            `json:"admin_state_up"`
	Status              string          `json:"status"`
	DeviceID            string          `json:"device_id"`
	DeviceOwner         string          `json:"device_owner"`
	FixedIPs            []fixedIPWire   `json:"fixed_ips"`
	AllowedAddressPairs []AddressPair   `json:"allowed_address_pairs"`
	SecurityGroups      []string        `json:"security_groups"`
	Description         string          `json:"description"`
	PortSecurityEnabled bool            `json:"port_security_enabled"`
	VNICType            string          `json:"binding:vnic_type"`
	HostID              *string         `json:"binding:host_id,omitempty"`
	Profile             json.RawMessage `json:"binding:profile,omitempty"`
	VIFType             *string         `json:"binding:vif_type,omitempty"`
	VIFDetails          json.RawMessage `json:"binding:vif_details,omitempty"`
	Tags                []string        `json:"tags"`
	CreatedAt           string          `json:"created_at"`
	UpdatedAt           string          `json:"updated_at"`
	RevisionNumber      int64           `json:"revision_number"`
}

// portToWire renders a port; the binding details other than the VNIC
// type are an admin's only, as in Neutron's policy.
func portToWire(p *PortRecord, admin bool) portWire {
	w := portWire{ID: p.ID, Name: p.Name, NetworkID: p.NetworkID, TenantID: p.ProjectID, ProjectID: p.ProjectID,
		MACAddress: p.MACAddress, AdminStateUp: p.AdminStateUp, Status: p.Status, DeviceID: p.DeviceID,
		DeviceOwner: p.DeviceOwner, FixedIPs: []fixedIPWire{}, AllowedAddressPairs: pairsOrEmpty(p.AllowedAddressPairs),
		SecurityGroups: stringsOrEmpty(p.SecurityGroups), Description: p.Description,
		PortSecurityEnabled: p.PortSecurityEnabled, VNICType: p.VNICType, Tags: tagsOrEmpty(p.Tags),
		CreatedAt: timeWire(p.CreatedAt), UpdatedAt: timeWire(p.UpdatedAt), RevisionNumber: p.Revision}
	for _, ip := range p.FixedIPs {
		w.FixedIPs = append(w.FixedIPs, fixedIPWire{ip.SubnetID, ip.IPAddress})
	}
	if admin {
		w.HostID = ptrTo(p.HostID)
		w.Profile = json.RawMessage(p.Profile)
		if p.HostID == "" {
			w.VIFType, w.VIFDetails = ptrTo("unbound"), json.RawMessage("{}")
		} else {
			w.VIFType, w.VIFDetails = ptrTo("ovs"), json.RawMessage(`{"connectivity": "l2", "port_filter": true}`)
		}
	}
	return w
}

var portAttrs = attrMap{
	"id": {}, "name": {post: true, put: true}, "network_id": {post: true, required: true},
	"admin_state_up": {post: true, put: true}, "mac_address": {post: true, put: true}, "fixed_ips": {post: true, put: true},
	"device_id": {post: true, put: true}, "device_owner": {post: true, put: true}, "status": {},
	"allowed_address_pairs": {post: true, put: true}, "security_groups": {post: true, put: true},
	"description": {post: true, put: true}, "port_security_enabled": {post: true, put: true},
	"binding:host_id": {post: true, put: true}, "binding:vnic_type": {post: true, put: true},
	"binding:profile": {post: true, put: true}, "binding:vif_type": {}, "binding:vif_details": {},
	"extra_dhcp_opts": {post: true, put: true},
	"tags":            {}, "created_at": {}, "updated_at": {}, "revision_number": {},
}

var portCollection = collection{resource: "port", plural: "ports",
	filters: keys("id", "name", "network_id", "admin_state_up", "mac_address", "fixed_ips", "device_id",
		"device_owner", "status", "security_groups", "description", "port_security_enabled", "binding:host_id",
		"binding:vnic_type", "revision_number", "created_at", "updated_at"),
	sorts: keys("id", "name", "network_id", "admin_state_up", "mac_address", "device_id", "device_owner", "status",
		"revision_number", "created_at", "updated_at")}

var vnicTypes = []string{"normal", "direct", "macvtap", "baremetal", "direct-physical", "virtio-forwarder", "smart-nic", "vdpa", "remote-managed"}

// maxAddressPairs is Neutron's max_allowed_address_pair.
const maxAddressPairs = 10

func portFromItem(it item, create bool) (PortFields, error) {
	var f PortFields
	var err error
	if f.ProjectID, err = it.project(); err != nil {
		return f, err
	}
	if create {
		id, err := it.str("network_id", 0)
		if err != nil {
			return f, err
		}
		if !isUUID(*id) {
			return f, invalidAttr("network_id", "'"+*id+"' is not a valid UUID")
		}
		f.NetworkID = *id
	}
	for _, s := range []struct {
		k   string
		max int
		dst **string
	}{{"name", nameSize, &f.Name}, {"description", descriptionSize, &f.Description}, {"device_id", deviceIDSize, &f.DeviceID},
		{"device_owner", deviceOwnerSize, &f.DeviceOwner}, {"binding:host_id", 255, &f.HostID}} {
		if *s.dst, err = it.strOrNull(s.k, s.max); err != nil {
			return f, err
		}
	}
	if f.AdminStateUp, err = it.boolean("admin_state_up"); err != nil {
		return f, err
	}
	if f.PortSecurityEnabled, err = it.boolean("port_security_enabled"); err != nil {
		return f, err
	}
	if it.has("mac_address") {
		s, err := it.str("mac_address", 0)
		if err != nil {
			return f, err
		}
		mac, ok := canonicalMAC(*s)
		if !ok {
			return f, invalidAttr("mac_address", "'"+*s+"' is not a valid MAC address")
		}
		f.MACAddress = &mac
	}
	if it.has("binding:vnic_type") {
		v, err := it.str("binding:vnic_type", 0)
		if err != nil {
			return f, err
		}
		if !containsStr(vnicTypes, *v) {
			return f, invalidAttr("binding:vnic_type", *v+" is not in "+pyValue(anyList(vnicTypes)))
		}
		f.VNICType = v
	}
	if it.has("binding:profile") {
		var m map[string]any
		if !it.isNull("binding:profile") && json.Unmarshal(it["binding:profile"], &m) != nil {
			return f, invalidAttr("binding:profile", "'"+pyStr(it["binding:profile"])+"' is not a dictionary")
		}
		f.Profile = ptrTo(toJSON(mapOrEmpty(m)))
	}
	if f.SecurityGroups, err = it.uuidList("security_groups"); err != nil {
		return f, err
	}
	if it.has("fixed_ips") {
		reqs, err := parseFixedIPs(it["fixed_ips"])
		if err != nil {
			return f, err
		}
		f.FixedIPs = &reqs
	}
	if it.has("allowed_address_pairs") {
		pairs, err := parseAddressPairs(it["allowed_address_pairs"])
		if err != nil {
			return f, err
		}
		f.AllowedAddressPairs = &pairs
	}
	if it.has("extra_dhcp_opts") && !it.isNull("extra_dhcp_opts") && string(it["extra_dhcp_opts"]) != "[]" {
		return f, notImplemented("Attribute 'extra_dhcp_opts'")
	}
	return f, nil
}

func mapOrEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func anyList(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

// parseFixedIPs is validate_fixed_ips.
func parseFixedIPs(raw json.RawMessage) ([]IPRequest, error) {
	if string(raw) == "null" {
		return []IPRequest{}, nil
	}
	var list []any
	if json.Unmarshal(raw, &list) != nil {
		return nil, invalidAttr("fixed_ips", "Invalid data format for fixed IP: '"+pyStr(raw)+"'")
	}
	out := []IPRequest{}
	var seen []string
	for _, v := range list {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, invalidAttr("fixed_ips", "Invalid data format for fixed IP: '"+pyValue(v)+"'")
		}
		var r IPRequest
		if ipv, ok := m["ip_address"]; ok {
			s, _ := ipv.(string)
			a, msg := canonicalIP(s)
			if msg != "" {
				return nil, invalidAttr("fixed_ips", msg)
			}
			if containsStr(seen, a.String()) {
				return nil, invalidAttr("fixed_ips", "Duplicate IP address '"+s+"'")
			}
			seen = append(seen, a.String())
			r.IP = a
		}
		if sv, ok := m["subnet_id"]; ok {
			s, _ := sv.(string)
			if !isUUID(s) {
				return nil, invalidAttr("fixed_ips", "'"+pyValue(sv)+"' is not a valid UUID")
			}
			r.SubnetID = s
		}
		out = append(out, r)
	}
	return out, nil
}

// parseAddressPairs is the allowed-address-pairs validator.
func parseAddressPairs(raw json.RawMessage) ([]AddressPair, error) {
	if string(raw) == "null" {
		return []AddressPair{}, nil
	}
	var list []map[string]any
	if json.Unmarshal(raw, &list) != nil {
		return nil, invalidAttr("allowed_address_pairs", "Allowed address pairs must be a list.")
	}
	if len(list) > maxAddressPairs {
		return nil, neutronErr(fault.Invalid, "AllowedAddressPairExhausted", nil, "The number of allowed address pair exceeds the maximum %d.", maxAddressPairs)
	}
	out := []AddressPair{}
	for _, m := range list {
		ipv, ok := m["ip_address"]
		if !ok {
			return nil, invalidInput2("AllowedAddressPairsMissingIP", "AllowedAddressPair must contain ip_address")
		}
		s, _ := ipv.(string)
		if _, msg := canonicalIP(s); msg != "" {
			if p, err := netip.ParsePrefix(s); err != nil || p.Masked() != p {
				return nil, invalidAttr("allowed_address_pairs", "'"+pyValue(ipv)+"' is not a valid IP address")
			}
		}
		pair := AddressPair{IPAddress: s}
		if mv, ok := m["mac_address"]; ok {
			ms, _ := mv.(string)
			mac, ok := canonicalMAC(ms)
			if !ok {
				return nil, invalidAttr("allowed_address_pairs", "'"+pyValue(mv)+"' is not a valid MAC address")
			}
			pair.MACAddress = mac
		}
		for k := range m {
			if k != "ip_address" && k != "mac_address" {
				return nil, invalidAttr("allowed_address_pairs", "Unrecognized attribute(s) '"+k+"'")
			}
		}
		for _, o := range out {
			if o == pair {
				return nil, invalidInput2("DuplicateAddressPairInRequest", "Request contains duplicate address pair: mac_address %s ip_address %s.", pair.MACAddress, pair.IPAddress)
			}
		}
		out = append(out, pair)
	}
	return out, nil
}
