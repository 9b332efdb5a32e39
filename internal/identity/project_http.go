package identity

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Projects, as keystone/api/projects.py: hierarchies (parent_id; a
// top-level project's parent is its domain), tags, extra attributes, and
// domains seen as projects acting as domains (is_domain).

var projectKind = &entity[Project]{
	name: "project", param: "project_id", table: "identity_projects",
	fetch: getProject, list: listProjects, apply: applyProject, save: saveProject, wire: projectWire,
	conflict: func(p *Project) error { return conflict("project", p.Name, p.DomainID) },
	filters:  []string{"name", "domain_id", "enabled", "parent_id", "is_domain"},
	more: func(ctx context.Context, q store.Querier, p *Project) (err error) {
		p.Tags, err = projectTags(ctx, q, p.ID)
		return
	},
}

func (s *Service) project(ctx context.Context, q store.Querier, id string) (*Project, error) {
	return projectKind.load(ctx, q, id)
}

// projectFields are the attributes Keystone models; others are extra.
var projectFields = map[string]bool{"id": true, "name": true, "domain_id": true, "description": true, "enabled": true,
	"parent_id": true, "is_domain": true, "tags": true, "options": true, "links": true}

func applyProject(o object, p *Project, create bool) error {
	if err := o.common(create, maxProjectName, &p.Name, &p.Description, &p.Enabled); err != nil {
		return err
	}
	if !create {
		if v, present := o["parent_id"]; present && v != p.ParentID {
			return fault.Forbiddenf("Update of `parent_id` is not allowed.")
		}
		if v, present := o["domain_id"]; present && v != p.DomainID {
			return fault.Invalidf("Update of `domain_id` is not allowed.")
		}
		if v, present := o["is_domain"]; present && v != false {
			return fault.Invalidf("Update of `is_domain` is not allowed.")
		}
	}
	if err := o.tags(&p.Tags); err != nil {
		return err
	}
	o.extra(p.Extra, projectFields)
	return nil
}

func (s *Service) listProjects(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var out []map[string]any
	if q.Has("is_domain") && queryBool(q.Get("is_domain")) {
		ds, err := s.Domains(r.Context())
		if err != nil {
			return err
		}
		for _, d := range ds {
			out = append(out, domainAsProjectWire(r, d))
		}
	} else {
		ps, err := s.Projects(r.Context())
		if err != nil {
			return err
		}
		for _, p := range ps {
			out = append(out, projectWire(r, p))
		}
	}
	res := []map[string]any{}
	for _, m := range out {
		if projectKind.matches(r, m) && matchesTags(r, m["tags"].([]string)) {
			res = append(res, m)
		}
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"projects": res, "links": listLinks(r)})
}

// matchesTags applies Keystone's tags (all of), tags-any, not-tags (not
// all of) and not-tags-any (none of) filters, each a comma-separated list.
func matchesTags(r *http.Request, have []string) bool {
	q := r.URL.Query()
	list := func(k string) []string {
		if !q.Has(k) {
			return nil
		}
		return strings.Split(q.Get(k), ",")
	}
	all := func(want []string) bool {
		for _, t := range want {
			if !slices.Contains(have, t) {
				return false
			}
		}
		return true
	}
	any := func(want []string) bool {
		return slices.ContainsFunc(want, func(t string) bool { return slices.Contains(have, t) })
	}
	if t := list("tags"); t != nil && !all(t) {
		return false
	}
	if t := list("tags-any"); t != nil && !any(t) {
		return false
	}
	if t := list("not-tags"); t != nil && all(t) {
		return false
	}
	if t := list("not-tags-any"); t != nil && any(t) {
		return false
	}
	return true
}

