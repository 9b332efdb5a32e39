package identity

import (
	"context"
	"errors"
	"slices"

	"github.com/stratus-iaas/stratus/internal/store"
)

// Effective roles, as Keystone computes them: a user's roles on a scope
// come from its own assignments and its groups' (non-inherited ones on the
// scope itself; on a project also the inherited ones on its ancestors and
// on its domain), then every role those imply, recursively. Domain-specific
// roles count only through the global roles they imply: they never reach
// a token.

// projectAncestors is the ids of the projects above p, nearest first
// (the domain itself not included). A loop in bad data ends the walk.
func projectAncestors(ctx context.Context, q store.Querier, p *Project) ([]string, error) {
	var out []string
	seen := map[string]bool{p.ID: true}
	parent := p.ParentID
	for parent != "" && parent != p.DomainID && !seen[parent] {
		seen[parent] = true
		pp, err := getProject(ctx, q, parent)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				break
			}
			return nil, err
		}
		out = append(out, pp.ID)
		parent = pp.ParentID
	}
	return out, nil
}

// projectSubtree is the ids of every project below id (not id itself).
func projectSubtree(ctx context.Context, q store.Querier, id string) ([]string, error) {
	var out []string
	seen := map[string]bool{id: true}
	queue := []string{id}
	for len(queue) > 0 {
		kids, err := childProjects(ctx, q, queue[0])
		if err != nil {
			return nil, err
		}
		queue = queue[1:]
		for _, k := range kids {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
				queue = append(queue, k)
			}
		}
	}
	return out, nil
}

// directRoleIDs is the ids of the roles userID holds on the scope before
// implication: on a project, on a domain (domainID), or on the system.
func directRoleIDs(ctx context.Context, q store.Querier, userID string, project *Project, domainID string, system bool) ([]string, error) {
	var targets [][2]string
	var ancestors []string
	switch {
	case project != nil:
		var err error
		if ancestors, err = projectAncestors(ctx, q, project); err != nil {
			return nil, err
		}
		targets = append(targets, [2]string{targetProject, project.ID}, [2]string{targetDomain, project.DomainID})
		for _, a := range ancestors {
			targets = append(targets, [2]string{targetProject, a})
		}
	case domainID != "":
		targets = append(targets, [2]string{targetDomain, domainID})
	case system:
		targets = append(targets, [2]string{targetSystem, systemAll})
	default:
		return nil, nil
	}
	as, err := actorAssignments(ctx, q, userID, targets...)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, a := range as {
		applies := !a.Inherited
		if project != nil {
			// On a project: its own non-inherited assignments, and the
			// inherited ones of its ancestors and its domain.
			applies = (a.TargetType == targetProject && a.TargetID == project.ID) != a.Inherited
		}
		if applies && !slices.Contains(ids, a.RoleID) {
			ids = append(ids, a.RoleID)
		}
	}
	return ids, nil
}

// impliedClosure adds to ids every role they imply, recursively.
func impliedClosure(ids []string, rules map[string][]string) []string {
	out := slices.Clone(ids)
	for i := 0; i < len(out); i++ {
		for _, next := range rules[out[i]] {
			if !slices.Contains(out, next) {
				out = append(out, next)
			}
		}
	}
	return out
}

// globalRoles expands ids with the roles they imply and returns the
// global ones, by name.
func globalRoles(ctx context.Context, q store.Querier, ids []string) ([]*Role, error) {
	rules, err := implications(ctx, q)
	if err != nil {
		return nil, err
	}
	roles, err := rolesByID(ctx, q, impliedClosure(ids, rules))
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(roles, func(r *Role) bool { return r.DomainID != "" }), nil
}

// effectiveRoles is the global roles userID holds on the scope, implied
// ones included: what a token scoped there carries.
func effectiveRoles(ctx context.Context, q store.Querier, userID string, project *Project, domainID string, system bool) ([]*Role, error) {
	ids, err := directRoleIDs(ctx, q, userID, project, domainID, system)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	return globalRoles(ctx, q, ids)
}

