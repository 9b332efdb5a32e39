package identity

import (
	"context"
	"database/sql"
	"errors"
	"net/http"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Domains. In Keystone a domain is a project acting as a domain
// (is_domain); here domains have their own table and the projects API
// shows them as such projects (project_http.go).

func (s *Service) listDomains(w http.ResponseWriter, r *http.Request) error {
	return domainKind.listed(w, r, s.db.R(), filter{})
}

var domainKind = &entity[Domain]{
	name: "domain", param: "domain_id", table: "identity_domains",
	fetch: getDomain, list: listDomains, apply: applyDomain, save: saveDomain, wire: domainWire,
	conflict: func(d *Domain) error { return conflict("domain", d.Name, "") },
	filters:  []string{"name", "enabled"},
	more: func(ctx context.Context, q store.Querier, d *Domain) (err error) {
		d.Tags, err = projectTags(ctx, q, d.ID)
		return
	},
}

func (s *Service) domain(ctx context.Context, q store.Querier, id string) (*Domain, error) {
	return domainKind.load(ctx, q, id)
}

// domainFields are the attributes Keystone models; others are extra.
var domainFields = map[string]bool{"id": true, "name": true, "description": true, "enabled": true, "links": true,
	"tags": true, "options": true, "explicit_domain_id": true}

func applyDomain(o object, d *Domain, create bool) error {
	if err := o.common(create, maxProjectName, &d.Name, &d.Description, &d.Enabled); err != nil {
		return err
	}
	if err := o.tags(&d.Tags); err != nil {
		return err
	}
	o.extra(d.Extra, domainFields)
	return nil
}

func saveDomain(ctx context.Context, q store.Querier, d *Domain) error {
	if err := updateDomain(ctx, q, d); err != nil {
		return err
	}
	return setProjectTags(ctx, q, d.ID, d.Tags)
}

func (s *Service) createDomain(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeEntity(r, "domain")
	if err != nil {
		return err
	}
	d, err := s.newDomain(r.Context(), o)
	if err != nil {
		return err
	}
	return domainKind.respond(w, r, http.StatusCreated, d)
}

// newDomain creates a domain from a request body (of POST /v3/domains, or
// of POST /v3/projects with is_domain).
func (s *Service) newDomain(ctx context.Context, o object) (*Domain, error) {
	d := &Domain{ID: newID(), Enabled: true, Extra: map[string]any{}}
	if err := applyDomain(o, d, true); err != nil {
		return nil, err
	}
	if id, ok, _ := o.str("explicit_domain_id"); ok && id != "" {
		d.ID = id
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := insertDomain(ctx, tx, d, s.nowMicro()); err != nil {
			return err
		}
		return setProjectTags(ctx, tx, d.ID, d.Tags)
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, domainConflict(d)
	}
	return d, err
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
