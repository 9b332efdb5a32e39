package compute

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/network"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// SecGroupAPI is the network service's security group API, which Nova's
// os-security-groups proxies (up to microversion 2.35).
type SecGroupAPI interface {
	ListSecurityGroups(ctx context.Context, p *policy.Principal) ([]*network.SecurityGroup, error)
	SecurityGroup(ctx context.Context, p *policy.Principal, id string) (*network.SecurityGroup, error)
	CreateSecurityGroup(ctx context.Context, p *policy.Principal, f network.SecurityGroupFields) (*network.SecurityGroup, error)
	UpdateSecurityGroup(ctx context.Context, p *policy.Principal, id string, f network.SecurityGroupFields) (*network.SecurityGroup, error)
	DeleteSecurityGroup(ctx context.Context, p *policy.Principal, id string) error
	CreateSecurityGroupRule(ctx context.Context, p *policy.Principal, f network.RuleFields) (*network.SecurityGroupRule, error)
	DeleteSecurityGroupRule(ctx context.Context, p *policy.Principal, id string) error
}

func (s *Service) sgAPI() (SecGroupAPI, error) {
	if api, ok := s.net.(SecGroupAPI); ok {
		return api, nil
	}
	return nil, fault.NotImplementedf("Security groups need the network service.")
}

// novaRule is Nova's view of a Neutron rule (ingress rules only, as Nova
// shows them).
func novaRule(rule network.SecurityGroupRule, names map[string]*network.SecurityGroup) map[string]any {
	v := map[string]any{"id": rule.ID, "parent_group_id": rule.SecurityGroupID, "group": map[string]any{}, "ip_range": map[string]any{}}
	if rule.Protocol == "" {
		v["ip_protocol"] = nil
	} else {
		v["ip_protocol"] = rule.Protocol
	}
	from, to := any(nil), any(nil)
	if rule.PortRangeMin != nil {
		from = *rule.PortRangeMin
	}
	if rule.PortRangeMax != nil {
		to = *rule.PortRangeMax
	}
	switch {
	case rule.Protocol == "icmp" && from == nil:
		from, to = -1, -1
	case (rule.Protocol == "tcp" || rule.Protocol == "udp") && from == nil:
		from, to = 1, 65535
	}
	v["from_port"], v["to_port"] = from, to
	if rule.RemoteGroupID != "" {
		g := map[string]any{}
		if sg := names[rule.RemoteGroupID]; sg != nil {
			g["name"], g["tenant_id"] = sg.Name, sg.ProjectID
		}
		v["group"] = g
	} else {
		cidr := rule.RemoteIPPrefix
		if cidr == "" {
			cidr = "0.0.0.0/0"
			if rule.Ethertype == "IPv6" {
				cidr = "::/0"
			}
		}
		v["ip_range"] = map[string]any{"cidr": cidr}
	}
	return v
}

func novaGroup(sg *network.SecurityGroup, names map[string]*network.SecurityGroup) map[string]any {
	rules := []map[string]any{}
	for _, r := range sg.Rules {
		if r.Direction == "ingress" {
			rules = append(rules, novaRule(r, names))
		}
	}
	return map[string]any{"id": sg.ID, "name": sg.Name, "description": sg.Description, "tenant_id": sg.ProjectID, "rules": rules}
}

func (s *Service) groupsByID(ctx context.Context, api SecGroupAPI, p *policy.Principal) (map[string]*network.SecurityGroup, []*network.SecurityGroup, error) {
	list, err := api.ListSecurityGroups(ctx, p)
	if err != nil {
		return nil, nil, err
	}
	m := map[string]*network.SecurityGroup{}
	for _, g := range list {
		m[g.ID] = g
	}
	return m, list, nil
}

func (s *Service) listSecGroups(w http.ResponseWriter, r *http.Request) error {
	api, err := s.sgAPI()
	if err != nil {
		return err
	}
	p := principal(r)
	names, list, err := s.groupsByID(r.Context(), api, p)
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, g := range list {
		if g.ProjectID == p.ProjectID || p.IsAdmin() {
			out = append(out, novaGroup(g, names))
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i]["tenant_id"] != out[j]["tenant_id"] {
			return out[i]["tenant_id"].(string) < out[j]["tenant_id"].(string)
		}
		return out[i]["name"].(string) < out[j]["name"].(string)
	})
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"security_groups": out})
}

