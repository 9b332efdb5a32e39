package identity

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
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

// EC2Credential is an ec2 credential as other services use it: the
// access key, its secret in clear, and whose it is.
type EC2Credential struct {
	ID        string // Keystone's id: the SHA-256 of Access
	Access    string
	Secret    string
	UserID    string
	ProjectID string
	TrustID   string // "" unless made with a trust-scoped token
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

func (c *Credential) ec2() *EC2Credential {
	var b ec2Blob
	json.Unmarshal([]byte(c.Blob), &b) // a malformed blob reads as empty fields, as in Keystone
	e := &EC2Credential{ID: c.ID, Access: b.Access, Secret: b.Secret, UserID: c.UserID, ProjectID: c.ProjectID}
	if b.TrustID != nil {
		e.TrustID = *b.TrustID
	}
	return e
}

// ownerOrAdmin is Keystone's "admin or credential owner" rule.
func ownerOrAdmin(p *policy.Principal, userID, action string) error {
	if p.IsAdmin() || (p != nil && p.UserID == userID) {
		return nil
	}
	return fault.Forbiddenf("You are not authorized to perform the requested action: identity:%s.", action)
}

func (s *Service) credential(ctx context.Context, q store.Querier, id string) (*Credential, error) {
	c, err := getCredential(ctx, q, s.creds, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("credential", id)
	}
	return c, err
}

// checkCredential validates c: an ec2 blob must be JSON naming an access
// key and the credential a project. A new ec2 credential's id is the hash
// of its access key (Keystone's); an update may change the key, as in
// Keystone, but not the trust it was made with.
func checkCredential(c *Credential, before *Credential) error {
	if c.Type != credTypeEC2 {
		return nil
	}
	var b ec2Blob
	if err := json.Unmarshal([]byte(c.Blob), &b); err != nil || b.Access == "" {
		return fault.Invalidf("Invalid blob in credential")
	}
	if c.ProjectID == "" {
		return fault.Invalidf("Invalid blob in credential: project_id is required for ec2 credentials")
	}
	if before == nil {
		c.ID = ec2CredentialID(b.Access)
		return nil
	}
	if before.Type == credTypeEC2 && before.ec2().TrustID != c.ec2().TrustID {
		return fault.Invalidf("trust_id can not be updated for credential")
	}
	return nil
}

// CreateCredential stores c for p (its owner, or an admin). An ec2
// credential's id is set from its access key; others keep c.ID, or get a
// new one when it is empty.
func (s *Service) CreateCredential(ctx context.Context, p *policy.Principal, c *Credential) error {
	if c.ID == "" {
		c.ID = newID()
	}
	if err := checkCredential(c, nil); err != nil {
		return err
	}
	if err := ownerOrAdmin(p, c.UserID, "create_credential"); err != nil {
		return err
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.user(ctx, tx, c.UserID); err != nil {
			return err
		}
		if c.ProjectID != "" {
			if _, err := s.project(ctx, tx, c.ProjectID); err != nil {
				return err
			}
		}
		return insertCredential(ctx, tx, s.creds, c, s.nowMicro())
	})
	if errors.Is(err, store.ErrConflict) {
		return fault.Conflictf("Conflict occurred attempting to store credential - Duplicate ID, %s.", c.ID)
	}
	return err
}

// ListCredentials lists credentials, filtered by user and type when not
// empty; a non-admin sees only its own.
func (s *Service) ListCredentials(ctx context.Context, p *policy.Principal, userID, typ string) ([]*Credential, error) {
	var f filter
	if userID != "" {
		f.eq("user_id", userID)
	}
	if typ != "" {
		f.eq("type", typ)
	}
	if !p.IsAdmin() {
		f.eq("user_id", p.UserID)
	}
	return listCredentials(ctx, s.db.R(), s.creds, f)
}

// GetCredential returns credential id to its owner or an admin.
func (s *Service) GetCredential(ctx context.Context, p *policy.Principal, id string) (*Credential, error) {
	c, err := s.credential(ctx, s.db.R(), id)
	if err != nil {
		return nil, err
	}
	if err := ownerOrAdmin(p, c.UserID, "get_credential"); err != nil {
		return nil, err
	}
	return c, nil
}

// UpdateCredential applies change to credential id in one transaction;
// neither before nor after may it belong to someone p may not act for.
func (s *Service) UpdateCredential(ctx context.Context, p *policy.Principal, id string, change func(*Credential) error) (*Credential, error) {
	var c *Credential
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if c, err = s.credential(ctx, tx, id); err != nil {
			return err
		}
		if err := ownerOrAdmin(p, c.UserID, "update_credential"); err != nil {
			return err
		}
		before := *c
		if err := change(c); err != nil {
			return err
		}
		if err := checkCredential(c, &before); err != nil {
			return err
		}
		if err := ownerOrAdmin(p, c.UserID, "update_credential"); err != nil {
			return err // a user may not hand its credential to another
		}
		return updateCredential(ctx, tx, s.creds, c)
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, fault.Conflictf("Conflict occurred attempting to store credential - Duplicate entry.")
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// DeleteCredential deletes credential id for its owner or an admin.
func (s *Service) DeleteCredential(ctx context.Context, p *policy.Principal, id string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		c, err := s.credential(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := ownerOrAdmin(p, c.UserID, "delete_credential"); err != nil {
			return err
		}
		_, err = deleteRow(ctx, tx, "identity_credentials", c.ID)
		return err
	})
}
