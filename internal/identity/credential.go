package identity

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/stratus-iaas/stratus/internal/store"
)

// Credential is a Keystone credential: an opaque blob a user keeps with
// the identity service. Type "ec2" blobs hold an access/secret pair that
// S3/EC2-style signatures are made with.
type Credential struct {
	ID        string
	UserID    string
	ProjectID string
	Type      string
	Blob      string
}

const credTypeEC2 = "ec2"

// ec2Blob is the JSON inside an ec2 credential's blob, as Keystone writes it.
type ec2Blob struct {
	Access  string  `json:"access"`
	Secret  string  `json:"secret"`
	TrustID *string `json:"trust_id"`
}

// ec2CredentialID is Keystone's id of an ec2 credential: the SHA-256 of
// its access key, so the key finds the credential without a scan.
func ec2CredentialID(access string) string {
	sum := sha256.Sum256([]byte(access))
	return hex.EncodeToString(sum[:])
}

func (c *Credential) ec2() ec2Blob {
	var b ec2Blob
	json.Unmarshal([]byte(c.Blob), &b) // a malformed blob reads as empty fields, as in Keystone
	return b
}

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
