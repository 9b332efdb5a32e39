package identity

import (
	"context"
	"database/sql"
	"errors"
	"net/http"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Groups, as keystone/api/groups.py: a named set of users in a domain;
// roles granted to a group count for each member (grant_http.go,
// assignment.go).

// Group is a Keystone group.
type Group struct {
	ID, DomainID, Name, Description string
	Extra                           map[string]any
}

const groupCols = "id, domain_id, name, description, extra"

func scanGroup(sc interface{ Scan(...any) error }) (*Group, error) {
	var g Group
	var extra string
	if err := sc.Scan(&g.ID, &g.DomainID, &g.Name, &g.Description, &extra); err != nil {
		return nil, store.Map(err)
	}
	g.Extra = decodeExtra(extra)
	return &g, nil
}

func getGroup(ctx context.Context, q store.Querier, id string) (*Group, error) {
	return scanGroup(q.QueryRowContext(ctx, "SELECT "+groupCols+" FROM identity_groups WHERE id = $1", id))
}

func listGroups(ctx context.Context, q store.Querier, f filter) ([]*Group, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+groupCols+" FROM identity_groups"+f.sql()+" ORDER BY name, id", f.args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanGroup)
}

func insertGroup(ctx context.Context, q store.Querier, g *Group, now int64) error {
	_, err := q.ExecContext(ctx, "INSERT INTO identity_groups ("+groupCols+", created_at) VALUES ($1, $2, $3, $4, $5, $6)",
		g.ID, g.DomainID, g.Name, g.Description, encodeExtra(g.Extra), now)
	return store.Map(err)
}

func updateGroup(ctx context.Context, q store.Querier, g *Group) error {
	_, err := q.ExecContext(ctx, "UPDATE identity_groups SET name = $2, description = $3, extra = $4 WHERE id = $1",
		g.ID, g.Name, g.Description, encodeExtra(g.Extra))
	return store.Map(err)
}

var groupKind = &entity[Group]{
	name: "group", param: "group_id", table: "identity_groups",
	fetch: getGroup, list: listGroups, apply: applyGroup, save: updateGroup, wire: groupWire,
	conflict: func(g *Group) error { return conflict("group", g.Name, g.DomainID) },
	filters:  []string{"name", "domain_id"},
}

func (s *Service) group(ctx context.Context, q store.Querier, id string) (*Group, error) {
	return groupKind.load(ctx, q, id)
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
	if g.DomainID == "" {
		g.DomainID = callerDomain(r)
	}
	if err := applyGroup(o, g, true); err != nil {
		return err
	}
	ctx := r.Context()
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.domain(ctx, tx, g.DomainID); err != nil {
			return err
		}
		return insertGroup(ctx, tx, g, s.nowMicro())
	})
	if errors.Is(err, store.ErrConflict) {
		return conflict("group", g.Name, g.DomainID)
	}
	if err != nil {
		return err
	}
	return groupKind.respond(w, r, http.StatusCreated, g)
}

// deleteGroupRows removes a group's members and role assignments.
func deleteGroupRows(ctx context.Context, tx *sql.Tx, id string) error {
	return execAll(ctx, tx, id, "DELETE FROM identity_group_members WHERE group_id = $1",
		"DELETE FROM identity_role_assignments WHERE actor_type = 'group' AND actor_id = $1")
}

// --- membership ---

func (s *Service) membership(ctx context.Context, q store.Querier, r *http.Request) (groupID, userID string, err error) {
	groupID, userID = r.PathValue("group_id"), r.PathValue("user_id")
	if _, err = s.group(ctx, q, groupID); err != nil {
		return
	}
	_, err = s.user(ctx, q, userID)
	return
}

func (s *Service) addGroupUser(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		g, u, err := s.membership(ctx, tx, r)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO identity_group_members (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", g, u)
		return err
	})
	if err != nil {
		return err
	}
	s.cache.clear()
	return noContent(w)
}

func memberNotFound(g, u string) *fault.Error {
	return fault.NotFoundf("User '%s' not found in group '%s'", u, g)
}

func (s *Service) checkGroupUser(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	g, u, err := s.membership(ctx, s.db.R(), r)
	if err != nil {
		return err
	}
	n, err := countRows(ctx, s.db.R(), "SELECT COUNT(*) FROM identity_group_members WHERE group_id = $1 AND user_id = $2", g, u)
	if err != nil {
		return err
	}
	if n == 0 {
		return memberNotFound(g, u)
	}
	return noContent(w)
}

func (s *Service) removeGroupUser(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		g, u, err := s.membership(ctx, tx, r)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM identity_group_members WHERE group_id = $1 AND user_id = $2", g, u)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return memberNotFound(g, u)
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.cache.clear()
	return noContent(w)
}

// listGroupUsers is GET /v3/groups/{group_id}/users.
func (s *Service) listGroupUsers(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := r.PathValue("group_id")
	if _, err := s.group(ctx, s.db.R(), id); err != nil {
		return err
	}
	var f filter
	f.where = append(f.where, "id IN (SELECT user_id FROM identity_group_members WHERE group_id = $1)")
	f.args = append(f.args, id)
	return userKind.listed(w, r, s.db.R(), f)
}

// listUserGroups is GET /v3/users/{user_id}/groups.
func (s *Service) listUserGroups(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := r.PathValue("user_id")
	if _, err := s.user(ctx, s.db.R(), id); err != nil {
		return err
	}
	var f filter
	f.where = append(f.where, "id IN (SELECT group_id FROM identity_group_members WHERE user_id = $1)")
	f.args = append(f.args, id)
	gs, err := listGroups(ctx, s.db.R(), f)
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