func (s *Service) createProject(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeEntity(r, "project")
	if err != nil {
		return err
	}
	ctx := r.Context()
	if isDomain, _, err := o.boolean("is_domain"); err != nil {
		return err
	} else if isDomain {
		if parent, _, _ := o.str("parent_id"); parent != "" {
			return fault.Invalidf("only root projects are allowed to act as domains.")
		}
		d, err := s.newDomain(ctx, o)
		if err != nil {
			return err
		}
		return httpapi.WriteJSON(w, http.StatusCreated, map[string]any{"project": domainAsProjectWire(r, d)})
	}
	p := &Project{ID: newID(), Enabled: true, Extra: map[string]any{}}
	if err := applyProject(o, p, true); err != nil {
		return err
	}
	if p.DomainID, _, err = o.str("domain_id"); err != nil {
		return err
	}
	parent, _, err := o.str("parent_id")
	if err != nil {
		return err
	}
	if err := s.CreateProject(ctx, policy.FromContext(ctx), p, parent); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusCreated, map[string]any{"project": projectWire(r, p)})
}

// showProject is GET /v3/projects/{project_id}, with the hierarchy
// options, or the domain of that id shown as a project.
func (s *Service) showProject(w http.ResponseWriter, r *http.Request) error {
	p, d, err := s.ProjectOrDomain(r.Context(), r.PathValue("project_id"))
	if err != nil {
		return err
	}
	if d != nil {
		return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"project": domainAsProjectWire(r, d)})
	}
	qs := r.URL.Query()
	flag := func(k string) bool { return qs.Has(k) && queryBool(qs.Get(k)) }
	hq := HierarchyQuery{ParentsAsIDs: flag("parents_as_ids"), ParentsAsList: flag("parents_as_list"),
		SubtreeAsIDs: flag("subtree_as_ids"), SubtreeAsList: flag("subtree_as_list")}
	h, err := s.Hierarchy(r.Context(), p, hq)
	if err != nil {
		return err
	}
	m := projectWire(r, p)
	hierarchyWire(r, p, hq, h, m)
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"project": m})
}

// updateProject is PATCH /v3/projects/{project_id}; a domain may be
// updated through it too (enabled, name, description).
func (s *Service) updateProject(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("project_id")
	if s.domainNotProject(r.Context(), id) {
		return s.updateDomainAsProject(w, r, id)
	}
	o, err := decodeEntity(r, "project")
	if err != nil {
		return err
	}
	p, err := s.UpdateProject(r.Context(), id, func(p *Project) error { return applyProject(o, p, false) })
	if err != nil {
		return err
	}
	return projectKind.respond(w, r, http.StatusOK, p)
}

func (s *Service) updateDomainAsProject(w http.ResponseWriter, r *http.Request, id string) error {
	o, err := decodeEntity(r, "project")
	if err != nil {
		return err
	}
	delete(o, "is_domain")
	delete(o, "domain_id")
	delete(o, "parent_id")
	d, err := s.UpdateDomain(r.Context(), id, func(d *Domain) error { return applyDomain(o, d, false) })
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"project": domainAsProjectWire(r, d)})
}

// deleteProject is DELETE /v3/projects/{project_id}: a leaf project, or a
// disabled domain.
func (s *Service) deleteProject(w http.ResponseWriter, r *http.Request) error {
	if err := s.DeleteProject(r.Context(), r.PathValue("project_id")); err != nil {
		return err
	}
	return noContent(w)
}

// hierarchyWire adds parents and subtree to m as hq asked.
func hierarchyWire(r *http.Request, p *Project, hq HierarchyQuery, h *ProjectHierarchy, m map[string]any) {
	list := func(ps []*Project) []map[string]any {
		out := []map[string]any{}
		for _, pp := range ps {
			out = append(out, map[string]any{"project": projectWire(r, pp)})
		}
		return out
	}
	if hq.ParentsAsIDs {
		// Nested {parent: {grandparent: ... {domain: null}}}.
		var nested any = map[string]any{p.DomainID: nil}
		for i := len(h.ParentIDs) - 1; i >= 0; i-- {
			nested = map[string]any{h.ParentIDs[i]: nested}
		}
		m["parents"] = nested
	} else if hq.ParentsAsList {
		m["parents"] = list(h.Parents)
	}
	if hq.SubtreeAsIDs {
		m["subtree"] = h.SubtreeIDs
	} else if hq.SubtreeAsList {
		m["subtree"] = list(h.Subtree)
	}
}
