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
	ds, err := listDomains(r.Context(), s.db.R(), f)
	if err != nil {
		return err
	}
	out := make([]map[string]any, 0, len(ds))
	for _, d := range ds {
		out = append(out, domainWire(r, d))
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"domains": out, "links": listLinks(r)})
}

func (s *Service) domain(ctx context.Context, q store.Querier, id string) (*Domain, error) {
	d, err := getDomain(ctx, q, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("domain", id)
	}
	return d, err
}

func (s *Service) getDomain(w http.ResponseWriter, r *http.Request) error {
	d, err := s.domain(r.Context(), s.db.R(), r.PathValue("domain_id"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"domain": domainWire(r, d)})
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
	var err error
	var ok bool
	var v string
	if v, ok, err = o.name(create, maxProjectName); err != nil {
		return err
	} else if ok {
		d.Name = v
	}
	if v, ok, err = o.str("description"); err != nil {
		return err
	} else if ok {
		d.Description = v
	}
	var b bool
	if b, ok, err = o.boolean("enabled"); err != nil {
		return err
	} else if ok {
		d.Enabled = b
	}
	return nil
}

func (s *Service) updateDomain(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeEntity(r, "domain")
	if err != nil {
		return err
	}
	ctx := r.Context()
	var d *Domain
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if d, err = s.domain(ctx, tx, r.PathValue("domain_id")); err != nil {
			return err
		}
		if err := applyDomain(o, d, false); err != nil {
			return err
		}
		return updateDomain(ctx, tx, d)
	})
	if errors.Is(err, store.ErrConflict) {
		return conflict("domain", d.Name, "")
	}
	if err != nil {
		return err
	}
	s.cache.clear()
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"domain": domainWire(r, d)})
}

func (s *Service) deleteDomain(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := r.PathValue("domain_id")
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		d, err := s.domain(ctx, tx, id)
		if err != nil {
			return err
		}
		if d.Enabled {
			return fault.Forbiddenf("Cannot delete a domain that is enabled, please disable it first.")
		}
		for _, q := range []string{
			"DELETE FROM identity_assignments WHERE target_type = 'domain' AND target_id = $1",
			"DELETE FROM identity_assignments WHERE target_type = 'project' AND target_id IN (SELECT id FROM identity_projects WHERE domain_id = $1)",
			"DELETE FROM identity_assignments WHERE user_id IN (SELECT id FROM identity_users WHERE domain_id = $1)",
			"DELETE FROM identity_assignments WHERE role_id IN (SELECT id FROM identity_roles WHERE domain_id = $1)",
			"DELETE FROM identity_projects WHERE domain_id = $1",
			"DELETE FROM identity_users WHERE domain_id = $1",
			"DELETE FROM identity_roles WHERE domain_id = $1",
			"DELETE FROM identity_domains WHERE id = $1",
		} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.cache.clear()
	return noContent(w)
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
	ps, err := listProjects(r.Context(), s.db.R(), f)
	if err != nil {
		return err
	}
	for _, p := range ps {
		out = append(out, projectWire(r, p))
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"projects": out, "links": listLinks(r)})
}

func (s *Service) project(ctx context.Context, q store.Querier, id string) (*Project, error) {
	p, err := getProject(ctx, q, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("project", id)
	}
	return p, err
}

func (s *Service) getProject(w http.ResponseWriter, r *http.Request) error {
	p, err := s.project(r.Context(), s.db.R(), r.PathValue("project_id"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"project": projectWire(r, p)})
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
	var err error
	var ok bool
	var v string
	if v, ok, err = o.name(create, maxProjectName); err != nil {
		return err
	} else if ok {
		p.Name = v
	}
	if v, ok, err = o.str("description"); err != nil {
		return err
	} else if ok {
		p.Description = v
	}
	var b bool
	if b, ok, err = o.boolean("enabled"); err != nil {
		return err
	} else if ok {
		p.Enabled = b
	}
	if b, _, err = o.boolean("is_domain"); err != nil {
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

func (s *Service) updateProject(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeEntity(r, "project")
	if err != nil {
		return err
	}
	ctx := r.Context()
	var p *Project
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if p, err = s.project(ctx, tx, r.PathValue("project_id")); err != nil {
			return err
		}
		if err := applyProject(o, p, false); err != nil {
			return err
		}
		return updateProject(ctx, tx, p)
	})
	if errors.Is(err, store.ErrConflict) {
		return conflict("project", p.Name, p.DomainID)
	}
	if err != nil {
		return err
	}
	s.cache.clear()
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"project": projectWire(r, p)})
}

func (s *Service) deleteProject(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := r.PathValue("project_id")
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		n, err := countRows(ctx, tx, "SELECT COUNT(*) FROM identity_projects WHERE parent_id = $1", id)
		if err != nil {
			return err
		}
		if n > 0 {
			return fault.Forbiddenf("Cannot delete the project %s since it is not a leaf in the hierarchy. Use the cascade option if you want to delete a whole subtree.", id)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM identity_assignments WHERE target_type = 'project' AND target_id = $1", id); err != nil {
			return err
		}
		ok, err := deleteRow(ctx, tx, "identity_projects", id)
		if err == nil && !ok {
			err = notFound("project", id)
		}
		return err
	})
	if err != nil {
		return err
	}
	s.cache.clear()
	return noContent(w)
}
