package identity

import (
	"context"
	"net/http"

	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/store"
)

// listRoleAssignments is GET /v3/role_assignments with the user.id,
// role.id, scope.project.id and scope.domain.id filters, effective and
// include_names. Groups, inheritance and system scope do not exist here,
// so group.id and scope.system filters match nothing.
func (s *Service) listRoleAssignments(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	out := []map[string]any{}
	resp := func() error {
		return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"role_assignments": out, "links": listLinks(r)})
	}
	if q.Get("group.id") != "" || q.Has("scope.system") || q.Has("scope.OS-INHERIT:inherited_to") {
		return resp()
	}
	var f filter
	if v := q.Get("user.id"); v != "" {
		f.eq("user_id", v)
	}
	if v := q.Get("role.id"); v != "" {
		f.eq("role_id", v)
	}
	if v := q.Get("scope.project.id"); v != "" {
		f.eq("target_type", targetProject)
		f.eq("target_id", v)
	}
	if v := q.Get("scope.domain.id"); v != "" {
		f.eq("target_type", targetDomain)
		f.eq("target_id", v)
	}
	ctx := r.Context()
	as, err := listAssignments(ctx, s.db.R(), f)
	if err != nil {
		return err
	}
	n := &namer{ctx: ctx, q: s.db.R(), names: q.Has("include_names") && queryBool(q.Get("include_names"))}
	for _, a := range as {
		m, err := n.assignment(r, a)
		if err != nil {
			return err
		}
		out = append(out, m)
	}
	return resp()
}

// namer renders assignments, looking each name up once.
type namer struct {
	ctx      context.Context
	q        store.Querier
	names    bool
	domains  map[string]*Domain
	projects map[string]*Project
	users    map[string]*User
	roles    map[string]*Role
}

func lookup[T any](m *map[string]*T, id string, get func() (*T, error)) (*T, error) {
	if *m == nil {
		*m = map[string]*T{}
	}
	if v, ok := (*m)[id]; ok {
		return v, nil
	}
	v, err := get()
	if err != nil {
		return nil, err
	}
	(*m)[id] = v
	return v, nil
}

func (n *namer) domainRef(id string) (map[string]any, error) {
	if !n.names {
		return map[string]any{"id": id}, nil
	}
	d, err := lookup(&n.domains, id, func() (*Domain, error) { return getDomain(n.ctx, n.q, id) })
	if err != nil {
		return nil, err
	}
	return map[string]any{"id": d.ID, "name": d.Name}, nil
}

func (n *namer) assignment(r *http.Request, a *Assignment) (map[string]any, error) {
	role := map[string]any{"id": a.RoleID}
	user := map[string]any{"id": a.UserID}
	var scope map[string]any
	if a.TargetType == targetProject {
		scope = map[string]any{"project": map[string]any{"id": a.TargetID}}
	} else {
		scope = map[string]any{"domain": map[string]any{"id": a.TargetID}}
	}
	link := v3URL(r, "/"+a.TargetType+"s/"+a.TargetID+"/users/"+a.UserID+"/roles/"+a.RoleID)
	m := map[string]any{"role": role, "user": user, "scope": scope, "links": map[string]string{"assignment": link}}
	if !n.names {
		return m, nil
	}
	ro, err := lookup(&n.roles, a.RoleID, func() (*Role, error) { return getRole(n.ctx, n.q, a.RoleID) })
	if err != nil {
		return nil, err
	}
	role["name"] = ro.Name
	if ro.DomainID != "" {
		if role["domain"], err = n.domainRef(ro.DomainID); err != nil {
			return nil, err
		}
	}
	u, err := lookup(&n.users, a.UserID, func() (*User, error) { return getUser(n.ctx, n.q, a.UserID) })
	if err != nil {
		return nil, err
	}
	user["name"] = u.Name
	if user["domain"], err = n.domainRef(u.DomainID); err != nil {
		return nil, err
	}
	if a.TargetType == targetProject {
		p, err := lookup(&n.projects, a.TargetID, func() (*Project, error) { return getProject(n.ctx, n.q, a.TargetID) })
		if err != nil {
			return nil, err
		}
		d, err := n.domainRef(p.DomainID)
		if err != nil {
			return nil, err
		}
		scope["project"] = map[string]any{"id": p.ID, "name": p.Name, "domain": d}
	} else {
		d, err := n.domainRef(a.TargetID)
		if err != nil {
			return nil, err
		}
		scope["domain"] = d
	}
	return m, nil
}