// userProjectIDs is the projects on which userID has any role: directly
// or through a group, or inherited from a domain or a project above.
func userProjectIDs(ctx context.Context, q store.Querier, userID string) ([]string, error) {
	as, err := actorAssignments(ctx, q, userID)
	if err != nil {
		return nil, err
	}
	var out []string
	add := func(ids ...string) {
		for _, id := range ids {
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	for _, a := range as {
		switch {
		case a.TargetType == targetProject && !a.Inherited:
			add(a.TargetID)
		case a.TargetType == targetProject:
			sub, err := projectSubtree(ctx, q, a.TargetID)
			if err != nil {
				return nil, err
			}
			add(sub...)
		case a.TargetType == targetDomain && a.Inherited:
			ids, err := stringColumn(ctx, q, "SELECT id FROM identity_projects WHERE domain_id = $1", a.TargetID)
			if err != nil {
				return nil, err
			}
			add(ids...)
		}
	}
	return out, nil
}

// userDomainIDs is the domains on which userID (or one of its groups)
// holds a role.
func userDomainIDs(ctx context.Context, q store.Querier, userID string) ([]string, error) {
	as, err := actorAssignments(ctx, q, userID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, a := range as {
		if a.TargetType == targetDomain && !a.Inherited && !slices.Contains(out, a.TargetID) {
			out = append(out, a.TargetID)
		}
	}
	return out, nil
}

// listUserProjects is the projects on which userID has any role.
func listUserProjects(ctx context.Context, q store.Querier, userID string) ([]*Project, error) {
	ids, err := userProjectIDs(ctx, q, userID)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	var f filter
	f.in("id", ids)
	return listProjects(ctx, q, f)
}

// listUserDomains is the domains on which userID has any role.
func listUserDomains(ctx context.Context, q store.Querier, userID string) ([]*Domain, error) {
	ids, err := userDomainIDs(ctx, q, userID)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	var f filter
	f.in("id", ids)
	return listDomains(ctx, q, f)
}

// expandAssignments turns stored assignments into effective ones.
func (s *Service) expandAssignments(ctx context.Context, q store.Querier, refs []effRef) ([]effRef, error) {
	var out []effRef
	for _, ref := range refs {
		actors := []effRef{ref}
		if ref.ActorType == actorGroup {
			members, err := groupMemberIDs(ctx, q, ref.ActorID)
			if err != nil {
				return nil, err
			}
			actors = actors[:0]
			for _, u := range members {
				x := ref
				x.ActorType, x.ActorID, x.viaGroup = actorUser, u, ref.ActorID
				actors = append(actors, x)
			}
		}
		for _, x := range actors {
			if !x.Inherited {
				out = append(out, x)
				continue
			}
			var ids []string
			var err error
			if x.TargetType == targetDomain {
				ids, err = domainProjectIDs(ctx, q, x.TargetID)
			} else {
				ids, err = projectSubtree(ctx, q, x.TargetID)
			}
			if err != nil {
				return nil, err
			}
			for _, id := range ids {
				y := x
				y.fromType, y.fromTarget = x.TargetType, x.TargetID
				y.TargetType, y.TargetID, y.Inherited = targetProject, id, false
				out = append(out, y)
			}
		}
	}
	rules, err := implications(ctx, q)
	if err != nil {
		return nil, err
	}
	for i := 0; i < len(out); i++ {
		for _, implied := range rules[out[i].RoleID] {
			y := out[i]
			y.RoleID, y.priorRole = implied, out[i].RoleID
			dup := slices.ContainsFunc(out, func(z effRef) bool {
				return z.Assignment == y.Assignment && z.priorRole == y.priorRole && z.viaGroup == y.viaGroup && z.fromTarget == y.fromTarget
			})
			if !dup {
				out = append(out, y)
			}
		}
	}
	// Domain-specific roles are left out of effective lists.
	var ids []string
	for _, x := range out {
		if !slices.Contains(ids, x.RoleID) {
			ids = append(ids, x.RoleID)
		}
	}
	roles, err := rolesByID(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	global := map[string]bool{}
	for _, r := range roles {
		global[r.ID] = r.DomainID == ""
	}
	return slices.DeleteFunc(out, func(x effRef) bool { return !global[x.RoleID] }), nil
}
