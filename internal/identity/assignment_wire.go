package identity

import (
	"context"
	"net/http"

	"github.com/stratus-iaas/stratus/internal/store"
)

// namer renders assignments, looking each name up once.
type namer struct {
	ctx      context.Context
	q        store.Querier
	names    bool
	domains  map[string]*Domain
	projects map[string]*Project
	users    map[string]*User
	groups   map[string]*Group
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

// assignment renders one assignment as Keystone's _format_entity does,
// links included (assignment, membership, prior_role).
func (n *namer) assignment(r *http.Request, a effRef) (map[string]any, error) {
	m := map[string]any{}
	links := map[string]string{}
	var link string
	scope := map[string]any{}
	switch a.TargetType {
	case targetProject:
		scope["project"] = map[string]any{"id": a.TargetID}
		switch {
		case a.fromTarget != "":
			link = "/" + a.fromType + "s/" + a.fromTarget
		default:
			link = "/projects/" + a.TargetID
		}
	case targetDomain:
		scope["domain"] = map[string]any{"id": a.TargetID}
		link = "/domains/" + a.TargetID
	default:
		scope["system"] = map[string]any{"all": true}
		link = "/system"
	}
	if a.ActorType == actorUser {
		m["user"] = map[string]any{"id": a.ActorID}
		if a.viaGroup != "" {
			links["membership"] = v3URL(r, "/groups/"+a.viaGroup+"/users/"+a.ActorID)
			link += "/groups/" + a.viaGroup
		} else {
			link += "/users/" + a.ActorID
		}
	} else {
		m["group"] = map[string]any{"id": a.ActorID}
		link += "/groups/" + a.ActorID
	}
	m["role"] = map[string]any{"id": a.RoleID}
	if a.priorRole != "" {
		link += "/roles/" + a.priorRole
		links["prior_role"] = v3URL(r, "/prior_role/"+a.RoleID+"/implies/"+a.priorRole)
	} else {
		link += "/roles/" + a.RoleID
	}
	if a.Inherited || a.fromTarget != "" {
		scope["OS-INHERIT:inherited_to"] = "projects"
		link = "/OS-INHERIT" + link + "/inherited_to_projects"
	}
	links["assignment"] = v3URL(r, link)
	m["scope"], m["links"] = scope, links
	if n.names {
		if err := n.addNames(m, a); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (n *namer) addNames(m map[string]any, a effRef) error {
	ro, err := lookup(&n.roles, a.RoleID, func() (*Role, error) { return getRole(n.ctx, n.q, a.RoleID) })
	if err != nil {
		return err
	}
	role := m["role"].(map[string]any)
	role["name"] = ro.Name
	if ro.DomainID != "" {
		if role["domain"], err = n.domainRef(ro.DomainID); err != nil {
			return err
		}
	}
	if a.ActorType == actorUser {
		u, err := lookup(&n.users, a.ActorID, func() (*User, error) { return getUser(n.ctx, n.q, a.ActorID) })
		if err != nil {
			return err
		}
		user := m["user"].(map[string]any)
		user["name"] = u.Name
		if user["domain"], err = n.domainRef(u.DomainID); err != nil {
			return err
		}
	} else {
		g, err := lookup(&n.groups, a.ActorID, func() (*Group, error) { return getGroup(n.ctx, n.q, a.ActorID) })
		if err != nil {
			return err
		}
		group := m["group"].(map[string]any)
		group["name"] = g.Name
		if group["domain"], err = n.domainRef(g.DomainID); err != nil {
			return err
		}
	}
	scope := m["scope"].(map[string]any)
	switch a.TargetType {
	case targetProject:
		p, err := lookup(&n.projects, a.TargetID, func() (*Project, error) { return getProject(n.ctx, n.q, a.TargetID) })
		if err != nil {
			return err
		}
		d, err := n.domainRef(p.DomainID)
		if err != nil {
			return err
		}
		scope["project"] = map[string]any{"id": p.ID, "name": p.Name, "domain": d}
	case targetDomain:
		d, err := n.domainRef(a.TargetID)
		if err != nil {
			return err
		}
		scope["domain"] = d
	}
	return nil
}
