package identity

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Credentials: /v3/credentials (any type, admin or the owner) and the
// OS-EC2 view of the ec2 ones under /v3/users/{user_id}/credentials/OS-EC2,
// as Keystone serves them (keystone/api/credentials.py and users.py).

func credentialWire(r *http.Request, c *Credential) map[string]any {
	var project any
	if c.ProjectID != "" {
		project = c.ProjectID
	}
	return map[string]any{
		"id": c.ID, "user_id": c.UserID, "project_id": project, "type": c.Type, "blob": c.Blob,
		"links": selfLinks(r, "/credentials/"+c.ID),
	}
}

func ec2Wire(r *http.Request, c *Credential) map[string]any {
	b := c.ec2()
	return map[string]any{
		"user_id": c.UserID, "tenant_id": c.ProjectID, "access": b.Access, "secret": b.Secret, "trust_id": b.TrustID,
		"links": selfLinks(r, "/users/"+c.UserID+"/credentials/OS-EC2/"+b.Access),
	}
}

// ownerOrAdmin is Keystone's "admin or credential owner" rule.
func ownerOrAdmin(r *http.Request, userID, action string) error {
	p := policy.FromContext(r.Context())
	if p.IsAdmin() || p.UserID == userID {
		return nil
	}
	return fault.Forbiddenf("You are not authorized to perform the requested action: identity:%s.", action)
}

func (s *Service) credential(ctx context.Context, q store.Querier, id string) (*Credential, error) {
	c, err := getCredential(ctx, q, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("credential", id)
	}
	return c, err
}

// applyCredential validates o onto c. An ec2 blob must be JSON naming an
// access key and the credential a project; the id follows the access key,
// which therefore cannot change after creation.
func applyCredential(o object, c *Credential, create bool) error {
	for _, f := range []struct {
		key string
		dst *string
	}{{"blob", &c.Blob}, {"type", &c.Type}, {"user_id", &c.UserID}, {"project_id", &c.ProjectID}} {
		v, ok, err := o.str(f.key)
		if err != nil {
			return err
		}
		if ok {
			*f.dst = v
		} else if create && f.key != "project_id" {
			return fault.Invalidf("Invalid input for field '%s': '%s' is a required property", f.key, f.key)
		}
	}
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
	if create {
		c.ID = ec2CredentialID(b.Access)
	} else if c.ID != ec2CredentialID(b.Access) {
		return fault.Invalidf("Invalid blob in credential: the access key of an ec2 credential cannot change")
	}
	return nil
}

func (s *Service) createCredential(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeEntity(r, "credential")
	if err != nil {
		return err
	}
	c := &Credential{ID: newID()}
	if err := applyCredential(o, c, true); err != nil {
		return err
	}
	if err := ownerOrAdmin(r, c.UserID, "create_credential"); err != nil {
		return err
	}
	if err := s.storeCredential(r.Context(), c); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusCreated, map[string]any{"credential": credentialWire(r, c)})
}

// storeCredential inserts c after checking that its user (and project,
// when it names one) exist.
func (s *Service) storeCredential(ctx context.Context, c *Credential) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.user(ctx, tx, c.UserID); err != nil {
			return err
		}
		if c.ProjectID != "" {
			if _, err := s.project(ctx, tx, c.ProjectID); err != nil {
				return err
			}
		}
		return insertCredential(ctx, tx, c, s.nowMicro())
	})
	if errors.Is(err, store.ErrConflict) {
		return fault.Conflictf("Conflict occurred attempting to store credential - Duplicate ID, %s.", c.ID)
	}
	return err
}

func (s *Service) listCredentials(w http.ResponseWriter, r *http.Request) error {
	var f filter
	q := r.URL.Query()
	for _, k := range []string{"user_id", "type"} {
		if v := q.Get(k); v != "" {
			f.eq(k, v)
		}
	}
	if p := policy.FromContext(r.Context()); !p.IsAdmin() {
		f.eq("user_id", p.UserID) // a user lists its own
	}
	cs, err := listCredentials(r.Context(), s.db.R(), f)
	if err != nil {
		return err
	}
	out := make([]map[string]any, 0, len(cs))
	for _, c := range cs {
		out = append(out, credentialWire(r, c))
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"credentials": out, "links": listLinks(r)})
}