// sgErr words a network error as Nova's proxy does: a missing group is 404
// "Security group <id> not found.", other refusals 400.
func sgErr(err error, id string) error {
	switch fault.KindOf(err) {
	case fault.NotFound:
		return fault.NotFoundf("Security group %s not found.", id)
	case fault.Invalid, fault.Conflict:
		return fault.Invalidf("%s", faultMessage(err))
	}
	return err
}

func (s *Service) showSecGroup(w http.ResponseWriter, r *http.Request) error {
	api, err := s.sgAPI()
	if err != nil {
		return err
	}
	id := r.PathValue("group_id")
	sg, err := api.SecurityGroup(r.Context(), principal(r), id)
	if err != nil {
		return sgErr(err, id)
	}
	names, _, _ := s.groupsByID(r.Context(), api, principal(r))
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"security_group": novaGroup(sg, names)})
}

// secGroupBody reads {"security_group": {"name", "description"}}.
func secGroupBody(r *http.Request) (network.SecurityGroupFields, error) {
	var f network.SecurityGroupFields
	_, m, err := body(r, "security_group")
	if err != nil {
		return f, err
	}
	if err := required("security_group", m, "name", "description"); err != nil {
		return f, err
	}
	n, _, err := str(m, "name")
	if err != nil {
		return f, err
	}
	d, _, err := str(m, "description")
	if err != nil {
		return f, err
	}
	if strings.TrimSpace(n) == "" || len(n) > 255 {
		return f, fault.Invalidf("Security group name should not be empty or longer than 255 characters.")
	}
	if len(d) > 255 {
		return f, fault.Invalidf("Security group description is longer than 255 characters.")
	}
	return network.SecurityGroupFields{Name: &n, Description: &d}, nil
}

func (s *Service) createSecGroup(w http.ResponseWriter, r *http.Request) error {
	api, err := s.sgAPI()
	if err != nil {
		return err
	}
	f, err := secGroupBody(r)
	if err != nil {
		return err
	}
	sg, err := api.CreateSecurityGroup(r.Context(), principal(r), f)
	if err != nil {
		if fault.KindOf(err) == fault.Forbidden || fault.KindOf(err) == fault.OverLimit {
			return fault.Forbiddenf("Quota exceeded, too many security groups.")
		}
		return sgErr(err, "")
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"security_group": novaGroup(sg, nil)})
}

func (s *Service) updateSecGroup(w http.ResponseWriter, r *http.Request) error {
	api, err := s.sgAPI()
	if err != nil {
		return err
	}
	f, err := secGroupBody(r)
	if err != nil {
		return err
	}
	id := r.PathValue("group_id")
	sg, err := api.UpdateSecurityGroup(r.Context(), principal(r), id, f)
	if err != nil {
		return sgErr(err, id)
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"security_group": novaGroup(sg, nil)})
}

func (s *Service) deleteSecGroup(w http.ResponseWriter, r *http.Request) error {
	api, err := s.sgAPI()
	if err != nil {
		return err
	}
	id := r.PathValue("group_id")
	if err := api.DeleteSecurityGroup(r.Context(), principal(r), id); err != nil {
		return sgErr(err, id)
	}
	return accepted(w)
}

func portArg(m map[string]any, key string) (*int, error) {
	v, ok := m[key]
	if !ok || v == nil {
		return nil, nil
	}
	var s string
	switch t := v.(type) {
	case json.Number:
		s = t.String()
	case string:
		s = t
	default:
		return nil, fault.Invalidf("Invalid port range %s:%s. %s must be an integer.", pyRepr(m["from_port"]), pyRepr(m["to_port"]), key)
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return nil, fault.Invalidf("Invalid port range %s:%s. %s must be an integer.", pyRepr(m["from_port"]), pyRepr(m["to_port"]), key)
	}
	return &n, nil
}

