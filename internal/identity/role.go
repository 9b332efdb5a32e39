package identity

import (
	"context"
	"database/sql"
	"errors"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Role writes and implied roles as a Go API (role_http.go and
// implied_http.go decode and render). A global role may not imply a
// domain-specific one, and no role may imply admin (Keystone's
// prohibited_implied_role default).

// CreateRole stores a new role, global or of an existing domain.
func (s *Service) CreateRole(ctx context.Context, role *Role) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
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
	return err
}

// deleteRoleRows removes a role's assignments and implications, and
// takes it out of trusts and application credentials.
func deleteRoleRows(ctx context.Context, tx *sql.Tx, id string) error {
	return execAll(ctx, tx, id, "DELETE FROM identity_role_assignments WHERE role_id = $1",
		"DELETE FROM identity_implied_roles WHERE prior_role_id = $1 OR implied_role_id = $1",
		"DELETE FROM identity_trust_roles WHERE role_id = $1",
		"DELETE FROM identity_app_cred_roles WHERE role_id = $1")
}

func impliedNotFound(prior, implied string) *fault.Error {
	return fault.NotFoundf("%s does not imply %s.", prior, implied)
}

// impliedPair loads the two roles of an implication.
func (s *Service) impliedPair(ctx context.Context, q store.Querier, priorID, impliedID string) (prior, implied *Role, err error) {
	if prior, err = s.role(ctx, q, priorID); err != nil {
		return
	}
	implied, err = s.role(ctx, q, impliedID)
	return
}

// PutImpliedRole makes the prior role imply the other (again is no
// error) and returns both.
func (s *Service) PutImpliedRole(ctx context.Context, priorID, impliedID string) (prior, implied *Role, err error) {
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if prior, implied, err = s.impliedPair(ctx, tx, priorID, impliedID); err != nil {
			return err
		}
		if implied.Name == "admin" && implied.DomainID == "" {
			return fault.Forbiddenf("%s cannot be an implied roles.", implied.ID)
		}
		if prior.DomainID == "" && implied.DomainID != "" {
			return fault.Forbiddenf("%s cannot be an implied roles.", implied.ID)
		}
		return addImplication(ctx, tx, prior.ID, implied.ID)
	})
	if err != nil {
		return nil, nil, err
	}
	s.cache.clear()
	return prior, implied, nil
}

// ImpliedRole returns both roles when the prior role implies the other
// directly.
func (s *Service) ImpliedRole(ctx context.Context, priorID, impliedID string) (prior, implied *Role, err error) {
	if prior, implied, err = s.impliedPair(ctx, s.db.R(), priorID, impliedID); err != nil {
		return nil, nil, err
	}
	ok, err := hasImplication(ctx, s.db.R(), prior.ID, implied.ID)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, impliedNotFound(prior.ID, implied.ID)
	}
	return prior, implied, nil
}

// DeleteImpliedRole removes an implication; a missing one is a 404.
func (s *Service) DeleteImpliedRole(ctx context.Context, priorID, impliedID string) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		prior, implied, err := s.impliedPair(ctx, tx, priorID, impliedID)
		if err != nil {
			return err
		}
		ok, err := removeImplication(ctx, tx, prior.ID, implied.ID)
		if err != nil {
			return err
		}
		if !ok {
			return impliedNotFound(prior.ID, implied.ID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.cache.clear()
	return nil
}
