package identity

import (
	"context"
	"database/sql"
	"errors"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Domain writes (domain_http.go and project_http.go decode and render).

// CreateDomain stores a new domain with its tags; a duplicate name or id
// is Keystone's conflict.
func (s *Service) CreateDomain(ctx context.Context, d *Domain) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := insertDomain(ctx, tx, d, s.nowMicro()); err != nil {
			return err
		}
		return setProjectTags(ctx, tx, d.ID, d.Tags)
	})
	if errors.Is(err, store.ErrConflict) {
		return domainConflict(d)
	}
	return err
}

// saveDomain stores a changed domain and its tags.
func saveDomain(ctx context.Context, q store.Querier, d *Domain) error {
	if err := updateDomain(ctx, q, d); err != nil {
		return err
	}
	return setProjectTags(ctx, q, d.ID, d.Tags)
}

// UpdateDomain reads domain id, lets change alter it and saves it, in one
// transaction.
func (s *Service) UpdateDomain(ctx context.Context, id string, change func(*Domain) error) (*Domain, error) {
	var d *Domain
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if d, err = s.domain(ctx, tx, id); err != nil {
			return err
		}
		if err := change(d); err != nil {
			return err
		}
		return saveDomain(ctx, tx, d)
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, domainConflict(d)
	}
	if err != nil {
		return nil, err
	}
	s.cache.clear()
	return d, nil
}

// deleteDomainRows refuses an enabled domain and removes everything in it.
func (s *Service) deleteDomainRows(ctx context.Context, tx *sql.Tx, id string) error {
	d, err := s.domain(ctx, tx, id)
	if err != nil {
		return err
	}
	if d.Enabled {
		return fault.Forbiddenf("Cannot delete a domain that is enabled, please disable it first.")
	}
	const users = "SELECT id FROM identity_users WHERE domain_id = $1"
	const projects = "SELECT id FROM identity_projects WHERE domain_id = $1"
	const groups = "SELECT id FROM identity_groups WHERE domain_id = $1"
	return execAll(ctx, tx, id,
		"DELETE FROM identity_role_assignments WHERE target_type = 'domain' AND target_id = $1",
		"DELETE FROM identity_role_assignments WHERE target_type = 'project' AND target_id IN ("+projects+")",
		"DELETE FROM identity_role_assignments WHERE actor_type = 'user' AND actor_id IN ("+users+")",
		"DELETE FROM identity_role_assignments WHERE actor_type = 'group' AND actor_id IN ("+groups+")",
		"DELETE FROM identity_role_assignments WHERE role_id IN (SELECT id FROM identity_roles WHERE domain_id = $1)",
		"DELETE FROM identity_implied_roles WHERE prior_role_id IN (SELECT id FROM identity_roles WHERE domain_id = $1) OR implied_role_id IN (SELECT id FROM identity_roles WHERE domain_id = $1)",
		"DELETE FROM identity_group_members WHERE group_id IN ("+groups+") OR user_id IN ("+users+")",
		"DELETE FROM identity_credentials WHERE user_id IN ("+users+") OR project_id IN ("+projects+")",
		"DELETE FROM identity_app_cred_roles WHERE app_cred_id IN (SELECT id FROM identity_app_creds WHERE user_id IN ("+users+") OR project_id IN ("+projects+"))",
		"DELETE FROM identity_app_cred_access_rules WHERE app_cred_id IN (SELECT id FROM identity_app_creds WHERE user_id IN ("+users+") OR project_id IN ("+projects+"))",
		"DELETE FROM identity_app_creds WHERE user_id IN ("+users+") OR project_id IN ("+projects+")",
		"DELETE FROM identity_access_rules WHERE user_id IN ("+users+")",
		"UPDATE identity_trusts SET deleted_at = 1 WHERE deleted_at = 0 AND (trustor_user_id IN ("+users+") OR trustee_user_id IN ("+users+") OR project_id IN ("+projects+"))",
		"DELETE FROM identity_limits WHERE domain_id = $1 OR project_id IN ("+projects+")",
		"DELETE FROM identity_project_tags WHERE project_id = $1 OR project_id IN ("+projects+")",
		"DELETE FROM identity_projects WHERE domain_id = $1",
		"DELETE FROM identity_users WHERE domain_id = $1",
		"DELETE FROM identity_groups WHERE domain_id = $1",
		"DELETE FROM identity_roles WHERE domain_id = $1",
	)
}
