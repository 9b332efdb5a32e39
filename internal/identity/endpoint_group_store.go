package identity

import (
	"context"
	"encoding/json"

	"github.com/stratus-iaas/stratus/internal/store"
)

// Endpoint group queries and their project associations (endpoint_group.go
// is the Go API over them).

// EndpointGroup is a named endpoint filter.
type EndpointGroup struct {
	ID, Name, Description string
	Filters               map[string]string
}

func scanEndpointGroup(sc interface{ Scan(...any) error }) (*EndpointGroup, error) {
	var g EndpointGroup
	var filters string
	if err := sc.Scan(&g.ID, &g.Name, &g.Description, &filters); err != nil {
		return nil, store.Map(err)
	}
	if json.Unmarshal([]byte(filters), &g.Filters) != nil || g.Filters == nil {
		g.Filters = map[string]string{}
	}
	return &g, nil
}

const endpointGroupCols = "id, name, description, filters"

func getEndpointGroup(ctx context.Context, q store.Querier, id string) (*EndpointGroup, error) {
	return scanEndpointGroup(q.QueryRowContext(ctx, "SELECT "+endpointGroupCols+" FROM identity_endpoint_groups WHERE id = $1", id))
}

func listEndpointGroups(ctx context.Context, q store.Querier, f filter) ([]*EndpointGroup, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+endpointGroupCols+" FROM identity_endpoint_groups"+f.sql()+" ORDER BY created_at, id", f.args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanEndpointGroup)
}

func insertEndpointGroup(ctx context.Context, q store.Querier, g *EndpointGroup, now int64) error {
	filters, _ := json.Marshal(g.Filters)
	_, err := q.ExecContext(ctx, "INSERT INTO identity_endpoint_groups ("+endpointGroupCols+", created_at) VALUES ($1, $2, $3, $4, $5)",
		g.ID, g.Name, g.Description, string(filters), now)
	return store.Map(err)
}

func saveEndpointGroup(ctx context.Context, q store.Querier, g *EndpointGroup) error {
	filters, _ := json.Marshal(g.Filters)
	_, err := q.ExecContext(ctx, "UPDATE identity_endpoint_groups SET name = $2, description = $3, filters = $4 WHERE id = $1",
		g.ID, g.Name, g.Description, string(filters))
	return store.Map(err)
}

// insertProjectEndpointGroup associates a group with a project (again is
// no error).
func insertProjectEndpointGroup(ctx context.Context, q store.Querier, groupID, projectID string) error {
	_, err := q.ExecContext(ctx, "INSERT INTO identity_project_endpoint_groups (endpoint_group_id, project_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", groupID, projectID)
	return err
}

func hasProjectEndpointGroup(ctx context.Context, q store.Querier, groupID, projectID string) (bool, error) {
	n, err := countRows(ctx, q, "SELECT COUNT(*) FROM identity_project_endpoint_groups WHERE endpoint_group_id = $1 AND project_id = $2", groupID, projectID)
	return n > 0, err
}

// deleteProjectEndpointGroup removes an association, reporting whether
// there was one.
func deleteProjectEndpointGroup(ctx context.Context, q store.Querier, groupID, projectID string) (bool, error) {
	return changedRows(ctx, q, "DELETE FROM identity_project_endpoint_groups WHERE endpoint_group_id = $1 AND project_id = $2", groupID, projectID)
}

// projectsOfEndpointGroup selects the projects associated with a group;
// endpointGroupsOfProject the groups associated with a project.
func projectsOfEndpointGroup(groupID string) filter {
	var f filter
	f.where = append(f.where, "id IN (SELECT project_id FROM identity_project_endpoint_groups WHERE endpoint_group_id = $1)")
	f.args = append(f.args, groupID)
	return f
}

func endpointGroupsOfProject(projectID string) filter {
	var f filter
	f.where = append(f.where, "id IN (SELECT endpoint_group_id FROM identity_project_endpoint_groups WHERE project_id = $1)")
	f.args = append(f.args, projectID)
	return f
}

// projectEndpointGroupPair is one association row.
type projectEndpointGroupPair struct{ groupID, projectID string }

func listProjectEndpointGroupPairs(ctx context.Context, q store.Querier) ([]projectEndpointGroupPair, error) {
	rows, err := q.QueryContext(ctx, "SELECT endpoint_group_id, project_id FROM identity_project_endpoint_groups")
	if err != nil {
		return nil, err
	}
	var as []projectEndpointGroupPair
	for rows.Next() {
		var a projectEndpointGroupPair
		if err := rows.Scan(&a.groupID, &a.projectID); err != nil {
			rows.Close()
			return nil, err
		}
		as = append(as, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return as, nil
}
