package network

import (
	"encoding/json"
	"fmt"
	"strings"
)

// filterItems keeps the items matching every filter key; several values
// of one key are alternatives (Neutron's IN). Tag filters and the port
// fixed_ips filter have their own grammar.
func filterItems(items []map[string]any, filters [][2]string) ([]map[string]any, error) {
	if len(filters) == 0 {
		return items, nil
	}
	byKey := map[string][]string{}
	var order []string
	for _, kv := range filters {
		k := kv[0]
		if k == "tenant_id" {
			k = "project_id"
		}
		if _, ok := byKey[k]; !ok {
			order = append(order, k)
		}
		byKey[k] = append(byKey[k], kv[1])
	}
	var out []map[string]any
	for _, m := range items {
		ok := true
		for _, k := range order {
			match, err := matches(m, k, byKey[k])
			if err != nil {
				return nil, err
			}
			if !match {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, m)
		}
	}
	return out, nil
}

func matches(m map[string]any, key string, values []string) (bool, error) {
	switch key {
	case "tags", "tags-any", "not-tags", "not-tags-any":
		return matchTags(m, key, values), nil
	case "fixed_ips":
		return matchFixedIPs(m, values)
	}
	v, present := m[key]
	if !present {
		return false, nil
	}
	for _, want := range values {
		ok, err := valueMatches(v, want)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

func valueMatches(v any, want string) (bool, error) {
	switch x := v.(type) {
	case nil:
		return false, nil
	case bool:
		b, err := filterBool(want)
		return err == nil && b == x, err
	case json.Number:
		return x.String() == strings.TrimSpace(want), nil
	case string:
		return x == want, nil
	case []any:
		for _, e := range x {
			if ok, err := valueMatches(e, want); ok || err != nil {
				return ok, err
			}
		}
		return false, nil
	}
	return fmt.Sprint(v) == want, nil
}

func filterBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, invalidInput("'%s' cannot be converted to boolean", s)
}

func itemTags(m map[string]any) map[string]bool {
	out := map[string]bool{}
	if list, ok := m["tags"].([]any); ok {
		for _, t := range list {
			out[fmt.Sprint(t)] = true
		}
	}
	return out
}

// matchTags: tags (all of), tags-any (one of), not-tags (not all of),
// not-tags-any (none of); each value is a comma-separated list.
func matchTags(m map[string]any, key string, values []string) bool {
	have := itemTags(m)
	var want []string
	for _, v := range values {
		for _, t := range strings.Split(v, ",") {
			if t != "" {
				want = append(want, t)
			}
		}
	}
	all, any := true, false
	for _, t := range want {
		if have[t] {
			any = true
		} else {
			all = false
		}
	}
	switch key {
	case "tags":
		return all
	case "tags-any":
		return any
	case "not-tags":
		return !all
	}
	return !any
}

// matchFixedIPs is Neutron's port filter fixed_ips=ip_address=A,
// fixed_ips=subnet_id=S, fixed_ips=ip_address_substr=X: one address of
// the port meets every kind given.
func matchFixedIPs(m map[string]any, values []string) (bool, error) {
	conds := map[string][]string{}
	for _, v := range values {
		k, val, ok := strings.Cut(v, "=")
		if !ok || (k != "ip_address" && k != "subnet_id" && k != "ip_address_substr") {
			return false, invalidInput("Invalid data format for fixed IP: '%s'", v)
		}
		conds[k] = append(conds[k], val)
	}
	list, _ := m["fixed_ips"].([]any)
	for _, e := range list {
		ip, _ := e.(map[string]any)
		addr, _ := ip["ip_address"].(string)
		sub, _ := ip["subnet_id"].(string)
		if len(conds["ip_address"]) > 0 && !containsStr(conds["ip_address"], addr) {
			continue
		}
		if len(conds["subnet_id"]) > 0 && !containsStr(conds["subnet_id"], sub) {
			continue
		}
		ok := len(conds["ip_address_substr"]) == 0
		for _, s := range conds["ip_address_substr"] {
			if strings.Contains(addr, s) {
				ok = true
			}
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}
