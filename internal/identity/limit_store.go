package identity

import (
	"context"
	"database/sql"
	"errors"

	"github.com/stratus-iaas/stratus/internal/store"
)

// Unified limit queries (limit.go is the Go API over them).

// UnifiedLimit is a registered limit (ProjectID and DomainID empty) or a
// project or domain limit.
type UnifiedLimit struct {
	ID, ServiceID, RegionID, ResourceName, Description string
	ProjectID, DomainID                                string
	Limit                                              int64
}

const registeredLimitCols = "id, service_id, region_id, resource_name, default_limit, description"
const limitCols = "id, project_id, domain_id, service_id, region_id, resource_name, resource_limit, description"

func scanRegisteredLimit(sc interface{ Scan(...any) error }) (*UnifiedLimit, error) {
	var l UnifiedLimit
	if err := sc.Scan(&l.ID, &l.ServiceID, &l.RegionID, &l.ResourceName, &l.Limit, &l.Description); err != nil {
		return nil, store.Map(err)
	}
	return &l, nil
}

func scanLimit(sc interface{ Scan(...any) error }) (*UnifiedLimit, error) {
	var l UnifiedLimit
	if err := sc.Scan(&l.ID, &l.ProjectID, &l.DomainID, &l.ServiceID, &l.RegionID, &l.ResourceName, &l.Limit, &l.Description); err != nil {
		return nil, store.Map(err)
	}
	return &l, nil
}

func getRegisteredLimit(ctx context.Context, q store.Querier, id string) (*UnifiedLimit, error) {
	return scanRegisteredLimit(q.QueryRowContext(ctx, "SELECT "+registeredLimitCols+" FROM identity_registered_limits WHERE id = $1", id))
}

func listRegisteredLimits(ctx context.Context, q store.Querier) ([]*UnifiedLimit, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+registeredLimitCols+" FROM identity_registered_limits ORDER BY created_at, id")
	if err != nil {
		return nil, err
	}
	return collect(rows, scanRegisteredLimit)
}

func insertRegisteredLimit(ctx context.Context, q store.Querier, l *UnifiedLimit, now int64) error {
	_, err := q.ExecContext(ctx, "INSERT INTO identity_registered_limits ("+registeredLimitCols+", created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
		l.ID, l.ServiceID, l.RegionID, l.ResourceName, l.Limit, l.Description, now)
	return store.Map(err)
}

func updateRegisteredLimit(ctx context.Context, q store.Querier, l *UnifiedLimit) error {
	_, err := q.ExecContext(ctx, "UPDATE identity_registered_limits SET service_id = $2, region_id = $3, resource_name = $4, default_limit = $5, description = $6 WHERE id = $1",
		l.ID, l.ServiceID, l.RegionID, l.ResourceName, l.Limit, l.Description)
	return store.Map(err)
}

// countRegisteredLimits counts the registered limits of l's service,
// region and resource (a limit needs one).
func countRegisteredLimits(ctx context.Context, q store.Querier, l *UnifiedLimit) (int, error) {
	return countRows(ctx, q, "SELECT COUNT(*) FROM identity_registered_limits WHERE service_id = $1 AND region_id = $2 AND resource_name = $3",
		l.ServiceID, l.RegionID, l.ResourceName)
}

// limitsOf counts the limits that refer to a registered limit.
func limitsOf(ctx context.Context, q store.Querier, l *UnifiedLimit) (int, error) {
	return countRows(ctx, q, "SELECT COUNT(*) FROM identity_limits WHERE service_id = $1 AND region_id = $2 AND resource_name = $3",
		l.ServiceID, l.RegionID, l.ResourceName)
}

func getLimit(ctx context.Context, q store.Querier, id string) (*UnifiedLimit, error) {
	return scanLimit(q.QueryRowContext(ctx, "SELECT "+limitCols+" FROM identity_limits WHERE id = $1", id))
}

func listLimits(ctx context.Context, q store.Querier, f filter) ([]*UnifiedLimit, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+limitCols+" FROM identity_limits"+f.sql()+" ORDER BY created_at, id", f.args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanLimit)
}

func insertLimit(ctx context.Context, q store.Querier, l *UnifiedLimit, now int64) error {
	_, err := q.ExecContext(ctx, "INSERT INTO identity_limits ("+limitCols+", created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
		l.ID, l.ProjectID, l.DomainID, l.ServiceID, l.RegionID, l.ResourceName, l.Limit, l.Description, now)
	return store.Map(err)
}

// updateLimitValue stores a limit's value and description, the only
// fields that change.
func updateLimitValue(ctx context.Context, q store.Querier, l *UnifiedLimit) error {
	_, err := q.ExecContext(ctx, "UPDATE identity_limits SET resource_limit = $2, description = $3 WHERE id = $1", l.ID, l.Limit, l.Description)
	return err
}

// effectiveLimit is the limit of a resource for project p: its own, else
// its domain's, else the registered default; ok is false when none is
// registered.
func effectiveLimit(ctx context.Context, q store.Querier, p *Project, serviceType, region, resource string) (limit int64, ok bool, err error) {
	row := q.QueryRowContext(ctx, `SELECT l.limit_value FROM (
		SELECT 1 AS rank, resource_limit AS limit_value, service_id, region_id, resource_name FROM identity_limits WHERE project_id = $1
		UNION ALL SELECT 2, resource_limit, service_id, region_id, resource_name FROM identity_limits WHERE domain_id = $2
		UNION ALL SELECT 3, default_limit, service_id, region_id, resource_name FROM identity_registered_limits) l
		JOIN identity_services s ON s.id = l.service_id
		WHERE s.type = $3 AND (l.region_id = '' OR l.region_id = $4) AND l.resource_name = $5
		ORDER BY l.rank, l.region_id DESC LIMIT 1`, p.ID, p.DomainID, serviceType, region, resource)
	if err := row.Scan(&limit); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return 0, false, nil
		}
		return 0, false, err
	}
	return limit, true, nil
}
