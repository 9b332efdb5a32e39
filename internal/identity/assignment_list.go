package identity

import (
	"context"
	"slices"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Role assignment lists, as keystone/api/role_assignments.py (rendered by
// assignment_http.go and assignment_wire.go): the stored assignments, or
// with Effective the ones they amount to (groups expanded to their
// members, inherited assignments to the projects below their target,
// implied roles added, domain-specific roles left out).

// effRef is one assignment as listed: a direct one, or one derived from a
// group membership, an inherited assignment or an implied role.
type effRef struct {
	Assignment
	viaGroup   string // user entry derived from this group's assignment
	fromTarget string // inherited from this project or domain (type in fromType)
	fromType   string
	priorRole  string // implied by this role
}

// AssignmentQuery is the filters and options of a role assignment list:
// user.id, group.id, role.id, scope.project.id, scope.domain.id,
// scope.system, scope.OS-INHERIT:inherited_to (InheritedTo: nil when
// absent, else whether it is "projects"), effective, include_subtree and
// include_names.
type AssignmentQuery struct {
	UserID, GroupID, RoleID, ProjectID, DomainID, System string
	InheritedTo                                          *bool
	Effective, IncludeSubtree, IncludeNames              bool
}

// ListedAssignment is one listed assignment; Names is set when the query
// asked for names.
type ListedAssignment struct {
	effRef
	Names *AssignmentNames
}

// AssignmentNames are the records an assignment names: its role (and the
// role's domain, for a domain-specific one), its user or group and that
// one's domain, and its project and that one's domain, or its domain.
type AssignmentNames struct {
	Role                  *Role
	RoleDomain            *Domain
	User                  *User
	Group                 *Group
	ActorDomain           *Domain
	Project               *Project
	ProjectDomain, Domain *Domain
}

// checkAssignmentQuery refuses the combinations Keystone refuses.
func checkAssignmentQuery(aq AssignmentQuery) error {
	switch {
	case aq.IncludeSubtree && aq.ProjectID == "":
		return fault.Invalidf("scope.project.id must be specified if include_subtree is also specified")
	case aq.DomainID != "" && aq.ProjectID != "":
		return fault.Invalidf("Specify a domain or project, not both")
	case aq.DomainID != "" && aq.System != "":
		return fault.Invalidf("Specify system or domain, not both")
	case aq.ProjectID != "" && aq.System != "":
		return fault.Invalidf("Specify system or project, not both")
	case aq.UserID != "" && aq.GroupID != "":
		return fault.Invalidf("Specify a user or group, not both")
	case aq.Effective && aq.GroupID != "":
		return fault.Invalidf("Combining effective and group filter will always result in an empty list.")
	case aq.Effective && aq.InheritedTo != nil && *aq.InheritedTo && aq.DomainID != "":
		return fault.Invalidf("Combining effective, domain and inherited filters will always result in an empty list.")
	}
	return nil
}

// RoleAssignments lists the role assignments aq selects.
func (s *Service) RoleAssignments(ctx context.Context, aq AssignmentQuery) ([]ListedAssignment, error) {
	if err := checkAssignmentQuery(aq); err != nil {
		return nil, err
	}
	db := s.db.R()
	projects := []string{}
	if aq.ProjectID != "" {
		projects = append(projects, aq.ProjectID)
		if aq.IncludeSubtree {
			if _, err := s.project(ctx, db, aq.ProjectID); err != nil {
				return nil, err
			}
			sub, err := projectSubtree(ctx, db, aq.ProjectID)
			if err != nil {
				return nil, err
			}
			projects = append(projects, sub...)
		}
	}
	all, err := listAssignments(ctx, db, filter{})
	if err != nil {
		return nil, err
	}
	refs := make([]effRef, 0, len(all))
	for _, a := range all {
		refs = append(refs, effRef{Assignment: *a})
	}
	if aq.Effective {
		if refs, err = s.expandAssignments(ctx, db, refs); err != nil {
			return nil, err
		}
	}
	n := &namer{ctx: ctx, q: db}
	out := []ListedAssignment{}
	for _, a := range refs {
		switch {
		case aq.UserID != "" && (a.ActorType != actorUser || a.ActorID != aq.UserID),
			aq.GroupID != "" && (a.ActorType != actorGroup || a.ActorID != aq.GroupID),
			aq.RoleID != "" && a.RoleID != aq.RoleID,
			aq.ProjectID != "" && (a.TargetType != targetProject || !slices.Contains(projects, a.TargetID)),
			aq.DomainID != "" && (a.TargetType != targetDomain || a.TargetID != aq.DomainID),
			aq.System != "" && a.TargetType != targetSystem,
			aq.InheritedTo != nil && a.Inherited != *aq.InheritedTo:
			continue
		}
		la := ListedAssignment{effRef: a}
		if aq.IncludeNames {
			if la.Names, err = n.names(a); err != nil {
				return nil, err
			}
		}
		out = append(out, la)
	}
	return out, nil
}

// namer looks up the records assignments name, each once.
type namer struct {
	ctx      context.Context
	q        store.Querier
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

func (n *namer) domain(id string) (*Domain, error) {
	return lookup(&n.domains, id, func() (*Domain, error) { return getDomain(n.ctx, n.q, id) })
}

// names looks up role, actor and target of a, in that order.
func (n *namer) names(a effRef) (*AssignmentNames, error) {
	var out AssignmentNames
	var err error
	if out.Role, err = lookup(&n.roles, a.RoleID, func() (*Role, error) { return getRole(n.ctx, n.q, a.RoleID) }); err != nil {
		return nil, err
	}
	if out.Role.DomainID != "" {
		if out.RoleDomain, err = n.domain(out.Role.DomainID); err != nil {
			return nil, err
		}
	}
	actorDomain := ""
	if a.ActorType == actorUser {
		if out.User, err = lookup(&n.users, a.ActorID, func() (*User, error) { return getUser(n.ctx, n.q, a.ActorID) }); err != nil {
			return nil, err
		}
		actorDomain = out.User.DomainID
	} else {
		if out.Group, err = lookup(&n.groups, a.ActorID, func() (*Group, error) { return getGroup(n.ctx, n.q, a.ActorID) }); err != nil {
			return nil, err
		}
		actorDomain = out.Group.DomainID
	}
	if out.ActorDomain, err = n.domain(actorDomain); err != nil {
		return nil, err
	}
	switch a.TargetType {
	case targetProject:
		if out.Project, err = lookup(&n.projects, a.TargetID, func() (*Project, error) { return getProject(n.ctx, n.q, a.TargetID) }); err != nil {
			return nil, err
		}
		if out.ProjectDomain, err = n.domain(out.Project.DomainID); err != nil {
			return nil, err
		}
	case targetDomain:
		if out.Domain, err = n.domain(a.TargetID); err != nil {
			return nil, err
		}
	}
	return &out, nil
}
