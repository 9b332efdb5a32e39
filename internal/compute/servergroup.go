package compute

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// ServerGroup is an os-server-groups group: servers the scheduler keeps on
// one host (affinity) or on different hosts (anti-affinity).
type ServerGroup struct {
	ID        string
	ProjectID string
	UserID    string
	Name      string
	Policy    string
	Rules     map[string]int
	Zone      string // K5 availability_zone
	Members   []string
	CreatedAt time.Time
}

func groupNotFound(id string) *fault.Error {
	return fault.NotFoundf("Instance group %s could not be found.", id)
}

func (s *Service) loadGroups(ctx context.Context, q store.Querier, where string, args ...any) ([]*ServerGroup, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, project_id, user_id, name, policy, rules, availability_zone, created_at
		FROM compute_server_groups `+where+` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, err
	}
	var out []*ServerGroup
	for rows.Next() {
		g := &ServerGroup{}
		var rules string
		var created int64
		if err := rows.Scan(&g.ID, &g.ProjectID, &g.UserID, &g.Name, &g.Policy, &rules, &g.Zone, &created); err != nil {
			rows.Close()
			return nil, err
		}
		json.Unmarshal([]byte(rules), &g.Rules)
		g.CreatedAt = store.Time(created)
		out = append(out, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, g := range out {
		mrows, err := q.QueryContext(ctx, `SELECT m.server_id FROM compute_server_group_members m
			JOIN compute_servers v ON v.id = m.server_id AND v.deleted_at = 0 WHERE m.group_id = $1 ORDER BY m.server_id`, g.ID)
		if err != nil {
			return nil, err
		}
		g.Members = []string{}
		for mrows.Next() {
			var id string
			mrows.Scan(&id)
			g.Members = append(g.Members, id)
		}
		mrows.Close()
	}
	return out, nil
}

// ServerGroup returns a group of p's project (any for admin).
func (s *Service) ServerGroup(ctx context.Context, q store.Querier, p *policy.Principal, id string) (*ServerGroup, error) {
	gs, err := s.loadGroups(ctx, q, `WHERE id = $1`, id)
	if err != nil {
		return nil, err
	}
	if len(gs) == 0 || (gs[0].ProjectID != p.ProjectID && !p.IsAdmin()) {
		return nil, groupNotFound(id)
	}
	return gs[0], nil
}

func (s *Service) createServerGroup(ctx context.Context, p *policy.Principal, g *ServerGroup) error {
	limit, err := s.userLimit(ctx, p.ProjectID, p.UserID, "server_groups")
	if err != nil {
		return err
	}
	g.ID, g.ProjectID, g.UserID, g.CreatedAt = uuid.NewString(), p.ProjectID, p.UserID, time.Now().UTC()
	if g.Rules == nil {
		g.Rules = map[string]int{}
	}
	g.Members = []string{}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var n int64
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM compute_server_groups WHERE project_id = $1`, p.ProjectID).Scan(&n); err != nil {
			return err
		}
		if limit >= 0 && n+1 > limit {
			return fault.Forbiddenf("Quota exceeded, too many server groups.")
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO compute_server_groups (id, project_id, user_id, name, policy, rules, availability_zone, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, g.ID, g.ProjectID, g.UserID, g.Name, g.Policy, jsonText(g.Rules), g.Zone, g.CreatedAt.UnixMicro())
		return err
	})
}

func groupView(r *http.Request, g *ServerGroup) map[string]any {
	v := map[string]any{"id": g.ID, "name": g.Name, "members": g.Members}
	if atLeast(r, 64) {
		v["policy"], v["rules"] = g.Policy, g.Rules
	} else {
		v["policies"], v["metadata"] = []string{g.Policy}, map[string]string{}
	}
	if atLeast(r, 13) {
		v["project_id"], v["user_id"] = g.ProjectID, g.UserID
	}
	return v
}

func (s *Service) listServerGroups(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	where, args := `WHERE project_id = $1`, []any{p.ProjectID}
	if _, all := r.URL.Query()["all_projects"]; all && p.IsAdmin() {
		where, args = ``, nil
	}
	gs, err := s.loadGroups(r.Context(), s.r, where, args...)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	off, _ := strconv.Atoi(q.Get("offset"))
	limit, _, err := page(r)
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for i, g := range gs {
		if i >= off && len(out) < limit {
			out = append(out, groupView(r, g))
		}
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"server_groups": out})
}

func (s *Service) createServerGroupHTTP(w http.ResponseWriter, r *http.Request) error {
	_, m, err := body(r, "server_group")
	if err != nil {
		return err
	}
	g := &ServerGroup{}
	allowed := []string{"name", "policies", "availability_zone"}
	need := []string{"name", "policies"}
	if atLeast(r, 64) {
		allowed, need = []string{"name", "policy", "rules", "availability_zone"}, []string{"name", "policy"}
	}
	if err := required("server_group", m, need...); err != nil {
		return err
	}
	if err := only("server_group", m, allowed...); err != nil {
		return err
	}
	if g.Name, _, err = str(m, "name"); err != nil {
		return err
	}
	if err := name("name", g.Name); err != nil {
		return err
	}
	if g.Zone, _, err = str(m, "availability_zone"); err != nil {
		return err
	}
	valid := []string{"anti-affinity", "affinity"}
	if atLeast(r, 15) {
		valid = append(valid, "soft-anti-affinity", "soft-affinity")
	}
	if atLeast(r, 64) {
		if g.Policy, _, err = str(m, "policy"); err != nil {
			return err
		}
		if !contains(valid, g.Policy) {
			return schemaErr("policy", g.Policy, pyRepr(g.Policy)+" is not one of "+pyRepr(anySlice(valid)))
		}
		if v, ok := m["rules"]; ok {
			if g.Rules, err = parseGroupRules(v); err != nil {
				return err
			}
			if g.Policy != "anti-affinity" && len(g.Rules) > 0 {
				return fault.Invalidf("Only anti-affinity policy supports rules.")
			}
		}
	} else {
		pols, ok := m["policies"].([]any)
		if !ok || len(pols) != 1 {
			return schemaErr("policies", m["policies"], pyRepr(m["policies"])+" is not valid under any of the given schemas")
		}
		ps, ok := pols[0].(string)
		if !ok || !contains(valid, ps) {
			return schemaErr("policies", pols[0], pyRepr(pols[0])+" is not one of "+pyRepr(anySlice(valid)))
		}
		g.Policy = ps
	}
	if err := s.createServerGroup(r.Context(), principal(r), g); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"server_group": groupView(r, g)})
}

func parseGroupRules(v any) (map[string]int, error) {
	m, err := object("rules", v)
	if err != nil {
		return nil, err
	}
	if err := only("rules", m, "max_server_per_host"); err != nil {
		return nil, err
	}
	out := map[string]int{}
	if _, ok := m["max_server_per_host"]; ok {
		n, err := intField(m, "max_server_per_host", 1, 1)
		if err != nil {
			return nil, err
		}
		out["max_server_per_host"] = int(n)
	}
	return out, nil
}

func (s *Service) getServerGroup(w http.ResponseWriter, r *http.Request) error {
	g, err := s.ServerGroup(r.Context(), s.r, principal(r), r.PathValue("group_id"))
	if err != nil {
		return err
	}
	body := map[string]any{"server_group": groupView(r, g)}
	if g.Zone != "" {
		body["availability_zone"] = g.Zone // K5 1.2.6.54 puts it beside server_group
	}
	return httpapi.WriteJSON(w, http.StatusOK, body)
}

func (s *Service) deleteServerGroup(w http.ResponseWriter, r *http.Request) error {
	g, err := s.ServerGroup(r.Context(), s.r, principal(r), r.PathValue("group_id"))
	if err != nil {
		return err
	}
	err = s.db.Tx(r.Context(), func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(r.Context(), `DELETE FROM compute_server_group_members WHERE group_id = $1`, g.ID); err != nil {
			return err
		}
		res, err := tx.ExecContext(r.Context(), `DELETE FROM compute_server_groups WHERE id = $1`, g.ID)
		if n, _ := res.RowsAffected(); err == nil && n == 0 {
			return store.ErrNotFound
		}
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return groupNotFound(g.ID)
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func anySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// groupsOf lists the server groups a server is in (2.71).
func (s *Service) groupsOf(ctx context.Context, id string) []string {
	rows, err := s.r.QueryContext(ctx, `SELECT group_id FROM compute_server_group_members WHERE server_id = $1`, id)
	if err != nil {
		return []string{}
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var g string
		rows.Scan(&g)
		out = append(out, g)
	}
	return out
}
