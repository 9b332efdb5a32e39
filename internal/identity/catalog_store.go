package identity

import (
	"context"

	"github.com/stratus-iaas/stratus/internal/store"
)

// CatalogService is a catalog service (the name Service is the identity
// service itself).
type CatalogService struct {
	ID, Type, Name, Description string
	Enabled                     bool
	Extra                       map[string]any
}

// Endpoint is a catalog endpoint.
type Endpoint struct {
	ID, ServiceID, Interface, RegionID, URL string
	Enabled                                 bool
	Extra                                   map[string]any

	createRegion bool // the request named a legacy "region": create it when missing
}

// Region is a catalog region.
type Region struct {
	ID, Description, ParentRegionID string
	Extra                           map[string]any
}

// conflictClause makes seeding idempotent across nodes starting at once.
func conflictClause(seed bool) string {
	if seed {
		return " ON CONFLICT DO NOTHING"
	}
	return ""
}

const serviceCols = "id, type, name, description, enabled, extra"

func scanService(sc interface{ Scan(...any) error }) (*CatalogService, error) {
	var v CatalogService
	var extra string
	if err := sc.Scan(&v.ID, &v.Type, &v.Name, &v.Description, &v.Enabled, &extra); err != nil {
		return nil, store.Map(err)
	}
	v.Extra = decodeExtra(extra)
	return &v, nil
}

func getService(ctx context.Context, q store.Querier, id string) (*CatalogService, error) {
	return scanService(q.QueryRowContext(ctx, "SELECT "+serviceCols+" FROM identity_services WHERE id = $1", id))
}

func listServices(ctx context.Context, q store.Querier) ([]*CatalogService, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+serviceCols+" FROM identity_services ORDER BY created_at, type, id")
	if err != nil {
		return nil, err
	}
	return collect(rows, scanService)
}

func listServicesF(ctx context.Context, q store.Querier, _ filter) ([]*CatalogService, error) {
	return listServices(ctx, q)
}

func insertService(ctx context.Context, q store.Querier, v *CatalogService, now int64, seed bool) error {
	_, err := q.ExecContext(ctx, "INSERT INTO identity_services ("+serviceCols+", created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"+conflictClause(seed),
		v.ID, v.Type, v.Name, v.Description, v.Enabled, encodeExtra(v.Extra), now)
	return store.Map(err)
}

func updateService(ctx context.Context, q store.Querier, v *CatalogService) error {
	_, err := q.ExecContext(ctx, "UPDATE identity_services SET type = $2, name = $3, description = $4, enabled = $5, extra = $6 WHERE id = $1",
		v.ID, v.Type, v.Name, v.Description, v.Enabled, encodeExtra(v.Extra))
	return store.Map(err)
}

const endpointCols = "id, service_id, interface, region_id, url, enabled, extra"

func scanEndpoint(sc interface{ Scan(...any) error }) (*Endpoint, error) {
	var v Endpoint
	var extra string
	if err := sc.Scan(&v.ID, &v.ServiceID, &v.Interface, &v.RegionID, &v.URL, &v.Enabled, &extra); err != nil {
		return nil, store.Map(err)
	}
	v.Extra = decodeExtra(extra)
	return &v, nil
}

func getEndpoint(ctx context.Context, q store.Querier, id string) (*Endpoint, error) {
	return scanEndpoint(q.QueryRowContext(ctx, "SELECT "+endpointCols+" FROM identity_endpoints WHERE id = $1", id))
}

func listEndpoints(ctx context.Context, q store.Querier) ([]*Endpoint, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+endpointCols+" FROM identity_endpoints ORDER BY created_at, id")
	if err != nil {
		return nil, err
	}
	return collect(rows, scanEndpoint)
}

func listEndpointsF(ctx context.Context, q store.Querier, f filter) ([]*Endpoint, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+endpointCols+" FROM identity_endpoints"+f.sql()+" ORDER BY created_at, id", f.args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanEndpoint)
}

