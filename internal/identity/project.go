package identity

import (
	"context"
	"database/sql"
	"errors"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Project writes (project_http.go decodes and renders them): hierarchies
// (a top-level project's parent is its domain), tags, and domains reached
// through the projects API.

// principalDomain is where new projects, users and groups go when the
// request names no domain: the caller's domain or project domain, as in
// Keystone.
func principalDomain(p *policy.Principal) string {
	if p != nil {
		if p.DomainID != "" {
			return p.DomainID
		}
		if p.ProjectDomain != "" {
			return p.ProjectDomain
		}
	}
	return DefaultDomainID
}

func saveProject(ctx context.Context, q store.Querier, p *Project) error {
	if err := updateProject(ctx, q, p); err != nil {
		return err
	}
	return setProjectTags(ctx, q, p.ID, p.Tags)
}

// CreateProject stores p under parentID ("" or the domain: top level). A
// project naming no domain goes to its parent's, else to the caller's.
func (s *Service) CreateProject(ctx context.Context, caller *policy.Principal, p *Project, parentID string) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if p.DomainID == "" && parentID != "" {
			// The parent's domain, as Keystone does.
			if pp, err := getProject(ctx, tx, parentID); err == nil {
				p.DomainID = pp.DomainID
			}
		}
		if p.DomainID == "" {
			p.DomainID = principalDomain(caller)
		}
		if _, err := s.domain(ctx, tx, p.DomainID); err != nil {
			return err
		}
		p.ParentID = p.DomainID
		if parentID != "" && parentID != p.DomainID {
			pp, err := s.project(ctx, tx, parentID)
			if err != nil {
				return err
			}
			if pp.DomainID != p.DomainID {
				return fault.Invalidf("Cannot create project, since it specifies its domain_id %s, but specifies a parent in a different domain (%s).", p.DomainID, pp.DomainID)
			}
			if err := assertBranchEnabled(ctx, tx, pp); err != nil {
				return err
			}
			p.ParentID = parentID
		}
		if err := insertProject(ctx, tx, p, s.nowMicro()); err != nil {
			return err
		}
		return setProjectTags(ctx, tx, p.ID, p.Tags)
	})
	if errors.Is(err, store.ErrConflict) {
		return projectConflict(p)
	}
	return err
}

// assertBranchEnabled refuses a new child under a disabled project.
func assertBranchEnabled(ctx context.Context, q store.Querier, parent *Project) error {
	ids, err := projectAncestors(ctx, q, parent)
	if err != nil {
		return err
	}
	for _, id := range append([]string{parent.ID}, ids...) {
		p, err := getProject(ctx, q, id)
		if err != nil {
			return err
		}
		if !p.Enabled {
			return fault.Invalidf("cannot create a project in a branch containing a disabled project: %s", p.ID)
		}
	}
	return nil
}

// UpdateProject reads project id, lets change alter it and saves it, in
// one transaction: a project is disabled only with its subtree disabled,
// enabled only under enabled parents.
func (s *Service) UpdateProject(ctx context.Context, id string, change func(*Project) error) (*Project, error) {
	var p *Project
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if p, err = s.project(ctx, tx, id); err != nil {
			return err
		}
		wasEnabled := p.Enabled
		if err := change(p); err != nil {
			return err
		}
		if wasEnabled && !p.Enabled {
			sub, err := projectSubtree(ctx, tx, p.ID)
			if err != nil {
				return err
			}
			for _, c := range sub {
				if cp, err := getProject(ctx, tx, c); err == nil && cp.Enabled {
					return fault.Forbiddenf("Cannot disable project %s since its subtree contains enabled projects.", p.ID)
				}
			}
		}
		if !wasEnabled && p.Enabled && p.ParentID != p.DomainID {
			if pp, err := getProject(ctx, tx, p.ParentID); err == nil {
				if err := assertBranchEnabled(ctx, tx, pp); err != nil {
					return fault.Forbiddenf("Cannot enable project %s since it has disabled parents", p.ID)
				}
			}
		}
		return saveProject(ctx, tx, p)
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, conflict("project", p.Name, p.DomainID)
	}
	if err != nil {
		return nil, err
	}
	s.cache.clear()
	return p, nil
}

// domainNotProject reports whether id names a domain and no project: the
// projects API then acts on the domain.
func (s *Service) domainNotProject(ctx context.Context, id string) bool {
	if _, err := getProject(ctx, s.db.R(), id); errors.Is(err, store.ErrNotFound) {
		if _, derr := getDomain(ctx, s.db.R(), id); derr == nil {
			return true
		}
	}
	return false
}

// DeleteProject deletes a leaf project, or a disabled domain named by its
// id.
func (s *Service) DeleteProject(ctx context.Context, id string) error {
	if s.domainNotProject(ctx, id) {
		return domainKind.delete(ctx, s, id, s.deleteDomainRows)
	}
	return projectKind.delete(ctx, s, id, deleteProjectRows)
}

// deleteProjectRows refuses a project with children and removes what
// refers to it.
func deleteProjectRows(ctx context.Context, tx *sql.Tx, id string) error {
	n, err := countRows(ctx, tx, "SELECT COUNT(*) FROM identity_projects WHERE parent_id = $1", id)
	if err != nil {
		return err
	}
	if n > 0 {
		return fault.Forbiddenf("Cannot delete the project %s since it is not a leaf in the hierarchy. Use the cascade option if you want to delete a whole subtree.", id)
	}
	return execAll(ctx, tx, id, "DELETE FROM identity_role_assignments WHERE target_type = 'project' AND target_id = $1",
		"DELETE FROM identity_credentials WHERE project_id = $1",
		"DELETE FROM identity_project_tags WHERE project_id = $1",
		"DELETE FROM identity_app_cred_roles WHERE app_cred_id IN (SELECT id FROM identity_app_creds WHERE project_id = $1)",
		"DELETE FROM identity_app_cred_access_rules WHERE app_cred_id IN (SELECT id FROM identity_app_creds WHERE project_id = $1)",
		"DELETE FROM identity_app_creds WHERE project_id = $1",
		"DELETE FROM identity_project_endpoints WHERE project_id = $1",
		"DELETE FROM identity_project_endpoint_groups WHERE project_id = $1",
		"DELETE FROM identity_limits WHERE project_id = $1",
		"UPDATE identity_trusts SET deleted_at = 1 WHERE deleted_at = 0 AND project_id = $1")
}
