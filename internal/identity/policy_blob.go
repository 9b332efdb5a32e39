package identity

import (
	"context"
	"database/sql"

	"github.com/stratus-iaas/stratus/internal/store"
)

// /v3/policies: Keystone's (deprecated) store of policy blobs, which
// services may fetch; stratus keeps and returns them and enforces its own
// policy (routes.go), as Keystone does not enforce these blobs either.
// policy_blob_http.go decodes and renders.

// PolicyBlob is a stored policy document.
type PolicyBlob struct {
	ID, Type, Blob string
	Extra          map[string]any
}

const policyBlobCols = "id, type, blob, extra"

func scanPolicyBlob(sc interface{ Scan(...any) error }) (*PolicyBlob, error) {
	var p PolicyBlob
	var extra string
	if err := sc.Scan(&p.ID, &p.Type, &p.Blob, &extra); err != nil {
		return nil, store.Map(err)
	}
	p.Extra = decodeExtra(extra)
	return &p, nil
}

func getPolicyBlob(ctx context.Context, q store.Querier, id string) (*PolicyBlob, error) {
	return scanPolicyBlob(q.QueryRowContext(ctx, "SELECT "+policyBlobCols+" FROM identity_policies WHERE id = $1", id))
}

func listPolicyBlobs(ctx context.Context, q store.Querier, _ filter) ([]*PolicyBlob, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+policyBlobCols+" FROM identity_policies ORDER BY created_at, id")
	if err != nil {
		return nil, err
	}
	return collect(rows, scanPolicyBlob)
}

func insertPolicyBlob(ctx context.Context, q store.Querier, p *PolicyBlob, now int64) error {
	_, err := q.ExecContext(ctx, "INSERT INTO identity_policies ("+policyBlobCols+", created_at) VALUES ($1, $2, $3, $4, $5)",
		p.ID, p.Type, p.Blob, encodeExtra(p.Extra), now)
	return store.Map(err)
}

func savePolicyBlob(ctx context.Context, q store.Querier, p *PolicyBlob) error {
	_, err := q.ExecContext(ctx, "UPDATE identity_policies SET type = $2, blob = $3, extra = $4 WHERE id = $1", p.ID, p.Type, p.Blob, encodeExtra(p.Extra))
	return store.Map(err)
}

// CreatePolicyBlob stores a new policy blob.
func (s *Service) CreatePolicyBlob(ctx context.Context, p *PolicyBlob) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error { return insertPolicyBlob(ctx, tx, p, s.nowMicro()) })
}