func insertEndpoint(ctx context.Context, q store.Querier, v *Endpoint, now int64, seed bool) error {
	_, err := q.ExecContext(ctx, "INSERT INTO identity_endpoints ("+endpointCols+", created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"+conflictClause(seed),
		v.ID, v.ServiceID, v.Interface, v.RegionID, v.URL, v.Enabled, encodeExtra(v.Extra), now)
	return store.Map(err)
}

func updateEndpoint(ctx context.Context, q store.Querier, v *Endpoint) error {
	_, err := q.ExecContext(ctx, "UPDATE identity_endpoints SET service_id = $2, interface = $3, region_id = $4, url = $5, enabled = $6, extra = $7 WHERE id = $1",
		v.ID, v.ServiceID, v.Interface, v.RegionID, v.URL, v.Enabled, encodeExtra(v.Extra))
	return store.Map(err)
}

const regionCols = "id, description, parent_region_id, extra"

func scanRegion(sc interface{ Scan(...any) error }) (*Region, error) {
	var v Region
	var extra string
	if err := sc.Scan(&v.ID, &v.Description, &v.ParentRegionID, &extra); err != nil {
		return nil, store.Map(err)
	}
	v.Extra = decodeExtra(extra)
	return &v, nil
}

func getRegion(ctx context.Context, q store.Querier, id string) (*Region, error) {
	return scanRegion(q.QueryRowContext(ctx, "SELECT "+regionCols+" FROM identity_regions WHERE id = $1", id))
}

func listRegions(ctx context.Context, q store.Querier, _ filter) ([]*Region, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+regionCols+" FROM identity_regions ORDER BY id")
	if err != nil {
		return nil, err
	}
	return collect(rows, scanRegion)
}

func insertRegion(ctx context.Context, q store.Querier, v *Region, now int64, seed bool) error {
	_, err := q.ExecContext(ctx, "INSERT INTO identity_regions ("+regionCols+", created_at) VALUES ($1, $2, $3, $4, $5)"+conflictClause(seed),
		v.ID, v.Description, v.ParentRegionID, encodeExtra(v.Extra), now)
	return store.Map(err)
}

func updateRegion(ctx context.Context, q store.Querier, v *Region) error {
	_, err := q.ExecContext(ctx, "UPDATE identity_regions SET description = $2, parent_region_id = $3, extra = $4 WHERE id = $1",
		v.ID, v.Description, v.ParentRegionID, encodeExtra(v.Extra))
	return store.Map(err)
}

// --- OS-EP-FILTER project associations ---

func addProjectEndpoint(ctx context.Context, q store.Querier, projectID, endpointID string) error {
	_, err := q.ExecContext(ctx, "INSERT INTO identity_project_endpoints (project_id, endpoint_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", projectID, endpointID)
	return err
}

func hasProjectEndpoint(ctx context.Context, q store.Querier, projectID, endpointID string) (bool, error) {
	n, err := countRows(ctx, q, "SELECT COUNT(*) FROM identity_project_endpoints WHERE project_id = $1 AND endpoint_id = $2", projectID, endpointID)
	return n > 0, err
}

// removeProjectEndpoint reports whether there was an association.
func removeProjectEndpoint(ctx context.Context, q store.Querier, projectID, endpointID string) (bool, error) {
	return changedRows(ctx, q, "DELETE FROM identity_project_endpoints WHERE project_id = $1 AND endpoint_id = $2", projectID, endpointID)
}

// endpointsOfProject filters endpoints to those associated with the project.
func endpointsOfProject(projectID string) filter {
	var f filter
	f.where = append(f.where, "id IN (SELECT endpoint_id FROM identity_project_endpoints WHERE project_id = $1)")
	f.args = append(f.args, projectID)
	return f
}

// projectsOfEndpoint filters projects to those associated with the endpoint.
func projectsOfEndpoint(endpointID string) filter {
	var f filter
	f.where = append(f.where, "id IN (SELECT project_id FROM identity_project_endpoints WHERE endpoint_id = $1)")
	f.args = append(f.args, endpointID)
	return f
}
