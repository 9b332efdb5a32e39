package identity

import (
	"context"
	"database/sql"
	"net/http"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Implied roles, as keystone/api/roles.py and role_inferences.py: a prior
// role implies others, recursively, in tokens and effective assignments.
// A global role may not imply a domain-specific one, and no role may imply
// admin (Keystone's prohibited_implied_role default).

func roleRefWire(r *http.Request, role *Role) map[string]any {
	return map[string]any{"id": role.ID, "name": role.Name, "links": selfLinks(r, "/roles/"+role.ID)}
}

func impliedNotFound(prior, implied string) *fault.Error {
	return fault.NotFoundf("%s does not imply %s.", prior, implied)
}

// impliedPair loads the two roles of an implication route.
func (s *Service) impliedPair(ctx context.Context, q store.Querier, r *http.Request) (prior, implied *Role, err error) {
	if prior, err = s.role(ctx, q, r.PathValue("role_id")); err != nil {
		return
	}
	implied, err = s.role(ctx, q, r.PathValue("implied_role_id"))
	return
}

func (s *Service) impliedWire(r *http.Request, prior, implied *Role) map[string]any {
	return map[string]any{
		"role_inference": map[string]any{"prior_role": roleRefWire(r, prior), "implies": roleRefWire(r, implied)},
		"links":          selfLinks(r, "/roles/"+prior.ID+"/implies/"+implied.ID),
	}
}

func (s *Service) putImpliedRole(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	var prior, implied *Role
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if prior, implied, err = s.impliedPair(ctx, tx, r); err != nil {
			return err
		}
		if implied.Name == "admin" && implied.DomainID == "" {
			return fault.Forbiddenf("%s cannot be an implied roles.", implied.ID)
		}
		if prior.DomainID == "" && implied.DomainID != "" {
			return fault.Forbiddenf("%s cannot be an implied roles.", implied.ID)
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO identity_implied_roles (prior_role_id, implied_role_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", prior.ID, implied.ID)
		return err
	})
	if err != nil {
		return err
	}
	s.cache.clear()
	return httpapi.WriteJSON(w, http.StatusCreated, s.impliedWire(r, prior, implied))
}

func (s *Service) hasImplication(ctx context.Context, q store.Querier, prior, implied string) (bool, error) {
	n, err := countRows(ctx, q, "SELECT COUNT(*) FROM identity_implied_roles WHERE prior_role_id = $1 AND implied_role_id = $2", prior, implied)
	return n > 0, err
}

func (s *Service) getImpliedRole(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	prior, implied, err := s.impliedPair(ctx, s.db.R(), r)
	if err != nil {
		return err
	}
	ok, err := s.hasImplication(ctx, s.db.R(), prior.ID, implied.ID)
	if err != nil {
		return err
	}
	if !ok {
		return impliedNotFound(prior.ID, implied.ID)
	}
	if r.Method == http.MethodHead {
		return noContent(w)
	}
	return httpapi.WriteJSON(w, http.StatusOK, s.impliedWire(r, prior, implied))
}

func (s *Service) deleteImpliedRole(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		prior, implied, err := s.impliedPair(ctx, tx, r)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM identity_implied_roles WHERE prior_role_id = $1 AND implied_role_id = $2", prior.ID, implied.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return impliedNotFound(prior.ID, implied.ID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.cache.clear()
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
