package identity

import (
	"context"
	"net/http"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/store"
)

// --- roles ---

func (s *Service) listRoles(w http.ResponseWriter, r *http.Request) error {
	var f filter
	if !r.URL.Query().Has("domain_id") {
		f.eq("domain_id", "") // global roles unless a domain is named
	}
	return roleKind.listed(w, r, s.db.R(), f)
}

var roleKind = &entity[Role]{
	name: "role", param: "role_id", table: "identity_roles",
	fetch: getRole, list: listRoles, apply: applyRole, save: updateRole, wire: roleWire,
	conflict: func(role *Role) error { return conflict("role", role.Name, role.DomainID) },
	filters:  []string{"name", "domain_id"},
}

// roleFields are the attributes Keystone models; others are extra.
var roleFields = map[string]bool{"id": true, "name": true, "domain_id": true, "description": true, "links": true, "options": true}

func (s *Service) role(ctx context.Context, q store.Querier, id string) (*Role, error) {
	return roleKind.load(ctx, q, id)
}

func applyRole(o object, role *Role, create bool) error {
	if err := o.common(create, maxName, &role.Name, &role.Description, nil); err != nil {
		return err
	}
	if !create {
		if _, present := o["domain_id"]; present {
			if d, _, _ := o.str("domain_id"); d != role.DomainID {
				return fault.Invalidf("Update of `domain_id` is not allowed.")
			}
		}
	}
	o.extra(role.Extra, roleFields)
	return nil
}

func (s *Service) createRole(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeEntity(r, "role")
	if err != nil {
		return err
	}
	role := &Role{ID: newID(), Extra: map[string]any{}}
	if err := applyRole(o, role, true); err != nil {
		return err
	}
	if role.DomainID, _, err = o.str("domain_id"); err != nil {
		return err
	}
	if err := s.CreateRole(r.Context(), role); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusCreated, map[string]any{"role": roleWire(r, role)})
}
