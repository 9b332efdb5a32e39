package identity

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"github.com/stratus-iaas/stratus/internal/store"
)

// Assignment grants a role to an actor (a user or a group) on a target (a
// project, a domain, or the system). An inherited assignment (OS-INHERIT)
// applies to the projects below its target, not to the target itself.
type Assignment struct {
	ActorType, ActorID   string
	TargetType, TargetID string
	RoleID               string
	Inherited            bool
}

const (
	actorUser  = "user"
	actorGroup = "group"

	targetProject = "project"
	targetDomain  = "domain"
	targetSystem  = "system"
	systemAll     = "all" // the one system target, Keystone's system: {all: true}
)

const assignmentCols = "actor_type, actor_id, target_type, target_id, role_id, inherited"

func scanAssignment(sc interface{ Scan(...any) error }) (*Assignment, error) {
	var a Assignment
	if err := sc.Scan(&a.ActorType, &a.ActorID, &a.TargetType, &a.TargetID, &a.RoleID, &a.Inherited); err != nil {
		return nil, store.Map(err)
	}
	return &a, nil
}

func listAssignments(ctx context.Context, q store.Querier, f filter) ([]*Assignment, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+assignmentCols+" FROM identity_role_assignments"+f.sql()+
		" ORDER BY actor_type DESC, actor_id, target_type, target_id, role_id, inherited", f.args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanAssignment)
}

func insertAssignment(ctx context.Context, q store.Querier, a Assignment) error {
	_, err := q.ExecContext(ctx, "INSERT INTO identity_role_assignments ("+assignmentCols+") VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
		a.ActorType, a.ActorID, a.TargetType, a.TargetID, a.RoleID, a.Inherited)
	return store.Map(err)
}

const assignmentKey = "actor_type = $1 AND actor_id = $2 AND target_type = $3 AND target_id = $4 AND role_id = $5 AND inherited = $6"

func deleteAssignment(ctx context.Context, q store.Querier, a Assignment) (bool, error) {
	return changedRows(ctx, q, "DELETE FROM identity_role_assignments WHERE "+assignmentKey,
		a.ActorType, a.ActorID, a.TargetType, a.TargetID, a.RoleID, a.Inherited)
}

func hasAssignment(ctx context.Context, q store.Querier, a Assignment) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, "SELECT 1 FROM identity_role_assignments WHERE "+assignmentKey,
		a.ActorType, a.ActorID, a.TargetType, a.TargetID, a.RoleID, a.Inherited).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, store.Map(err)
}

// actorAssignments is every assignment of userID and of the groups it
// belongs to, on the given targets (type and id pairs; all when none).
func actorAssignments(ctx context.Context, q store.Querier, userID string, targets ...[2]string) ([]*Assignment, error) {
	args := []any{userID}
	where := "((actor_type = 'user' AND actor_id = $1) OR (actor_type = 'group' AND actor_id IN " +
		"(SELECT group_id FROM identity_group_members WHERE user_id = $1)))"
	if len(targets) > 0 {
		var or []string
		for _, t := range targets {
			args = append(args, t[0], t[1])
			or = append(or, "(target_type = $"+strconv.Itoa(len(args)-1)+" AND target_id = $"+strconv.Itoa(len(args))+")")
		}
		where += " AND (" + strings.Join(or, " OR ") + ")"
	}
	rows, err := q.QueryContext(ctx, "SELECT "+assignmentCols+" FROM identity_role_assignments WHERE "+where, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanAssignment)
}

// groupIDsOf is the groups userID is a member of.
func groupIDsOf(ctx context.Context, q store.Querier, userID string) ([]string, error) {
	return stringColumn(ctx, q, "SELECT group_id FROM identity_group_members WHERE user_id = $1 ORDER BY group_id", userID)
}

// groupMemberIDs are the users of a group, by id.
func groupMemberIDs(ctx context.Context, q store.Querier, groupID string) ([]string, error) {
	return stringColumn(ctx, q, "SELECT user_id FROM identity_group_members WHERE group_id = $1 ORDER BY user_id", groupID)
}

// domainProjectIDs are the projects of a domain, by name.
func domainProjectIDs(ctx context.Context, q store.Querier, domainID string) ([]string, error) {
	return stringColumn(ctx, q, "SELECT id FROM identity_projects WHERE domain_id = $1 ORDER BY name, id", domainID)
}

// stringColumn runs a query of one text column.
func stringColumn(ctx context.Context, q store.Querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// implications is every implied-role rule: prior role id → implied ids.
func implications(ctx context.Context, q store.Querier) (map[string][]string, error) {
	rows, err := q.QueryContext(ctx, "SELECT prior_role_id, implied_role_id FROM identity_implied_roles ORDER BY prior_role_id, implied_role_id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[string][]string{}
	for rows.Next() {
		var p, i string
		if err := rows.Scan(&p, &i); err != nil {
			return nil, err
		}
		m[p] = append(m[p], i)
	}
	return m, rows.Err()
}

// rolesByID loads the roles with the given ids (missing ones are skipped).
func rolesByID(ctx context.Context, q store.Querier, ids []string) ([]*Role, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	ph := make([]string, len(ids))
	for i, id := range ids {
		args[i] = id
		ph[i] = "$" + strconv.Itoa(i+1)
	}
	rows, err := q.QueryContext(ctx, "SELECT "+roleCols+" FROM identity_roles WHERE id IN ("+strings.Join(ph, ", ")+") ORDER BY name, id", args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanRole)
}

// childProjects is the ids of the projects whose parent is id.
func childProjects(ctx context.Context, q store.Querier, id string) ([]string, error) {
	return stringColumn(ctx, q, "SELECT id FROM identity_projects WHERE parent_id = $1 AND id <> $1 ORDER BY name, id", id)
}

func addImplication(ctx context.Context, q store.Querier, prior, implied string) error {
	_, err := q.ExecContext(ctx, "INSERT INTO identity_implied_roles (prior_role_id, implied_role_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", prior, implied)
	return err
}

func hasImplication(ctx context.Context, q store.Querier, prior, implied string) (bool, error) {
	n, err := countRows(ctx, q, "SELECT COUNT(*) FROM identity_implied_roles WHERE prior_role_id = $1 AND implied_role_id = $2", prior, implied)
	return n > 0, err
}

// removeImplication reports whether there was such a rule.
func removeImplication(ctx context.Context, q store.Querier, prior, implied string) (bool, error) {
	return changedRows(ctx, q, "DELETE FROM identity_implied_roles WHERE prior_role_id = $1 AND implied_role_id = $2", prior, implied)
}
