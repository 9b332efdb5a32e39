package network

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// ipProtocols is neutron_lib's IP_PROTOCOL_MAP, in its order.
var ipProtocols = []struct {
	name string
	num  int
}{
	{"ah", 51}, {"dccp", 33}, {"egp", 8}, {"esp", 50}, {"gre", 47}, {"hopopt", 0}, {"icmp", 1}, {"igmp", 2},
	{"ip", 0}, {"ipip", 4}, {"ipv6-encap", 41}, {"ipv6-frag", 44}, {"ipv6-icmp", 58}, {"icmpv6", 58},
	{"ipv6-nonxt", 59}, {"ipv6-opts", 60}, {"ipv6-route", 43}, {"ospf", 89}, {"pgm", 113}, {"rsvp", 46},
	{"sctp", 132}, {"tcp", 6}, {"udp", 17}, {"udplite", 136}, {"vrrp", 112},
}

// supportedProtocols is how Neutron prints sg_supported_protocols.
func supportedProtocols() string {
	parts := []string{"None", "'any'"}
	for _, p := range ipProtocols {
		parts = append(parts, "'"+p.name+"'")
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// ConvertProtocol is Neutron's convert_protocol: "" for any, a lower-case
// name, or a number 0–255 as given.
func ConvertProtocol(v string, isNull bool) (string, error) {
	if isNull || v == "any" {
		return "", nil
	}
	bad := neutronErr(fault.Invalid, "SecurityGroupRuleInvalidProtocol", nil,
		"Security group rule protocol %s not supported. Only protocol values %s and integer representations [0 to 255] are supported.",
		v, supportedProtocols())
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 || n > 255 {
			return "", bad
		}
		return v, nil
	}
	lv := strings.ToLower(v)
	for _, p := range ipProtocols {
		if p.name == lv {
			return lv, nil
		}
	}
	return "", bad
}

// ConvertEthertype is convert_ethertype_to_case_insensitive.
func ConvertEthertype(v string) (string, error) {
	for _, e := range []string{"IPv4", "IPv6"} {
		if strings.EqualFold(e, v) {
			return e, nil
		}
	}
	return "", neutronErr(fault.Invalid, "SecurityGroupRuleInvalidEtherType", nil,
		"Security group rule for ethertype '%s' not supported. Allowed values are ['IPv4', 'IPv6'].", v)
}

// ConvertRemotePrefix is convert_ip_prefix_to_cidr: an address gets its
// full-length mask; the text is otherwise kept as given.
func ConvertRemotePrefix(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	if p, err := netip.ParsePrefix(v); err == nil {
		return p.String(), nil
	}
	if a, err := netip.ParseAddr(v); err == nil && a.Zone() == "" {
		return netip.PrefixFrom(a, a.BitLen()).String(), nil
	}
	return "", neutronErr(fault.Invalid, "InvalidCIDR", nil, "Invalid CIDR %s given as IP prefix.", v)
}

func invalidPort(v any) error {
	return neutronErr(fault.Invalid, "SecurityGroupInvalidPortValue", nil, "Invalid value for port %v", v)
}

// protoNumber is _get_ip_proto_number: -1 for any.
func protoNumber(p string) int {
	if p == "" {
		return -1
	}
	if n, err := strconv.Atoi(p); err == nil {
		return n
	}
	for _, x := range ipProtocols {
		if x.name == p {
			return x.num
		}
	}
	return -1
}

// RuleFields describe a new rule, with values already converted
// (ConvertProtocol, ConvertEthertype, ConvertRemotePrefix).
type RuleFields struct {
	ProjectID       *string
	SecurityGroupID string
	Direction       string
	Ethertype       string // "" is IPv4
	Protocol        string
	PortRangeMin    *int
	PortRangeMax    *int
	RemoteIPPrefix  string
	RemoteGroupID   string
	Description     string
}

// validateRule is Neutron's _validate_base_security_group_rule_attributes.
func validateRule(r *SecurityGroupRule) error {
	if r.Ethertype == "IPv6" {
		if r.Protocol == "icmp" || r.Protocol == "icmpv6" {
			r.Protocol = "ipv6-icmp"
		} else if r.Protocol == "1" {
			r.Protocol = "58"
		}
	}
	if r.PortRangeMin != nil && r.PortRangeMax != nil && *r.PortRangeMin == 1 && *r.PortRangeMax == 65535 {
		r.PortRangeMin, r.PortRangeMax = nil, nil
	}
	if r.PortRangeMin != nil || r.PortRangeMax != nil {
		if r.Protocol == "" {
			return invalidInput2("SecurityGroupProtocolRequiredWithPorts", "Must also specify protocol if port range is given.")
		}
		switch proto := protoNumber(r.Protocol); proto {
		case 6, 17, 33, 132, 136:
			if (r.PortRangeMin != nil && *r.PortRangeMin == 0) || (r.PortRangeMax != nil && *r.PortRangeMax == 0) {
				return invalidPort(0)
			}
			if r.PortRangeMin == nil || r.PortRangeMax == nil || *r.PortRangeMin > *r.PortRangeMax {
				return invalidInput2("SecurityGroupInvalidPortRange", "For TCP/UDP protocols, port_range_min must be <= port_range_max")
			}
		case 1, 58:
			for _, f := range []struct {
				v           *int
				attr, field string
			}{{r.PortRangeMin, "port_range_min", "type"}, {r.PortRangeMax, "port_range_max", "code"}} {
				if f.v != nil && (*f.v < 0 || *f.v > 255) {
					return invalidInput2("SecurityGroupInvalidIcmpValue", "Invalid value for ICMP %s (%s) %d. It must be 0 to 255.", f.field, f.attr, *f.v)
				}
			}
			if r.PortRangeMin == nil && r.PortRangeMax != nil {
				return invalidInput2("SecurityGroupMissingIcmpType", "ICMP code (port-range-max) %d is provided but ICMP type (port-range-min) is missing.", *r.PortRangeMax)
			}
		default:
			return invalidInput2("SecurityGroupInvalidProtocolForPort", "Ports cannot be specified for protocol %d. Ports are only supported for DCCP, SCTP, TCP, UDP, UDPLITE.", proto)
		}
	}
	if r.RemoteIPPrefix != "" {
		p, err := netip.ParsePrefix(r.RemoteIPPrefix)
		if err != nil {
			return neutronErr(fault.Invalid, "InvalidCIDR", nil, "Invalid CIDR %s given as IP prefix.", r.RemoteIPPrefix)
		}
		if r.Ethertype != fmt.Sprintf("IPv%d", addrVersion(p.Addr())) {
			return invalidInput2("SecurityGroupRuleParameterConflict", "Conflicting value ethertype %s for CIDR %s", r.Ethertype, r.RemoteIPPrefix)
		}
	}
	switch r.Protocol {
	case "ipv6-encap", "ipv6-frag", "ipv6-icmp", "icmpv6", "ipv6-nonxt", "ipv6-opts", "ipv6-route", "41", "44", "58", "59", "60", "43":
		if r.Ethertype == "IPv4" {
			return invalidInput2("SecurityGroupEthertypeConflictWithProtocol", "Invalid ethertype %s for protocol %s.", r.Ethertype, r.Protocol)
		}
	}
	if r.RemoteIPPrefix != "" && r.RemoteGroupID != "" {
		return invalidInput2("SecurityGroupMultipleRemoteEntites", "Only one of remote_ip_prefix or remote_group_id or remote_address_group_id may be provided.")
	}
	return nil
}

// invalidInput2 is an InvalidInput subclass: its own message and type.
func invalidInput2(typ, format string, args ...any) *fault.Error {
	return neutronErr(fault.Invalid, typ, nil, format, args...)
}

// ruleKey is _rule_to_key: what makes two rules duplicates.
func ruleKey(r *SecurityGroupRule) string {
	norm := func(s string) string {
		if s == "" {
			return "+"
		}
		return s
	}
	port := func(p *int) string {
		if p == nil {
			return "+"
		}
		return strconv.Itoa(*p)
	}
	prefix := r.RemoteIPPrefix
	if prefix == "0.0.0.0/0" || prefix == "::/0" {
		prefix = ""
	}
	proto := "+"
	if n := protoNumber(r.Protocol); n >= 0 {
		proto = strconv.Itoa(n)
	}
	return strings.Join([]string{r.Direction, r.Ethertype, port(r.PortRangeMax), port(r.PortRangeMin), proto,
		norm(r.RemoteGroupID), norm(prefix), r.SecurityGroupID}, "_")
}

// CreateSecurityGroupRule adds a rule to a group of p's project.
func (s *Service) CreateSecurityGroupRule(ctx context.Context, p *policy.Principal, f RuleFields) (*SecurityGroupRule, error) {
	sc := scopeOf(p)
	now := nowUTC()
	r := &SecurityGroupRule{ID: uuid.NewString(), SecurityGroupID: f.SecurityGroupID, Direction: f.Direction,
		Ethertype: f.Ethertype, Protocol: f.Protocol, PortRangeMin: f.PortRangeMin, PortRangeMax: f.PortRangeMax,
		RemoteIPPrefix: f.RemoteIPPrefix, RemoteGroupID: f.RemoteGroupID, Description: f.Description,
		CreatedAt: now, UpdatedAt: now}
	if r.Ethertype == "" {
		r.Ethertype = "IPv4"
	}
	if err := validateRule(r); err != nil {
		return nil, err
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if p != nil && p.ProjectID != "" {
			if _, err := ensureDefaultGroup(ctx, tx, p.ProjectID); err != nil {
				return err
			}
		}
		g, err := getGroup(ctx, tx, sc, r.SecurityGroupID)
		if errors.Is(err, store.ErrNotFound) {
			return securityGroupNotFound(r.SecurityGroupID)
		}
		if err != nil {
			return err
		}
		r.ProjectID = g.ProjectID
		if f.ProjectID != nil && *f.ProjectID != "" {
			if !sc.admin && *f.ProjectID != sc.project {
				return badRequest("Specifying 'project_id' or 'tenant_id' other than the authenticated project in request is not allowed for current user.")
			}
			r.ProjectID = *f.ProjectID
		}
		if !sc.owns(g.ProjectID) {
			return securityGroupNotFound(r.SecurityGroupID)
		}
		if r.RemoteGroupID != "" {
			if _, err := getGroup(ctx, tx, sc, r.RemoteGroupID); errors.Is(err, store.ErrNotFound) {
				return securityGroupNotFound(r.RemoteGroupID)
			} else if err != nil {
				return err
			}
		}
		key := ruleKey(r)
		for i := range g.Rules {
			if ruleKey(&g.Rules[i]) == key {
				return inUse("SecurityGroupRuleExists", "Security group rule already exists. Rule id is %s.", g.Rules[i].ID)
			}
		}
		if err := s.checkQuota(ctx, tx, r.ProjectID, "security_group_rule", 1); err != nil {
			return err
		}
		if err := insertRule(ctx, tx, r); err != nil {
			return err
		}
		g.Revision++
		g.UpdatedAt = now
		return updateGroupRow(ctx, tx, g)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// SecurityGroupRule returns a rule p may see.
func (s *Service) SecurityGroupRule(ctx context.Context, p *policy.Principal, id string) (*SecurityGroupRule, error) {
	r, err := getRule(ctx, s.r, scopeOf(p), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ruleNotFound(id)
	}
	return r, err
}

// ListSecurityGroupRules returns the rules p may see.
func (s *Service) ListSecurityGroupRules(ctx context.Context, p *policy.Principal) ([]*SecurityGroupRule, error) {
	if _, err := s.EnsureDefaultSecurityGroup(ctx, p); err != nil {
		return nil, err
	}
	return listRules(ctx, s.r, scopeOf(p))
}

// DeleteSecurityGroupRule deletes a rule of p's project.
func (s *Service) DeleteSecurityGroupRule(ctx context.Context, p *policy.Principal, id string) error {
	sc := scopeOf(p)
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		r, err := getRule(ctx, tx, sc, id)
		if errors.Is(err, store.ErrNotFound) {
			return ruleNotFound(id)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM security_group_rules WHERE id = $1", id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "UPDATE security_groups SET revision_number = revision_number + 1, updated_at = $2 WHERE id = $1",
			r.SecurityGroupID, store.Now())
		return err
	})
}
