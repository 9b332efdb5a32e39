package compute

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/stratus-iaas/stratus/internal/fault"
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

// ServerGroups lists the groups of p's project, or of every project for
// an admin asking for all.
func (s *Service) ServerGroups(ctx context.Context, p *policy.Principal, allProjects bool) ([]*ServerGroup, error) {
	where, args := `WHERE project_id = $1`, []any{p.ProjectID}
	if allProjects && p.IsAdmin() {
		where, args = ``, nil
	}
	return s.loadGroups(ctx, s.r, where, args...)
}

// DeleteServerGroup deletes a group of p's project (any for admin) and
// its memberships.
func (s *Service) DeleteServerGroup(ctx context.Context, p *policy.Principal, id string) error {
	g, err := s.ServerGroup(ctx, s.r, p, id)
	if err != nil {
		return err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM compute_server_group_members WHERE group_id = $1`, g.ID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM compute_server_groups WHERE id = $1`, g.ID)
		if n, _ := res.RowsAffected(); err == nil && n == 0 {
			return store.ErrNotFound
		}
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return groupNotFound(g.ID)
	}
	return err
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
