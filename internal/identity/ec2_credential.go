package identity

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// The OS-EC2 view of ec2 credentials, as Keystone serves it under
// /v3/users/{user_id}/credentials/OS-EC2 (keystone/api/users.py): only the
// user itself or an admin.

// CreateEC2Credential makes a new access/secret pair for userID on
// projectID.
func (s *Service) CreateEC2Credential(ctx context.Context, p *policy.Principal, userID, projectID, trustID string) (*EC2Credential, error) {
	if err := ownerOrAdmin(p, userID, "ec2_create_credential"); err != nil {
		return nil, err
	}
	if projectID == "" {
		return nil, fault.Invalidf("Invalid input for field 'tenant_id': 'tenant_id' is a required property")
	}
	b := ec2Blob{Access: randomHex(), Secret: randomHex()}
	if trustID != "" {
		b.TrustID = &trustID
	}
	blob, _ := json.Marshal(b)
	c := &Credential{UserID: userID, ProjectID: projectID, Type: credTypeEC2, Blob: string(blob)}
	if err := s.CreateCredential(ctx, p, c); err != nil {
		return nil, err
	}
	return c.ec2(), nil
}

// ListEC2Credentials lists userID's ec2 credentials.
func (s *Service) ListEC2Credentials(ctx context.Context, p *policy.Principal, userID string) ([]*EC2Credential, error) {
	if err := ownerOrAdmin(p, userID, "ec2_list_credentials"); err != nil {
		return nil, err
	}
	if _, err := s.user(ctx, s.db.R(), userID); err != nil {
		return nil, err
	}
	var f filter
	f.eq("user_id", userID)
	f.eq("type", credTypeEC2)
	cs, err := listCredentials(ctx, s.db.R(), s.creds, f)
	if err != nil {
		return nil, err
	}
	out := make([]*EC2Credential, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.ec2())
	}
	return out, nil
}

// GetEC2Credential returns userID's ec2 credential with access key access.
func (s *Service) GetEC2Credential(ctx context.Context, p *policy.Principal, userID, access string) (*EC2Credential, error) {
	if err := ownerOrAdmin(p, userID, "ec2_get_credential"); err != nil {
		return nil, err
	}
	c, err := s.userEC2Credential(ctx, s.db.R(), userID, access)
	if err != nil {
		return nil, err
	}
	return c.ec2(), nil
}

// DeleteEC2Credential deletes userID's ec2 credential with access key access.
func (s *Service) DeleteEC2Credential(ctx context.Context, p *policy.Principal, userID, access string) error {
	if err := ownerOrAdmin(p, userID, "ec2_delete_credential"); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		c, err := s.userEC2Credential(ctx, tx, userID, access)
		if err != nil {
			return err
		}
		_, err = deleteRow(ctx, tx, "identity_credentials", c.ID)
		return err
	})
}

// userEC2Credential finds the ec2 credential of userID with access key
// access: 404 when there is none (or it is another user's), 401 when the
// id names a credential of another type, as Keystone answers.
func (s *Service) userEC2Credential(ctx context.Context, q store.Querier, userID, access string) (*Credential, error) {
	if _, err := s.user(ctx, q, userID); err != nil {
		return nil, err
	}
	id := ec2CredentialID(access)
	c, err := getEC2ByAccess(ctx, q, s.creds, access)
	if errors.Is(err, store.ErrNotFound) {
		// A credential of another type with that id is Keystone's 401.
		if other, oerr := getCredential(ctx, q, s.creds, id); oerr == nil && other.UserID == userID {
			return nil, fault.Unauthorizedf("EC2 access key not found.")
		}
		return nil, notFound("credential", id)
	}
	if err != nil {
		return nil, err
	}
	if c.UserID != userID {
		return nil, notFound("credential", id)
	}
	return c, nil
}

// EC2Credential returns the ec2 credential with access key access (secret
// in clear), or a NotFound *fault.Error. It checks no caller: it is for
// services that verify signatures made with the secret.
func (s *Service) EC2Credential(ctx context.Context, access string) (*EC2Credential, error) {
	c, err := getEC2ByAccess(ctx, s.db.R(), s.creds, access)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fault.NotFoundf("Could not find credential: %s.", ec2CredentialID(access))
	}
	if err != nil {
		return nil, err
	}
	return c.ec2(), nil
}

// randomHex is 128 random bits in hex, the shape of Keystone's uuid4().hex keys.
func randomHex() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
