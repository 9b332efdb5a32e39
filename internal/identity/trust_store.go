package identity

import (
	"context"

	"github.com/stratus-iaas/stratus/internal/store"
)

// Trust is an OS-TRUST delegation: the trustor lets the trustee act on
// ProjectID with RoleIDs (impersonating the trustor when Impersonation).
type Trust struct {
	ID, TrustorID, TrusteeID, ProjectID string
	Impersonation                       bool
	ExpiresAt                           int64 // unix µs; 0 never
	RemainingUses                       int64 // -1 unlimited
	RedelegationCount                   int64
	RedelegatedTrustID                  string
	Extra                               map[string]any
	RoleIDs                             []string
	DeletedAt                           int64
}

const trustCols = "id, trustor_user_id, trustee_user_id, project_id, impersonation, expires_at, remaining_uses, redelegation_count, redelegated_trust_id, extra, deleted_at"

func scanTrust(sc interface{ Scan(...any) error }) (*Trust, error) {
	var t Trust
	var extra string
	if err := sc.Scan(&t.ID, &t.TrustorID, &t.TrusteeID, &t.ProjectID, &t.Impersonation, &t.ExpiresAt, &t.RemainingUses,
		&t.RedelegationCount, &t.RedelegatedTrustID, &extra, &t.DeletedAt); err != nil {
		return nil, store.Map(err)
	}
	t.Extra = decodeExtra(extra)
	return &t, nil
}

// getTrust returns a trust with its roles, deleted ones included.
func getTrust(ctx context.Context, q store.Querier, id string) (*Trust, error) {
	t, err := scanTrust(q.QueryRowContext(ctx, "SELECT "+trustCols+" FROM identity_trusts WHERE id = $1", id))
	if err != nil {
		return nil, err
	}
	t.RoleIDs, err = stringColumn(ctx, q, "SELECT role_id FROM identity_trust_roles WHERE trust_id = $1 ORDER BY role_id", id)
	return t, err
}

func listTrusts(ctx context.Context, q store.Querier, f filter) ([]*Trust, error) {
	f.eq("deleted_at", 0)
	rows, err := q.QueryContext(ctx, "SELECT "+trustCols+" FROM identity_trusts"+f.sql()+" ORDER BY created_at, id", f.args...)
	if err != nil {
		return nil, err
	}
	ts, err := collect(rows, scanTrust)
	for _, t := range ts {
		if err != nil {
			break
		}
		t.RoleIDs, err = stringColumn(ctx, q, "SELECT role_id FROM identity_trust_roles WHERE trust_id = $1 ORDER BY role_id", t.ID)
	}
	return ts, err
}

func insertTrust(ctx context.Context, q store.Querier, t *Trust, now int64) error {
	_, err := q.ExecContext(ctx, "INSERT INTO identity_trusts ("+trustCols+", created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11)",
		t.ID, t.TrustorID, t.TrusteeID, t.ProjectID, t.Impersonation, t.ExpiresAt, t.RemainingUses, t.RedelegationCount,
		t.RedelegatedTrustID, encodeExtra(t.Extra), now)
	if err != nil {
		return store.Map(err)
	}
	for _, r := range t.RoleIDs {
		if _, err := q.ExecContext(ctx, "INSERT INTO identity_trust_roles (trust_id, role_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", t.ID, r); err != nil {
			return store.Map(err)
		}
	}
	return nil
}
