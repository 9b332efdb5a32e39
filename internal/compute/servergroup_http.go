package compute

import (
	"net/http"
	"strconv"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// os-server-groups on the wire; the groups are in servergroup.go.

func groupView(r *http.Request, g *ServerGroup) map[string]any {
	v := map[string]any{"id": g.ID, "name": g.Name, "members": g.Members}
	if atLeast(r, 64) {
		v["policy"], v["rules"] = g.Policy, g.Rules
	} else {
		v["policies"], v["metadata"] = []string{g.Policy}, map[string]string{}
	}
	if atLeast(r, 13) {
		v["project_id"], v["user_id"] = g.ProjectID, g.UserID
	}
	return v
}

func (s *Service) listServerGroups(w http.ResponseWriter, r *http.Request) error {
	_, all := r.URL.Query()["all_projects"]
	gs, err := s.ServerGroups(r.Context(), principal(r), all)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	off, _ := strconv.Atoi(q.Get("offset"))
	limit, _, err := page(r)
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for i, g := range gs {
		if i >= off && len(out) < limit {
			out = append(out, groupView(r, g))
		}
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"server_groups": out})
}

// serverGroupRequest reads POST /os-server-groups: policies (one) before
// 2.64, policy and rules from 2.64.
func serverGroupRequest(r *http.Request) (*ServerGroup, error) {
	_, m, err := body(r, "server_group")
	if err != nil {
		return nil, err
	}
	g := &ServerGroup{}
	allowed := []string{"name", "policies", "availability_zone"}
	need := []string{"name", "policies"}
	if atLeast(r, 64) {
		allowed, need = []string{"name", "policy", "rules", "availability_zone"}, []string{"name", "policy"}
	}
	if err := required("server_group", m, need...); err != nil {
		return nil, err
	}
	if err := only("server_group", m, allowed...); err != nil {
		return nil, err
	}
	if g.Name, _, err = str(m, "name"); err != nil {
		return nil, err
	}
	if err := name("name", g.Name); err != nil {
		return nil, err
	}
	if g.Zone, _, err = str(m, "availability_zone"); err != nil {
		return nil, err
	}
	valid := []string{"anti-affinity", "affinity"}
	if atLeast(r, 15) {
		valid = append(valid, "soft-anti-affinity", "soft-affinity")
	}
	if atLeast(r, 64) {
		if g.Policy, _, err = str(m, "policy"); err != nil {
			return nil, err
		}
		if !contains(valid, g.Policy) {
			return nil, schemaErr("policy", g.Policy, pyRepr(g.Policy)+" is not one of "+pyRepr(anySlice(valid)))
		}
		if v, ok := m["rules"]; ok {
			if g.Rules, err = parseGroupRules(v); err != nil {
				return nil, err
			}
			if g.Policy != "anti-affinity" && len(g.Rules) > 0 {
				return nil, fault.Invalidf("Only anti-affinity policy supports rules.")
			}
		}
	} else {
		pols, ok := m["policies"].([]any)
		if !ok || len(pols) != 1 {
			return nil, schemaErr("policies", m["policies"], pyRepr(m["policies"])+" is not valid under any of the given schemas")
		}
		ps, ok := pols[0].(string)
		if !ok || !contains(valid, ps) {
			return nil, schemaErr("policies", pols[0], pyRepr(pols[0])+" is not one of "+pyRepr(anySlice(valid)))
		}
		g.Policy = ps
	}
	return g, nil
}

func (s *Service) createServerGroupHTTP(w http.ResponseWriter, r *http.Request) error {
	g, err := serverGroupRequest(r)
	if err != nil {
		return err
	}
	if err := s.createServerGroup(r.Context(), principal(r), g); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"server_group": groupView(r, g)})
}

func parseGroupRules(v any) (map[string]int, error) {
	m, err := object("rules", v)
	if err != nil {
		return nil, err
	}
	if err := only("rules", m, "max_server_per_host"); err != nil {
		return nil, err
	}
	out := map[string]int{}
	if _, ok := m["max_server_per_host"]; ok {
		n, err := intField(m, "max_server_per_host", 1, 1)
		if err != nil {
			return nil, err
		}
		out["max_server_per_host"] = int(n)
	}
	return out, nil
}

func (s *Service) getServerGroup(w http.ResponseWriter, r *http.Request) error {
	g, err := s.ServerGroup(r.Context(), s.r, principal(r), r.PathValue("group_id"))
	if err != nil {
		return err
	}
	body := map[string]any{"server_group": groupView(r, g)}
	if g.Zone != "" {
		body["availability_zone"] = g.Zone // K5 1.2.6.54 puts it beside server_group
	}
	return httpapi.WriteJSON(w, http.StatusOK, body)
}

func (s *Service) deleteServerGroup(w http.ResponseWriter, r *http.Request) error {
	if err := s.DeleteServerGroup(r.Context(), principal(r), r.PathValue("group_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
