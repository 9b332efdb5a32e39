package identity

import (
	"net/http"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// Group handlers: /v3/groups and their members (group.go is the Go API).

var groupKind = &entity[Group]{
	name: "group", param: "group_id", table: "identity_groups",
	fetch: getGroup, list: listGroups, apply: applyGroup, save: updateGroup, wire: groupWire,
	conflict: func(g *Group) error { return conflict("group", g.Name, g.DomainID) },
	filters:  []string{"name", "domain_id"},
}

// groupFields are the attributes Keystone models; others are extra.
var groupFields = map[string]bool{"id": true, "name": true, "domain_id": true, "description": true, "links": true}

func applyGroup(o object, g *Group, create bool) error {
	if err := o.common(create, maxName, &g.Name, &g.Description, nil); err != nil {
		return err
	}
	if !create {
		if d, ok, _ := o.str("domain_id"); ok && d != g.DomainID {
			return fault.Invalidf("Update of `domain_id` is not allowed.")
		}
	}
	o.extra(g.Extra, groupFields)
	return nil
}

func groupWire(r *http.Request, g *Group) map[string]any {
	m := withExtra(g.Extra)
	m["id"], m["name"], m["domain_id"], m["description"] = g.ID, g.Name, g.DomainID, g.Description
	m["links"] = selfLinks(r, "/groups/"+g.ID)
	return m
}

func (s *Service) listGroups(w http.ResponseWriter, r *http.Request) error {
	return groupKind.listed(w, r, s.db.R(), filter{})
}

func (s *Service) createGroup(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeEntity(r, "group")
	if err != nil {
		return err
	}
	g := &Group{ID: newID(), Extra: map[string]any{}}
	if g.DomainID, _, err = o.str("domain_id"); err != nil {
		return err
	}
	if err := applyGroup(o, g, true); err != nil {
		return err
	}
	if err := s.CreateGroup(r.Context(), policy.FromContext(r.Context()), g); err != nil {
		return err
	}
	return groupKind.respond(w, r, http.StatusCreated, g)
}

func (s *Service) addGroupUser(w http.ResponseWriter, r *http.Request) error {
	if err := s.AddGroupUser(r.Context(), r.PathValue("group_id"), r.PathValue("user_id")); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Service) checkGroupUser(w http.ResponseWriter, r *http.Request) error {
	if err := s.CheckGroupUser(r.Context(), r.PathValue("group_id"), r.PathValue("user_id")); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Service) removeGroupUser(w http.ResponseWriter, r *http.Request) error {
	if err := s.RemoveGroupUser(r.Context(), r.PathValue("group_id"), r.PathValue("user_id")); err != nil {
		return err
	}
	return noContent(w)
}

// listGroupUsers is GET /v3/groups/{group_id}/users.
func (s *Service) listGroupUsers(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("group_id")
	if _, err := s.group(r.Context(), s.db.R(), id); err != nil {
		return err
	}
	return userKind.listed(w, r, s.db.R(), membersFilter(id))
}

// listUserGroups is GET /v3/users/{user_id}/groups.
func (s *Service) listUserGroups(w http.ResponseWriter, r *http.Request) error {
	gs, err := s.UserGroups(r.Context(), r.PathValue("user_id"))
	if err != nil {
		return err
	}
	out := make([]map[string]any, 0, len(gs))
	for _, g := range gs {
		m := groupWire(r, g)
		if !groupKind.matches(r, m) {
			continue
		}
		m["membership_expires_at"] = nil
		out = append(out, m)
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"groups": out, "links": listLinks(r)})
}
