package identity

import (
	"context"
	"database/sql"
	"errors"
	"net/http"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/store"
)

// --- roles ---

func (s *Service) listRoles(w http.ResponseWriter, r *http.Request) error {
	var f filter
	q := r.URL.Query()
	if v := q.Get("name"); v != "" {
		f.eq("name", v)
	}
	f.eq("domain_id", q.Get("domain_id")) // global roles unless a domain is named
	rs, err := listRoles(r.Context(), s.db.R(), f)
	if err != nil {
		return err
	}
	out := make([]map[string]any, 0, len(rs))
	for _, role := range rs {
		out = append(out, roleWire(r, role))
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"roles": out, "links": listLinks(r)})
}

func (s *Service) role(ctx context.Context, q store.Querier, id string) (*Role, error) {
	role, err := getRole(ctx, q, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("role", id)
	}
	return role, err
}

func (s *Service) getRole(w http.ResponseWriter, r *http.Request) error {
	role, err := s.role(r.Context(), s.db.R(), r.PathValue("role_id"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"role": roleWire(r, role)})
}

func applyRole(o object, role *Role, create bool) error {
	v, ok, err := o.name(create, maxName)
	if err != nil {
		return err
	} else if ok {
		role.Name = v
	}
	if v, ok, err = o.str("description"); err != nil {
		return err
	} else if ok {
		role.Description = v
	}
	return nil
}

func (s *Service) createRole(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeEntity(r, "role")
	if err != nil {
		return err
	}
	role := &Role{ID: newID()}
	if err := applyRole(o, role, true); err != nil {
		return err
	}
	if role.DomainID, _, err = o.str("domain_id"); err != nil {
		return err
	}
	ctx := r.Context()
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if role.DomainID != "" {
			if _, err := s.domain(ctx, tx, role.DomainID); err != nil {
				return err
			}
		}
		return insertRole(ctx, tx, role, s.nowMicro())
	})
	if errors.Is(err, store.ErrConflict) {
		return conflict("role", role.Name, role.DomainID)
	}
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusCreated, map[string]any{"role": roleWire(r, role)})
}

func (s *Service) updateRole(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeEntity(r, "role")
	if err != nil {
		return err
	}
	ctx := r.Context()
	var role *Role
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if role, err = s.role(ctx, tx, r.PathValue("role_id")); err != nil {
			return err
		}
		if err := applyRole(o, role, false); err != nil {
			return err
		}
		return updateRole(ctx, tx, role)
	})
	if errors.Is(err, store.ErrConflict) {
		return conflict("role", role.Name, role.DomainID)
	}
	if err != nil {
		return err
	}
	s.cache.clear()
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"role": roleWire(r, role)})
}

func (s *Service) deleteRole(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := r.PathValue("role_id")
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM identity_assignments WHERE role_id = $1", id); err != nil {
			return err
		}
		ok, err := deleteRow(ctx, tx, "identity_roles", id)
		if err == nil && !ok {
			err = notFound("role", id)
		}
		return err
	})
	if err != nil {
		return err
	}
	s.cache.clear()
	return noContent(w)
}

// --- grants: /v3/{projects|domains}/{id}/users/{user_id}/roles[/{role_id}] ---

// grantTarget reads the target of a grant route and checks it exists.
func (s *Service) grantTarget(ctx context.Context, q store.Querier, r *http.Request) (Assignment, error) {
	a := Assignment{UserID: r.PathValue("user_id"), RoleID: r.PathValue("role_id")}
	if id := r.PathValue("project_id"); id != "" {
		a.TargetType, a.TargetID = targetProject, id
		if _, err := s.project(ctx, q, id); err != nil {
			return a, err
		}
	} else {
		a.TargetType, a.TargetID = targetDomain, r.PathValue("domain_id")
		if _, err := s.domain(ctx, q, a.TargetID); err != nil {
			return a, err
		}
	}
	if _, err := s.user(ctx, q, a.UserID); err != nil {
		return a, err
	}
	if a.RoleID != "" {
		if _, err := s.role(ctx, q, a.RoleID); err != nil {
			return a, err
		}
	}
	return a, nil
}

func grantNotFound(a Assignment) *fault.Error {
	return fault.NotFoundf("Could not find role assignment with role: %s, user or group: %s, project, domain, or system: %s.",
		a.RoleID, a.UserID, a.TargetID)
}

func (s *Service) putGrant(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		a, err := s.grantTarget(ctx, tx, r)
		if err != nil {
			return err
		}
		return insertAssignment(ctx, tx, a)
	})
	if err != nil {
		return err
	}
	s.cache.clear()
	return noContent(w)
}

func (s *Service) checkGrant(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a, err := s.grantTarget(ctx, s.db.R(), r)
	if err != nil {
		return err
	}
	ok, err := hasAssignment(ctx, s.db.R(), a)
	if err != nil {
		return err
	}
	if !ok {
		return grantNotFound(a)
	}
	return noContent(w)
}

func (s *Service) deleteGrant(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		a, err := s.grantTarget(ctx, tx, r)
		if err != nil {
			return err
		}
		ok, err := deleteAssignment(ctx, tx, a)
		if err == nil && !ok {
			err = grantNotFound(a)
		}
		return err
	})
	if err != nil {
		return err
	}
	s.cache.clear()
	return noContent(w)
}

func (s *Service) listGrants(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a, err := s.grantTarget(ctx, s.db.R(), r)
	if err != nil {
		return err
	}
	roles, err := userRoles(ctx, s.db.R(), a.UserID, a.TargetType, a.TargetID)
	if err != nil {
		return err
	}
	out := make([]map[string]any, 0, len(roles))
	for _, role := range roles {
		out = append(out, roleWire(r, role))
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"roles": out, "links": listLinks(r)})
}
