package identity

import (
	"context"
	"database/sql"
	"net/http"
	"strings"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Grants: a role for a user or a group on a project, a domain or the
// system, and OS-INHERIT's inherited grants on a domain or a project
// (which apply to the projects below it):
//
//	/v3/{projects|domains}/{id}/{users|groups}/{actor}/roles[/{role_id}]
//	/v3/system/{users|groups}/{actor}/roles[/{role_id}]
//	/v3/OS-INHERIT/{domains|projects}/{id}/{users|groups}/{actor}/roles/{role_id}/inherited_to_projects
//	/v3/OS-INHERIT/domains/{id}/{users|groups}/{actor}/roles/inherited_to_projects

// grantRoutes is every grant route, each with its policy.
func (s *Service) grantRoutes() []httpapi.Route {
	admin := policy.Admin
	var out []httpapi.Route
	add := func(method, pattern string, h httpapi.HandlerFunc) {
		out = append(out, httpapi.Route{Method: method, Pattern: pattern, Policy: admin, Handler: h})
	}
	one := func(base, suffix string) {
		add("PUT", base+"/{role_id}"+suffix, s.putGrant)
		add("HEAD", base+"/{role_id}"+suffix, s.checkGrant)
		add("GET", base+"/{role_id}"+suffix, s.checkGrant)
		add("DELETE", base+"/{role_id}"+suffix, s.deleteGrant)
	}
	for _, actor := range []string{"/users/{user_id}", "/groups/{group_id}"} {
		for _, target := range []string{"/v3/projects/{project_id}", "/v3/domains/{domain_id}", "/v3/system"} {
			add("GET", target+actor+"/roles", s.listGrants)
			one(target+actor+"/roles", "")
		}
		one("/v3/OS-INHERIT/domains/{domain_id}"+actor+"/roles", "/inherited_to_projects")
		one("/v3/OS-INHERIT/projects/{project_id}"+actor+"/roles", "/inherited_to_projects")
		add("GET", "/v3/OS-INHERIT/domains/{domain_id}"+actor+"/roles/inherited_to_projects", s.listGrants)
	}
	return out
}

// grantFromPath reads the grant a route names and checks that its target,
// actor and role exist and that a domain-specific role may be granted
// there.
func (s *Service) grantFromPath(ctx context.Context, q store.Querier, r *http.Request) (Assignment, error) {
	a := Assignment{RoleID: r.PathValue("role_id"), Inherited: strings.Contains(r.URL.Path, "/v3/OS-INHERIT/")}
	var project *Project
	switch {
	case r.PathValue("project_id") != "":
		a.TargetType, a.TargetID = targetProject, r.PathValue("project_id")
		p, err := s.project(ctx, q, a.TargetID)
		if err != nil {
			return a, err
		}
		project = p
	case r.PathValue("domain_id") != "":
		a.TargetType, a.TargetID = targetDomain, r.PathValue("domain_id")
		if _, err := s.domain(ctx, q, a.TargetID); err != nil {
			return a, err
		}
	default:
		a.TargetType, a.TargetID = targetSystem, systemAll
	}
	if id := r.PathValue("user_id"); id != "" {
		a.ActorType, a.ActorID = actorUser, id
		if _, err := s.user(ctx, q, id); err != nil {
			return a, err
		}
	} else {
		a.ActorType, a.ActorID = actorGroup, r.PathValue("group_id")
		if _, err := s.group(ctx, q, a.ActorID); err != nil {
			return a, err
		}
	}
	if a.RoleID == "" {
		return a, nil
	}
	role, err := s.role(ctx, q, a.RoleID)
	if err != nil {
		return a, err
	}
	if role.DomainID != "" {
		if project != nil && project.DomainID != role.DomainID {
			return a, fault.Forbiddenf("Project %s must be in the same domain as the role %s being assigned.", project.ID, role.ID)
		}
		if a.TargetType == targetSystem {
			return a, fault.Invalidf("Role %s is a domain-specific role. Unable to use a domain-specific role in a system assignment.", role.ID)
		}
	}
	return a, nil
}

func grantNotFound(a Assignment) *fault.Error {
	target := a.TargetID
	if a.TargetType == targetSystem {
		target = targetSystem
	}
	return fault.NotFoundf("Could not find role assignment with role: %s, user or group: %s, project, domain, or system: %s.",
		a.RoleID, a.ActorID, target)
}

func (s *Service) putGrant(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		a, err := s.grantFromPath(ctx, tx, r)
		if err != nil {
			return err
		}
		return insertAssignment(ctx, tx, a)
	})
	if err != nil {
		return err
	}
	s.cache.clear()
	return noContent(w)
}

func (s *Service) checkGrant(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a, err := s.grantFromPath(ctx, s.db.R(), r)
	if err != nil {
		return err
	}
	ok, err := hasAssignment(ctx, s.db.R(), a)
	if err != nil {
		return err
	}
	if !ok {
		return grantNotFound(a)
	}
	return noContent(w)
}

func (s *Service) deleteGrant(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		a, err := s.grantFromPath(ctx, tx, r)
		if err != nil {
			return err
		}
		ok, err := deleteAssignment(ctx, tx, a)
		if err == nil && !ok {
			err = grantNotFound(a)
		}
		return err
	})
	if err != nil {
		return err
	}
	s.cache.clear()
	return noContent(w)
}

// listGrants lists the roles granted directly (not through groups or
// inheritance) to the actor on the target.
func (s *Service) listGrants(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a, err := s.grantFromPath(ctx, s.db.R(), r)
	if err != nil {
		return err
	}
	var f filter
	f.eq("actor_type", a.ActorType)
	f.eq("actor_id", a.ActorID)
	f.eq("target_type", a.TargetType)
	f.eq("target_id", a.TargetID)
	f.eq("inherited", a.Inherited)
	as, err := listAssignments(ctx, s.db.R(), f)
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(as))
	for _, x := range as {
		ids = append(ids, x.RoleID)
	}
	roles, err := rolesByID(ctx, s.db.R(), ids)
	if err != nil {
		return err
	}
	out := make([]map[string]any, 0, len(roles))
	for _, role := range roles {
		out = append(out, roleWire(r, role))
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"roles": out, "links": listLinks(r)})
}