func (s *Service) createSecGroupRule(w http.ResponseWriter, r *http.Request) error {
	api, err := s.sgAPI()
	if err != nil {
		return err
	}
	_, m, err := body(r, "security_group_rule")
	if err != nil {
		return err
	}
	if err := required("security_group_rule", m, "parent_group_id"); err != nil {
		return err
	}
	parent, _, _ := str(m, "parent_group_id")
	p := principal(r)
	// Nova checks the groups (ids, then existence) before the rule.
	if !isUUID(parent) {
		return fault.Invalidf("Security group id should be uuid")
	}
	if _, err := api.SecurityGroup(r.Context(), p, parent); err != nil {
		return sgErr(err, parent)
	}
	if gid, ok := m["group_id"]; ok && gid != nil {
		g, _ := gid.(string)
		if !isUUID(g) {
			return fault.Invalidf("Security group id should be uuid")
		}
		if _, err := api.SecurityGroup(r.Context(), p, g); err != nil {
			return sgErr(err, g)
		}
	}
	f := network.RuleFields{SecurityGroupID: parent, Direction: "ingress", Ethertype: "IPv4"}
	f.Protocol, _, _ = str(m, "ip_protocol")
	f.Protocol = strings.ToLower(f.Protocol)
	f.RemoteIPPrefix, _, _ = str(m, "cidr")
	f.RemoteGroupID, _, _ = str(m, "group_id")
	if strings.Contains(f.RemoteIPPrefix, ":") {
		f.Ethertype = "IPv6"
	}
	if f.PortRangeMin, err = portArg(m, "from_port"); err != nil {
		return err
	}
	if f.PortRangeMax, err = portArg(m, "to_port"); err != nil {
		return err
	}
	if f.Protocol == "icmp" && f.PortRangeMin != nil && *f.PortRangeMin == -1 {
		f.PortRangeMin, f.PortRangeMax = nil, nil
	}
	if f.Protocol == "" && f.RemoteGroupID == "" && f.RemoteIPPrefix == "" && f.PortRangeMin == nil {
		return fault.Invalidf("Not enough parameters to build a valid rule.")
	}
	if err := checkRulePorts(f.Protocol, f.PortRangeMin, f.PortRangeMax); err != nil {
		return err
	}
	rule, err := api.CreateSecurityGroupRule(r.Context(), p, f)
	if err != nil {
		return sgErr(err, parent)
	}
	names, _, _ := s.groupsByID(r.Context(), api, p)
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"security_group_rule": novaRule(*rule, names)})
}

func (s *Service) deleteSecGroupRule(w http.ResponseWriter, r *http.Request) error {
	api, err := s.sgAPI()
	if err != nil {
		return err
	}
	id := r.PathValue("rule_id")
	if err := api.DeleteSecurityGroupRule(r.Context(), principal(r), id); err != nil {
		if fault.KindOf(err) == fault.NotFound {
			return fault.NotFoundf("Rule (%s) not found", id)
		}
		return err
	}
	return accepted(w)
}

// serverSecGroups is GET /servers/{id}/os-security-groups.
func (s *Service) serverSecGroups(w http.ResponseWriter, r *http.Request) error {
	sv, err := s.Server(r.Context(), principal(r), r.PathValue("server_id"))
	if err != nil {
		return err
	}
	api, err := s.sgAPI()
	if err != nil {
		return err
	}
	sgs, ok := s.net.(SecurityGroups)
	if !ok {
		return fault.NotImplementedf("Security groups need the network service.")
	}
	bound, err := sgs.ServerSecurityGroups(r.Context(), sv.ID)
	if err != nil {
		return err
	}
	names, list, err := s.groupsByID(r.Context(), api, ownerOf(sv))
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, g := range list {
		if g.ProjectID == sv.ProjectID && (contains(bound, g.Name) || contains(bound, g.ID)) {
			out = append(out, novaGroup(g, names))
		}
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"security_groups": out})
}

// checkRulePorts is Nova's port range check of a proxied rule.
func checkRulePorts(proto string, from, to *int) error {
	str := func(p *int) string {
		if p == nil {
			return "None"
		}
		return strconv.Itoa(*p)
	}
	bad := func(msg string) error {
		return fault.Invalidf("Invalid port range %s:%s. %s", str(from), str(to), msg)
	}
	switch proto {
	case "tcp", "udp":
		if from == nil || to == nil {
			return nil
		}
		if *from > *to {
			return bad("Former value cannot be greater than the later")
		}
		if *from < 1 || *from > 65535 || *to < 1 || *to > 65535 {
			return bad("Valid " + strings.ToUpper(proto) + " ports should be between 1-65535")
		}
	case "icmp":
		for _, p := range []*int{from, to} {
			if p != nil && (*p < -1 || *p > 255) {
				return bad("For ICMP, the type:code must be valid")
			}
		}
	case "":
	default:
		return fault.Invalidf("Invalid IP protocol %s.", proto)
	}
	return nil
}
