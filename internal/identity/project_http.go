package identity

import (
	"context"
	"database/sql"
	"errors"
	"net/http"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// --- domains ---

func (s *Service) listDomains(w http.ResponseWriter, r *http.Request) error {
	var f filter
	q := r.URL.Query()
	if v := q.Get("name"); v != "" {
		f.eq("name", v)
	}
	if q.Has("enabled") {
		f.eq("enabled", queryBool(q.Get("enabled")))
	}
	return domainKind.listed(w, r, s.db.R(), f)
}

var domainKind = &entity[Domain]{
	name: "domain", param: "domain_id", table: "identity_domains",
	fetch: getDomain, list: listDomains, apply: applyDomain, save: updateDomain, wire: domainWire,
	conflict: func(d *Domain) error { return conflict("domain", d.Name, "") },
}

func (s *Service) domain(ctx context.Context, q store.Querier, id string) (*Domain, error) {
	return domainKind.load(ctx, q, id)
}

func (s *Service) createDomain(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeEntity(r, "domain")
	if err != nil {
		return err
	}
	d := &Domain{ID: newID(), Enabled: true}
	if err := applyDomain(o, d, true); err != nil {
		return err
	}
	err = s.db.Tx(r.Context(), func(tx *sql.Tx) error { return insertDomain(r.Context(), tx, d, s.nowMicro()) })
	if errors.Is(err, store.ErrConflict) {
		return domainConflict(d)
	}
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusCreated, map[string]any{"domain": domainWire(r, d)})
}

func applyDomain(o object, d *Domain, create bool) error {
	return o.common(create, maxProjectName, &d.Name, &d.Description, &d.Enabled)
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
	return execAll(ctx, tx, id,
		"DELETE FROM identity_assignments WHERE target_type = 'domain' AND target_id = $1",
		"DELETE FROM identity_assignments WHERE target_type = 'project' AND target_id IN (SELECT id FROM identity_projects WHERE domain_id = $1)",
		"DELETE FROM identity_assignments WHERE user_id IN (SELECT id FROM identity_users WHERE domain_id = $1)",
		"DELETE FROM identity_assignments WHERE role_id IN (SELECT id FROM identity_roles WHERE domain_id = $1)",
		"DELETE FROM identity_credentials WHERE user_id IN (SELECT id FROM identity_users WHERE domain_id = $1)",
		"DELETE FROM identity_credentials WHERE project_id IN (SELECT id FROM identity_projects WHERE domain_id = $1)",
		"DELETE FROM identity_projects WHERE domain_id = $1",
		"DELETE FROM identity_users WHERE domain_id = $1",
		"DELETE FROM identity_roles WHERE domain_id = $1",
	)
}

// --- projects ---

func (s *Service) listProjects(w http.ResponseWriter, r *http.Request) error {
	var f filter
	q := r.URL.Query()
	for _, k := range []string{"name", "domain_id", "parent_id"} {
		if v := q.Get(k); v != "" {
			f.eq(k, v)
		}
	}
	if q.Has("enabled") {
		f.eq("enabled", queryBool(q.Get("enabled")))
	}
	out := []map[string]any{}
	if q.Has("is_domain") && queryBool(q.Get("is_domain")) {
		// stratus has no projects acting as domains.
		return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"projects": out, "links": listLinks(r)})
	}
	return projectKind.listed(w, r, s.db.R(), f)
}

var projectKind = &entity[Project]{
	name: "project", param: "project_id", table: "identity_projects",
	fetch: getProject, list: listProjects, apply: applyProject, save: updateProject, wire: projectWire,
	conflict: func(p *Project) error { return conflict("project", p.Name, p.DomainID) },
}

func (s *Service) project(ctx context.Context, q store.Querier, id string) (*Project, error) {
	return projectKind.load(ctx, q, id)
}

// callerDomain is where new projects and users go when the request names
// no domain: the caller's project domain, as in Keystone.
func callerDomain(r *http.Request) string {
	if p := policy.FromContext(r.Context()); p != nil {
		if p.DomainID != "" {
			return p.DomainID
		}
		if p.ProjectDomain != "" {
			return p.ProjectDomain
		}
	}
	return DefaultDomainID
}

func applyProject(o object, p *Project, create bool) error {
	if err := o.common(create, maxProjectName, &p.Name, &p.Description, &p.Enabled); err != nil {
		return err
	}
	if b, _, err := o.boolean("is_domain"); err != nil {
		return err
	} else if b {
		return fault.NotImplementedf("Projects acting as domains are not supported.")
	}
	return nil
}

func (s *Service) createProject(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeEntity(r, "project")
	if err != nil {
		return err
	}
	p := &Project{ID: newID(), Enabled: true}
	if err := applyProject(o, p, true); err != nil {
		return err
	}
	if p.DomainID, _, err = o.str("domain_id"); err != nil {
		return err
	}
	if p.DomainID == "" {
		p.DomainID = callerDomain(r)
	}
	parent, _, err := o.str("parent_id")
	if err != nil {
		return err
	}
	ctx := r.Context()
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.domain(ctx, tx, p.DomainID); err != nil {
			return err
		}
		p.ParentID = p.DomainID
		if parent != "" && parent != p.DomainID {
			pp, err := s.project(ctx, tx, parent)
			if err != nil {
				return err
			}
			if pp.DomainID != p.DomainID {
				return fault.Invalidf("Cannot create project, since it specifies its domain_id %s, but specifies a parent in a different domain (%s).", p.DomainID, pp.DomainID)
			}
			p.ParentID = parent
		}
		return insertProject(ctx, tx, p, s.nowMicro())
	})
	if errors.Is(err, store.ErrConflict) {
		return projectConflict(p)
	}
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusCreated, map[string]any{"project": projectWire(r, p)})
}

// deleteProjectRows refuses a project with children and removes its
// role assignments.
func deleteProjectRows(ctx context.Context, tx *sql.Tx, id string) error {
	n, err := countRows(ctx, tx, "SELECT COUNT(*) FROM identity_projects WHERE parent_id = $1", id)
	if err != nil {
		return err
	}
	if n > 0 {
		return fault.Forbiddenf("Cannot delete the project %s since it is not a leaf in the hierarchy. Use the cascade option if you want to delete a whole subtree.", id)
	}
	return execAll(ctx, tx, id, "DELETE FROM identity_assignments WHERE target_type = 'project' AND target_id = $1",
		"DELETE FROM identity_credentials WHERE project_id = $1")
}
