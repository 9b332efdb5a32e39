package identity

import (
	"net/http"
	"strings"

	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
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

// grantFromPath reads the grant a route names (grant.go checks it).
func grantFromPath(r *http.Request) Assignment {
	a := Assignment{RoleID: r.PathValue("role_id"), Inherited: strings.Contains(r.URL.Path, "/v3/OS-INHERIT/")}
	switch {
	case r.PathValue("project_id") != "":
		a.TargetType, a.TargetID = targetProject, r.PathValue("project_id")
	case r.PathValue("domain_id") != "":
		a.TargetType, a.TargetID = targetDomain, r.PathValue("domain_id")
	default:
		a.TargetType, a.TargetID = targetSystem, systemAll
	}
	if id := r.PathValue("user_id"); id != "" {
		a.ActorType, a.ActorID = actorUser, id
	} else {
		a.ActorType, a.ActorID = actorGroup, r.PathValue("group_id")
	}
	return a
}

func (s *Service) putGrant(w http.ResponseWriter, r *http.Request) error {
	if err := s.PutGrant(r.Context(), grantFromPath(r)); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Service) checkGrant(w http.ResponseWriter, r *http.Request) error {
	if err := s.CheckGrant(r.Context(), grantFromPath(r)); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Service) deleteGrant(w http.ResponseWriter, r *http.Request) error {
	if err := s.DeleteGrant(r.Context(), grantFromPath(r)); err != nil {
		return err
	}
	return noContent(w)
}

// listGrants lists the roles granted directly (not through groups or
// inheritance) to the actor on the target.
func (s *Service) listGrants(w http.ResponseWriter, r *http.Request) error {
	roles, err := s.GrantedRoles(r.Context(), grantFromPath(r))
	if err != nil {
		return err
	}
	out := make([]map[string]any, 0, len(roles))
	for _, role := range roles {
		out = append(out, roleWire(r, role))
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"roles": out, "links": listLinks(r)})
}
