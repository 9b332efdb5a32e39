package identity

import (
	"net/http"

	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// GET /v3/role_assignments (assignment_list.go): the user.id, group.id,
// role.id, scope.project.id, scope.domain.id, scope.system and
// scope.OS-INHERIT:inherited_to filters, effective, include_names and
// include_subtree.

func (s *Service) listRoleAssignments(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	flag := func(k string) bool { return q.Has(k) && queryBool(q.Get(k)) }
	aq := AssignmentQuery{
		UserID: q.Get("user.id"), GroupID: q.Get("group.id"), RoleID: q.Get("role.id"),
		ProjectID: q.Get("scope.project.id"), DomainID: q.Get("scope.domain.id"), System: q.Get("scope.system"),
		Effective: flag("effective"), IncludeSubtree: flag("include_subtree"), IncludeNames: flag("include_names"),
	}
	if q.Has("scope.OS-INHERIT:inherited_to") {
		v := q.Get("scope.OS-INHERIT:inherited_to") == "projects"
		aq.InheritedTo = &v
	}
	las, err := s.RoleAssignments(r.Context(), aq)
	if err != nil {
		return err
	}
	out := make([]map[string]any, 0, len(las))
	for _, la := range las {
		out = append(out, assignmentWire(r, la))
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"role_assignments": out, "links": listLinks(r)})
}
