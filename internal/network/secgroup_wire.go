package network

import (
	"encoding/json"
	"net/netip"
	"strconv"

	"github.com/stratus-iaas/stratus/internal/fault"
)

type ruleWire struct {
	ID                   string  `json:"id"`
	TenantID             string  `json:"tenant_id"`
	ProjectID            string  `json:"project_id"`
	SecurityGroupID      string  `json:"security_group_id"`
	Direction            string  `json:"direction"`
	Ethertype            string  `json:"ethertype"`
	Protocol             *string `json:"protocol"`
	PortRangeMin         *int    `json:"port_range_min"`
	PortRangeMax         *int    `json:"port_range_max"`
	RemoteIPPrefix       *string `json:"remote_ip_prefix"`
	RemoteGroupID        *string `json:"remote_group_id"`
	RemoteAddressGroupID *string `json:"remote_address_group_id"`
	NormalizedCIDR       *string `json:"normalized_cidr"`
	Description          string  `json:"description"`
	CreatedAt            string  `json:"created_at"`
	UpdatedAt            string  `json:"updated_at"`
	RevisionNumber       int64   `json:"revision_number"`
}

func ruleToWire(r *SecurityGroupRule) ruleWire {
	w := ruleWire{ID: r.ID, TenantID: r.ProjectID, ProjectID: r.ProjectID, SecurityGroupID: r.SecurityGroupID,
		Direction: r.Direction, Ethertype: r.Ethertype, Protocol: optStr(r.Protocol), PortRangeMin: r.PortRangeMin,
		PortRangeMax: r.PortRangeMax, RemoteIPPrefix: optStr(r.RemoteIPPrefix), RemoteGroupID: optStr(r.RemoteGroupID),
		Description: r.Description, CreatedAt: timeWire(r.CreatedAt), UpdatedAt: timeWire(r.UpdatedAt),
		RevisionNumber: r.Revision}
	if p, err := netip.ParsePrefix(r.RemoteIPPrefix); err == nil {
		w.NormalizedCIDR = ptrTo(p.Masked().String())
	}
	return w
}

type groupWire struct {
	ID                 string     `json:"id"`
	Name               string     `json:"name"`
	TenantID           string     `json:"tenant_id"`
	ProjectID          string     `json:"project_id"`
	Description        string     `json:"description"`
	Stateful           bool       `json:"stateful"`
	SecurityGroupRules []ruleWire `json:"security_group_rules"`
	Tags               []string   `json:"tags"`
	CreatedAt          string     `json:"created_at"`
	UpdatedAt          string     `json:"updated_at"`
	RevisionNumber     int64      `json:"revision_number"`
}

func groupToWire(g *SecurityGroup) groupWire {
	w := groupWire{ID: g.ID, Name: g.Name, TenantID: g.ProjectID, ProjectID: g.ProjectID, Description: g.Description,
		Stateful: g.Stateful, SecurityGroupRules: []ruleWire{}, Tags: tagsOrEmpty(g.Tags),
		CreatedAt: timeWire(g.CreatedAt), UpdatedAt: timeWire(g.UpdatedAt), RevisionNumber: g.Revision}
	for i := range g.Rules {
		w.SecurityGroupRules = append(w.SecurityGroupRules, ruleToWire(&g.Rules[i]))
	}
	return w
}

var groupAttrs = attrMap{
	"id": {}, "name": {post: true, put: true}, "description": {post: true, put: true},
	"stateful": {post: true, put: true}, "security_group_rules": {}, "tags": {}, "created_at": {},
	"updated_at": {}, "revision_number": {},
}

var groupCollection = collection{resource: "security_group", plural: "security_groups",
	filters: keys("id", "name", "description", "stateful", "revision_number", "created_at", "updated_at"),
	sorts:   keys("id", "name", "stateful", "revision_number", "created_at", "updated_at")}

var ruleAttrs = attrMap{
	"id": {}, "security_group_id": {post: true, required: true}, "remote_group_id": {post: true},
	"direction": {post: true, required: true}, "protocol": {post: true}, "port_range_min": {post: true},
	"port_range_max": {post: true}, "ethertype": {post: true}, "remote_ip_prefix": {post: true},
	"remote_address_group_id": {post: true}, "description": {post: true}, "normalized_cidr": {},
	"created_at": {}, "updated_at": {}, "revision_number": {},
}

