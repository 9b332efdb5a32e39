package identity

import (
	"context"

	"github.com/stratus-iaas/stratus/internal/store"
)

const credentialCols = "id, user_id, project_id, type, blob"

func scanCredential(sc interface{ Scan(...any) error }) (*Credential, error) {
	var c Credential
	if err := sc.Scan(&c.ID, &c.UserID, &c.ProjectID, &c.Type, &c.Blob); err != nil {
		return nil, store.Map(err)
	}
	return &c, nil
}

func getCredential(ctx context.Context, q store.Querier, id string) (*Credential, error) {
	return scanCredential(q.QueryRowContext(ctx, "SELECT "+credentialCols+" FROM identity_credentials WHERE id = $1", id))
}

func listCredentials(ctx context.Context, q store.Querier, f filter) ([]*Credential, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+credentialCols+" FROM identity_credentials"+f.sql()+" ORDER BY created_at, id", f.args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanCredential)
}

func insertCredential(ctx context.Context, q store.Querier, c *Credential, now int64) error {
	_, err := q.ExecContext(ctx, "INSERT INTO identity_credentials (id, user_id, project_id, type, blob, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
		c.ID, c.UserID, c.ProjectID, c.Type, c.Blob, now)
	return store.Map(err)
}

func updateCredential(ctx context.Context, q store.Querier, c *Credential) error {
	_, err := q.ExecContext(ctx, "UPDATE identity_credentials SET user_id = $2, project_id = $3, type = $4, blob = $5 WHERE id = $1",
		c.ID, c.UserID, c.ProjectID, c.Type, c.Blob)
	return store.Map(err)
}
