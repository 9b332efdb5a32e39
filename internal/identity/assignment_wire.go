package identity

import "net/http"

// Role assignments as Keystone's _format_entity renders them, links
// included (assignment, membership, prior_role), with names when asked
// (assignment_list.go looks them up).

func domainRefWire(d *Domain) map[string]any {
	return map[string]any{"id": d.ID, "name": d.Name}
}

// assignmentWire renders one listed assignment.
func assignmentWire(r *http.Request, la ListedAssignment) map[string]any {
	a := la.effRef
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
	if la.Names != nil {
		addNames(m, a, la.Names)
	}
	return m
}

func addNames(m map[string]any, a effRef, n *AssignmentNames) {
	role := m["role"].(map[string]any)
	role["name"] = n.Role.Name
	if n.RoleDomain != nil {
		role["domain"] = domainRefWire(n.RoleDomain)
	}
	if a.ActorType == actorUser {
		user := m["user"].(map[string]any)
		user["name"] = n.User.Name
		user["domain"] = domainRefWire(n.ActorDomain)
	} else {
		group := m["group"].(map[string]any)
		group["name"] = n.Group.Name
		group["domain"] = domainRefWire(n.ActorDomain)
	}
	scope := m["scope"].(map[string]any)
	switch a.TargetType {
	case targetProject:
		scope["project"] = map[string]any{"id": n.Project.ID, "name": n.Project.Name, "domain": domainRefWire(n.ProjectDomain)}
	case targetDomain:
		scope["domain"] = domainRefWire(n.Domain)
	}
}
