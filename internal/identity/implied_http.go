package identity

import (
	"net/http"

	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// Implied roles, as keystone/api/roles.py and role_inferences.py: a prior
// role implies others, recursively, in tokens and effective assignments
// (role.go holds the rules).

func roleRefWire(r *http.Request, role *Role) map[string]any {
	return map[string]any{"id": role.ID, "name": role.Name, "links": selfLinks(r, "/roles/"+role.ID)}
}

func (s *Service) impliedWire(r *http.Request, prior, implied *Role) map[string]any {
	return map[string]any{
		"role_inference": map[string]any{"prior_role": roleRefWire(r, prior), "implies": roleRefWire(r, implied)},
		"links":          selfLinks(r, "/roles/"+prior.ID+"/implies/"+implied.ID),
	}
}

func (s *Service) putImpliedRole(w http.ResponseWriter, r *http.Request) error {
	prior, implied, err := s.PutImpliedRole(r.Context(), r.PathValue("role_id"), r.PathValue("implied_role_id"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusCreated, s.impliedWire(r, prior, implied))
}

func (s *Service) getImpliedRole(w http.ResponseWriter, r *http.Request) error {
	prior, implied, err := s.ImpliedRole(r.Context(), r.PathValue("role_id"), r.PathValue("implied_role_id"))
	if err != nil {
		return err
	}
	if r.Method == http.MethodHead {
		return noContent(w)
	}
	return httpapi.WriteJSON(w, http.StatusOK, s.impliedWire(r, prior, implied))
}

func (s *Service) deleteImpliedRole(w http.ResponseWriter, r *http.Request) error {
	if err := s.DeleteImpliedRole(r.Context(), r.PathValue("role_id"), r.PathValue("implied_role_id")); err != nil {
		return err
	}
	return noContent(w)
}

// listImpliedRoles is GET /v3/roles/{prior_role_id}/implies: the direct
// implications of one role.
func (s *Service) listImpliedRoles(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := s.db.R()
	prior, err := s.role(ctx, q, r.PathValue("role_id"))
	if err != nil {
		return err
	}
	rules, err := implications(ctx, q)
	if err != nil {
		return err
	}
	roles, err := rolesByID(ctx, q, rules[prior.ID])
	if err != nil {
		return err
	}
	implies := []map[string]any{}
	for _, role := range roles {
		implies = append(implies, roleRefWire(r, role))
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{
		"role_inference": map[string]any{"prior_role": roleRefWire(r, prior), "implies": implies},
		"links":          selfLinks(r, "/roles/"+prior.ID+"/implies"),
	})
}

// listRoleInferences is GET /v3/role_inferences: every rule, by prior role.
func (s *Service) listRoleInferences(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := s.db.R()
	rules, err := implications(ctx, q)
	if err != nil {
		return err
	}
	var ids []string
	for p, is := range rules {
		ids = append(ids, p)
		ids = append(ids, is...)
	}
	roles, err := rolesByID(ctx, q, ids)
	if err != nil {
		return err
	}
	byID := map[string]*Role{}
	for _, role := range roles {
		byID[role.ID] = role
	}
	out := []map[string]any{}
	for _, role := range roles { // by name, as rolesByID orders them
		if len(rules[role.ID]) == 0 {
			continue
		}
		implies := []map[string]any{}
		for _, id := range rules[role.ID] {
			if ir := byID[id]; ir != nil {
				implies = append(implies, roleRefWire(r, ir))
			}
		}
		out = append(out, map[string]any{"prior_role": roleRefWire(r, role), "implies": implies})
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"role_inferences": out, "links": listLinks(r)})
}