var ruleCollection = collection{resource: "security_group_rule", plural: "security_group_rules",
	filters: keys("id", "security_group_id", "remote_group_id", "direction", "protocol", "port_range_min",
		"port_range_max", "ethertype", "remote_ip_prefix", "description", "revision_number", "created_at", "updated_at"),
	sorts: keys("id", "security_group_id", "remote_group_id", "direction", "protocol", "port_range_min",
		"port_range_max", "ethertype", "remote_ip_prefix", "revision_number", "created_at", "updated_at")}

func groupFromItem(it item) (SecurityGroupFields, error) {
	var f SecurityGroupFields
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
	f.Stateful, err = it.boolean("stateful")
	return f, err
}

// portValue is convert_validate_port_value: null, or 0–65535.
func portValue(it item, k string) (*int, error) {
	raw, ok := it[k]
	if !ok || string(raw) == "null" {
		return nil, nil
	}
	var v any
	json.Unmarshal(raw, &v)
	var n int
	switch x := v.(type) {
	case float64:
		if x != float64(int(x)) {
			return nil, invalidPort(pyValue(v))
		}
		n = int(x)
	case string:
		var err error
		if n, err = strconv.Atoi(x); err != nil {
			return nil, invalidPort(x)
		}
	default:
		return nil, invalidPort(pyValue(v))
	}
	if n < 0 || n > 65535 {
		return nil, invalidPort(n)
	}
	return &n, nil
}

func ruleFromItem(it item) (RuleFields, error) {
	var f RuleFields
	var err error
	if f.ProjectID, err = it.project(); err != nil {
		return f, err
	}
	id, err := it.str("security_group_id", 36)
	if err != nil {
		return f, err
	}
	f.SecurityGroupID = *id
	dir, err := it.str("direction", 0)
	if err != nil {
		return f, err
	}
	if *dir != "ingress" && *dir != "egress" {
		return f, invalidAttr("direction", *dir+" is not in ['ingress', 'egress']")
	}
	f.Direction = *dir
	if it.has("protocol") {
		var proto string
		isNull := it.isNull("protocol")
		if !isNull {
			var v any
			json.Unmarshal(it["protocol"], &v)
			proto = pyValue(v)
			if _, ok := v.(float64); !ok {
				if _, ok := v.(string); !ok {
					return f, invalidInput2("SecurityGroupRuleInvalidProtocol", "Security group rule protocol %s not supported. Only protocol values %s and integer representations [0 to 255] are supported.", proto, supportedProtocols())
				}
			}
		}
		if f.Protocol, err = ConvertProtocol(proto, isNull); err != nil {
			return f, err
		}
	}
	if f.PortRangeMin, err = portValue(it, "port_range_min"); err != nil {
		return f, err
	}
	if f.PortRangeMax, err = portValue(it, "port_range_max"); err != nil {
		return f, err
	}
	f.Ethertype = "IPv4"
	if it.has("ethertype") {
		e, err := it.str("ethertype", 0)
		if err != nil {
			return f, neutronErr(fault.Invalid, "SecurityGroupRuleInvalidEtherType", nil, "Security group rule for ethertype '%s' not supported. Allowed values are ['IPv4', 'IPv6'].", pyStr(it["ethertype"]))
		}
		if f.Ethertype, err = ConvertEthertype(*e); err != nil {
			return f, err
		}
	}
	if it.has("remote_ip_prefix") && !it.isNull("remote_ip_prefix") {
		s, err := it.str("remote_ip_prefix", 0)
		if err != nil {
			return f, err
		}
		if f.RemoteIPPrefix, err = ConvertRemotePrefix(*s); err != nil {
			return f, err
		}
	}
	if it.has("remote_group_id") && !it.isNull("remote_group_id") {
		s, err := it.str("remote_group_id", 0)
		if err != nil {
			return f, err
		}
		f.RemoteGroupID = *s
	}
	if it.has("remote_address_group_id") && !it.isNull("remote_address_group_id") {
		return f, notImplemented("Attribute 'remote_address_group_id' (address groups)")
	}
	if d, err := it.str("description", descriptionSize); err != nil {
		return f, err
	} else if d != nil {
		f.Description = *d
	}
	return f, nil
}
