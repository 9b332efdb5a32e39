package identity

import (
	"net/http"
	"slices"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
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
