package network

import (
	"context"
	"net/http"
)

func (s *Service) createGroupHTTP(w http.ResponseWriter, r *http.Request) error {
	items, bulk, err := decodeCreate(r, "security_group")
	if err != nil {
		return err
	}
	p := principal(r)
	return createMany(w, r, groupCollection, items, bulk, func(it item) (any, string, error) {
		if err := groupAttrs.check(it, true); err != nil {
			return nil, "", err
		}
		f, err := groupFromItem(it)
		if err != nil {
			return nil, "", err
		}
		g, err := s.CreateSecurityGroup(r.Context(), p, f)
		if err != nil {
			return nil, "", err
		}
		return groupToWire(g), g.ID, nil
	}, func(ctx context.Context, id string) error { return s.DeleteSecurityGroup(ctx, p, id) })
}

func (s *Service) listGroupsHTTP(w http.ResponseWriter, r *http.Request) error {
	groups, err := s.ListSecurityGroups(r.Context(), principal(r))
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(groups))
	for i, g := range groups {
		items[i] = toMap(groupToWire(g))
	}
	return writeList(w, r, groupCollection, items)
}

func (s *Service) getGroupHTTP(w http.ResponseWriter, r *http.Request) error {
	g, err := s.SecurityGroup(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeOne(w, r, http.StatusOK, "security_group", groupToWire(g))
}

func (s *Service) updateGroupHTTP(w http.ResponseWriter, r *http.Request) error {
	it, err := decodeUpdate(r, "security_group", groupAttrs)
	if err != nil {
		return err
	}
	f, err := groupFromItem(it)
	if err != nil {
		return err
	}
	g, err := s.UpdateSecurityGroup(r.Context(), principal(r), r.PathValue("id"), f)
	if err != nil {
		return err
	}
	return writeOne(w, r, http.StatusOK, "security_group", groupToWire(g))
}

func (s *Service) deleteGroupHTTP(w http.ResponseWriter, r *http.Request) error {
	if err := s.DeleteSecurityGroup(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) createRuleHTTP(w http.ResponseWriter, r *http.Request) error {
	items, bulk, err := decodeCreate(r, "security_group_rule")
	if err != nil {
		return err
	}
	p := principal(r)
	return createMany(w, r, ruleCollection, items, bulk, func(it item) (any, string, error) {
		if err := ruleAttrs.check(it, true); err != nil {
			return nil, "", err
		}
		f, err := ruleFromItem(it)
		if err != nil {
			return nil, "", err
		}
		rule, err := s.CreateSecurityGroupRule(r.Context(), p, f)
		if err != nil {
			return nil, "", err
		}
		return ruleToWire(rule), rule.ID, nil
	}, func(ctx context.Context, id string) error { return s.DeleteSecurityGroupRule(ctx, p, id) })
}

func (s *Service) listRulesHTTP(w http.ResponseWriter, r *http.Request) error {
	rules, err := s.ListSecurityGroupRules(r.Context(), principal(r))
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(rules))
	for i, rule := range rules {
		items[i] = toMap(ruleToWire(rule))
	}
	return writeList(w, r, ruleCollection, items)
}

func (s *Service) getRuleHTTP(w http.ResponseWriter, r *http.Request) error {
	rule, err := s.SecurityGroupRule(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeOne(w, r, http.StatusOK, "security_group_rule", ruleToWire(rule))
}

func (s *Service) deleteRuleHTTP(w http.ResponseWriter, r *http.Request) error {
	if err := s.DeleteSecurityGroupRule(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
