package identity

import (
	"context"

	"github.com/stratus-iaas/stratus/internal/store"
)

// Blobs are sealed on the way in and opened on the way out
// (credential_crypt.go): nothing else sees them encrypted.

const credentialCols = "id, user_id, project_id, type, blob, key_hash"

func scanCredential(cc *credCipher) func(sc interface{ Scan(...any) error }) (*Credential, error) {
	return func(sc interface{ Scan(...any) error }) (*Credential, error) {
		var c Credential
		var keyHash string
		if err := sc.Scan(&c.ID, &c.UserID, &c.ProjectID, &c.Type, &c.Blob, &keyHash); err != nil {
			return nil, store.Map(err)
		}
		var err error
		if c.Blob, err = cc.open(c.ID, c.Blob, keyHash); err != nil {
			return nil, err
		}
		return &c, nil
	}
}

func getCredential(ctx context.Context, q store.Querier, cc *credCipher, id string) (*Credential, error) {
	return scanCredential(cc)(q.QueryRowContext(ctx, "SELECT "+credentialCols+" FROM identity_credentials WHERE id = $1", id))
}

// getEC2ByAccess finds the ec2 credential whose access key is access.
func getEC2ByAccess(ctx context.Context, q store.Querier, cc *credCipher, access string) (*Credential, error) {
	return scanCredential(cc)(q.QueryRowContext(ctx, "SELECT "+credentialCols+" FROM identity_credentials WHERE access_hash = $1 AND type = 'ec2'",
		ec2CredentialID(access)))
}

// accessHash is what finds an ec2 credential by its access key.
func accessHash(c *Credential) string {
	if c.Type != credTypeEC2 {
		return ""
	}
	return ec2CredentialID(c.ec2().Access)
}

func listCredentials(ctx context.Context, q store.Querier, cc *credCipher, f filter) ([]*Credential, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+credentialCols+" FROM identity_credentials"+f.sql()+" ORDER BY created_at, id", f.args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanCredential(cc))
}

func insertCredential(ctx context.Context, q store.Querier, cc *credCipher, c *Credential, now int64) error {
	_, err := q.ExecContext(ctx, "INSERT INTO identity_credentials (id, user_id, project_id, type, blob, key_hash, access_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
		c.ID, c.UserID, c.ProjectID, c.Type, cc.seal(c.ID, c.Blob), cc.keyHash, accessHash(c), now)
	return store.Map(err)
}

func updateCredential(ctx context.Context, q store.Querier, cc *credCipher, c *Credential) error {
	_, err := q.ExecContext(ctx, "UPDATE identity_credentials SET user_id = $2, project_id = $3, type = $4, blob = $5, key_hash = $6, access_hash = $7 WHERE id = $1",
		c.ID, c.UserID, c.ProjectID, c.Type, cc.seal(c.ID, c.Blob), cc.keyHash, accessHash(c))
	return store.Map(err)
}