func (s *Service) getCredential(w http.ResponseWriter, r *http.Request) error {
	c, err := s.credential(r.Context(), s.db.R(), r.PathValue("credential_id"))
	if err != nil {
		return err
	}
	if err := ownerOrAdmin(r, c.UserID, "get_credential"); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"credential": credentialWire(r, c)})
}

func (s *Service) updateCredential(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeEntity(r, "credential")
	if err != nil {
		return err
	}
	ctx := r.Context()
	var c *Credential
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if c, err = s.credential(ctx, tx, r.PathValue("credential_id")); err != nil {
			return err
		}
		if err := ownerOrAdmin(r, c.UserID, "update_credential"); err != nil {
			return err
		}
		if err := applyCredential(o, c, false); err != nil {
			return err
		}
		if err := ownerOrAdmin(r, c.UserID, "update_credential"); err != nil {
			return err // a user may not hand its credential to another
		}
		return updateCredential(ctx, tx, c)
	})
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"credential": credentialWire(r, c)})
}

func (s *Service) deleteCredential(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		c, err := s.credential(ctx, tx, r.PathValue("credential_id"))
		if err != nil {
			return err
		}
		if err := ownerOrAdmin(r, c.UserID, "delete_credential"); err != nil {
			return err
		}
		_, err = deleteRow(ctx, tx, "identity_credentials", c.ID)
		return err
	})
	if err != nil {
		return err
	}
	return noContent(w)
}

// --- OS-EC2 ---

func (s *Service) createEC2Credential(w http.ResponseWriter, r *http.Request) error {
	var o object
	if err := httpapi.DecodeJSON(r, &o); err != nil {
		return err
	}
	tenant, _, err := o.str("tenant_id")
	if err != nil {
		return err
	}
	if tenant == "" {
		return fault.Invalidf("Invalid input for field 'tenant_id': 'tenant_id' is a required property")
	}
	b := ec2Blob{Access: randomHex(), Secret: randomHex()}
	blob, _ := json.Marshal(b)
	c := &Credential{ID: ec2CredentialID(b.Access), UserID: r.PathValue("user_id"), ProjectID: tenant, Type: credTypeEC2, Blob: string(blob)}
	if err := s.storeCredential(r.Context(), c); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusCreated, map[string]any{"credential": ec2Wire(r, c)})
}

func (s *Service) listEC2Credentials(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := r.PathValue("user_id")
	if _, err := s.user(ctx, s.db.R(), id); err != nil {
		return err
	}
	var f filter
	f.eq("user_id", id)
	f.eq("type", credTypeEC2)
	cs, err := listCredentials(ctx, s.db.R(), f)
	if err != nil {
		return err
	}
	out := make([]map[string]any, 0, len(cs))
	for _, c := range cs {
		out = append(out, ec2Wire(r, c))
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"credentials": out, "links": listLinks(r)})
}

// ec2Credential finds the ec2 credential of {user_id} with access key
// {credential_id}: 404 when there is none (or it is another user's), 401
// when the id names a credential of another type, as Keystone answers.
func (s *Service) ec2Credential(ctx context.Context, q store.Querier, r *http.Request) (*Credential, error) {
	if _, err := s.user(ctx, q, r.PathValue("user_id")); err != nil {
		return nil, err
	}
	id := ec2CredentialID(r.PathValue("credential_id"))
	c, err := s.credential(ctx, q, id)
	if err == nil && c.UserID != r.PathValue("user_id") {
		err = notFound("credential", id)
	}
	if err != nil {
		return nil, err
	}
	if c.Type != credTypeEC2 {
		return nil, fault.Unauthorizedf("EC2 access key not found.")
	}
	return c, nil
}

func (s *Service) getEC2Credential(w http.ResponseWriter, r *http.Request) error {
	c, err := s.ec2Credential(r.Context(), s.db.R(), r)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"credential": ec2Wire(r, c)})
}

func (s *Service) deleteEC2Credential(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		c, err := s.ec2Credential(ctx, tx, r)
		if err != nil {
			return err
		}
		_, err = deleteRow(ctx, tx, "identity_credentials", c.ID)
		return err
	})
	if err != nil {
		return err
	}
	return noContent(w)
}

// randomHex is 128 random bits in hex, the shape of Keystone's uuid4().hex keys.
func randomHex() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
