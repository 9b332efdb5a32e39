package identity

import (
	"context"

	"github.com/stratus-iaas/stratus/internal/store"
)

// Group and membership queries (group.go is the Go API over them).

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

// insertMember adds a user to a group (again is no error).
func insertMember(ctx context.Context, q store.Querier, groupID, userID string) error {
	_, err := q.ExecContext(ctx, "INSERT INTO identity_group_members (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", groupID, userID)
	return err
}

func hasMember(ctx context.Context, q store.Querier, groupID, userID string) (bool, error) {
	n, err := countRows(ctx, q, "SELECT COUNT(*) FROM identity_group_members WHERE group_id = $1 AND user_id = $2", groupID, userID)
	return n > 0, err
}

// deleteMember removes a user from a group, reporting whether it was one.
func deleteMember(ctx context.Context, q store.Querier, groupID, userID string) (bool, error) {
	return changedRows(ctx, q, "DELETE FROM identity_group_members WHERE group_id = $1 AND user_id = $2", groupID, userID)
}

// membersFilter selects the users of a group; groupsFilter the groups of
// a user.
func membersFilter(groupID string) filter {
	var f filter
	f.where = append(f.where, "id IN (SELECT user_id FROM identity_group_members WHERE group_id = $1)")
	f.args = append(f.args, groupID)
	return f
}

func groupsFilter(userID string) filter {
	var f filter
	f.where = append(f.where, "id IN (SELECT group_id FROM identity_group_members WHERE user_id = $1)")
	f.args = append(f.args, userID)
	return f
}
