package identity

import (
	"context"
	"net/http"
	"slices"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/store"
)

// GET /v3/role_assignments, as keystone/api/role_assignments.py: the
// stored assignments, or with effective the ones they amount to (groups
// expanded to their members, inherited assignments to the projects below
// their target, implied roles added, domain-specific roles left out), with
// the user.id, group.id, role.id, scope.project.id, scope.domain.id,
// scope.system and scope.OS-INHERIT:inherited_to filters, include_names
// and include_subtree.

// effRef is one assignment as listed: a direct one, or one derived from a
// group membership, an inherited assignment or an implied role.
type effRef struct {
	Assignment
	viaGroup   string // user entry derived from this group's assignment
	fromTarget string // inherited from this project or domain (type in fromType)
	fromType   string
	priorRole  string // implied by this role
}

func (s *Service) listRoleAssignments(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	ctx := r.Context()
	db := s.db.R()
	effective := q.Has("effective") && queryBool(q.Get("effective"))
	subtree := q.Has("include_subtree") && queryBool(q.Get("include_subtree"))
	user, group, role := q.Get("user.id"), q.Get("group.id"), q.Get("role.id")
	project, domain, system := q.Get("scope.project.id"), q.Get("scope.domain.id"), q.Get("scope.system")
	inherited := (*bool)(nil)
	if q.Has("scope.OS-INHERIT:inherited_to") {
		v := q.Get("scope.OS-INHERIT:inherited_to") == "projects"
		inherited = &v
	}
	switch {
	case subtree && project == "":
		return fault.Invalidf("scope.project.id must be specified if include_subtree is also specified")
	case domain != "" && project != "":
		return fault.Invalidf("Specify a domain or project, not both")
	case domain != "" && system != "":
		return fault.Invalidf("Specify system or domain, not both")
	case project != "" && system != "":
		return fault.Invalidf("Specify system or project, not both")
	case user != "" && group != "":
		return fault.Invalidf("Specify a user or group, not both")
	case effective && group != "":
		return fault.Invalidf("Combining effective and group filter will always result in an empty list.")
	case effective && inherited != nil && *inherited && domain != "":
		return fault.Invalidf("Combining effective, domain and inherited filters will always result in an empty list.")
	}
	projects := []string{}
	if project != "" {
		projects = append(projects, project)
		if subtree {
			if _, err := s.project(ctx, db, project); err != nil {
				return err
			}
			sub, err := projectSubtree(ctx, db, project)
			if err != nil {
				return err
			}
			projects = append(projects, sub...)
		}
	}
	all, err := listAssignments(ctx, db, filter{})
	if err != nil {
		return err
	}
	refs := make([]effRef, 0, len(all))
	for _, a := range all {
		refs = append(refs, effRef{Assignment: *a})
	}
	if effective {
		if refs, err = s.expandAssignments(ctx, db, refs); err != nil {
			return err
		}
	}
	n := &namer{ctx: ctx, q: db, names: q.Has("include_names") && queryBool(q.Get("include_names"))}
	out := []map[string]any{}
	for _, a := range refs {
		switch {
		case user != "" && (a.ActorType != actorUser || a.ActorID != user),
			group != "" && (a.ActorType != actorGroup || a.ActorID != group),
			role != "" && a.RoleID != role,
			project != "" && (a.TargetType != targetProject || !slices.Contains(projects, a.TargetID)),
			domain != "" && (a.TargetType != targetDomain || a.TargetID != domain),
			system != "" && a.TargetType != targetSystem,
			inherited != nil && a.Inherited != *inherited:
			continue
		}
		m, err := n.assignment(r, a)
		if err != nil {
			return err
		}
		out = append(out, m)
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"role_assignments": out, "links": listLinks(r)})
}

// expandAssignments turns stored assignments into effective ones.
func (s *Service) expandAssignments(ctx context.Context, q store.Querier, refs []effRef) ([]effRef, error) {
	var out []effRef
	for _, ref := range refs {
		actors := []effRef{ref}
		if ref.ActorType == actorGroup {
			members, err := stringColumn(ctx, q, "SELECT user_id FROM identity_group_members WHERE group_id = $1 ORDER BY user_id", ref.ActorID)
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
				ids, err = stringColumn(ctx, q, "SELECT id FROM identity_projects WHERE domain_id = $1 ORDER BY name, id", x.TargetID)
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
