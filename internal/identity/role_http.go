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
	return roleKind.listed(w, r, s.db.R(), f)
}

var roleKind = &entity[Role]{
	name: "role", param: "role_id", table: "identity_roles",
	fetch: getRole, list: listRoles, apply: applyRole, save: updateRole, wire: roleWire,
	conflict: func(role *Role) error { return conflict("role", role.Name, role.DomainID) },
}

func (s *Service) role(ctx context.Context, q store.Querier, id string) (*Role, error) {
	return roleKind.load(ctx, q, id)
}

func applyRole(o object, role *Role, create bool) error {
	return o.common(create, maxName, &role.Name, &role.Description, nil)
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

// deleteRoleRows removes a role's assignments.
func deleteRoleRows(ctx context.Context, tx *sql.Tx, id string) error {
	return execAll(ctx, tx, id, "DELETE FROM identity_assignments WHERE role_id = $1")
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
