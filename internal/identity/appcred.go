package identity

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"slices"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Application credentials, as keystone/api/users.py and
// keystone/application_credential: a user makes, with a project-scoped
// token, a named secret that authenticates as that user on that project
// with some of the token's roles, until expires_at. The secret is shown
// once and kept as a bcrypt hash. A restricted credential's tokens may not
// make or delete application credentials (nor manage trusts).

// AppCredRequest is what a client asks for.
type AppCredRequest struct {
	Name, Description, Secret string
	ExpiresAt                 int64 // 0 never
	Unrestricted              bool
	Roles                     []nameRef // none: every role of the token
	AccessRules               []AccessRule
}

func appCredNotFound(id string) *fault.Error {
	return fault.NotFoundf("Could not find Application Credential: %s.", id)
}

// notDelegated refuses trust-scoped tokens, as Keystone's
// _block_delegated_token_app_creds.
func notDelegated(caller *tokenInfo) error {
	if caller.trust != nil {
		return fault.Forbiddenf("You are not authorized to perform the requested action.")
	}
	return nil
}

// unrestrictedOnly refuses tokens of a restricted application credential.
func unrestrictedOnly(caller *tokenInfo) error {
	if caller.appCred != nil && !caller.appCred.Unrestricted {
		return forbiddenAction("Using method 'application_credential' is not allowed for managing additional application credentials.")
	}
	return nil
}

// generateSecret is Keystone's: 64 random bytes, unpadded base64url.
func generateSecret() string {
	var b [64]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// CreateAppCred makes an application credential for the caller on its
// token's project. The returned credential carries the secret in clear.
func (s *Service) CreateAppCred(ctx context.Context, caller *tokenInfo, userID string, req AppCredRequest) (*AppCred, string, error) {
	if err := notDelegated(caller); err != nil {
		return nil, "", err
	}
	if err := unrestrictedOnly(caller); err != nil {
		return nil, "", err
	}
	if caller.user.ID != userID {
		return nil, "", forbiddenAction("Cannot create an application credential for another user.")
	}
	if caller.project == nil {
		return nil, "", fault.Invalidf("Invalid application credential: a project-scoped token is required.")
	}
	a := &AppCred{ID: newID(), UserID: userID, ProjectID: caller.project.ID, Name: req.Name, Description: req.Description,
		ExpiresAt: req.ExpiresAt, Unrestricted: req.Unrestricted}
	q := s.db.R()
	held := make([]string, 0, len(caller.roles))
	for _, r := range caller.roles {
		held = append(held, r.ID)
	}
	if len(req.Roles) == 0 {
		a.RoleIDs = held
	} else {
		rules, err := implications(ctx, q)
		if err != nil {
			return nil, "", err
		}
		var ids []string
		for _, ref := range req.Roles {
			role, err := s.roleByRef(ctx, q, ref)
			if err != nil {
				return nil, "", err
			}
			ids = append(ids, role.ID)
		}
		for _, id := range impliedClosure(ids, rules) {
			if !slices.Contains(held, id) {
				return nil, "", fault.Invalidf("Invalid application credential: Cannot create an application credential with unassigned role")
			}
			a.RoleIDs = append(a.RoleIDs, id)
		}
	}
	for i := range req.AccessRules {
		r := req.AccessRules[i]
		if r.ID == "" {
			r.ID = newID()
		}
		r.UserID = userID
		a.AccessRules = append(a.AccessRules, &r)
	}
	secret := req.Secret
	if secret == "" {
		secret = generateSecret()
	}
	hash, err := s.hashSecret(secret)
	if err != nil {
		return nil, "", err
	}
	a.SecretHash = hash
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, r := range a.AccessRules {
			// An access rule the user already has is reused, as Keystone does.
			var id string
			err := tx.QueryRowContext(ctx, "SELECT id FROM identity_access_rules WHERE user_id = $1 AND (id = $2 OR (service = $3 AND path = $4 AND method = $5))",
				userID, r.ID, r.Service, r.Path, r.Method).Scan(&id)
			if err == nil {
				r.ID = id
			} else if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		return insertAppCred(ctx, tx, a, s.nowMicro())
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, "", fault.Conflictf("Conflict occurred attempting to store application_credential - Duplicate entry found with name %s.", a.Name)
	}
	if err != nil {
		return nil, "", err
	}
	return a, secret, nil
}

// userAppCreds checks that the caller may read userID's application
// credentials: the user itself or an admin, with no trust token.
func userAppCreds(caller *tokenInfo, userID, action string) error {
	if err := notDelegated(caller); err != nil {
		return err
	}
	if caller.user.ID != userID && !caller.principal.IsAdmin() {
		return forbiddenAction("identity:" + action)
	}
	return nil
}

// ListAppCreds lists userID's application credentials, by name when set.
func (s *Service) ListAppCreds(ctx context.Context, caller *tokenInfo, userID, name string) ([]*AppCred, error) {
	if err := userAppCreds(caller, userID, "list_application_credentials"); err != nil {
		return nil, err
	}
	var f filter
	f.eq("user_id", userID)
	if name != "" {
		f.eq("name", name)
	}
	return listAppCreds(ctx, s.db.R(), f)
}

// GetAppCred returns userID's application credential id.
func (s *Service) GetAppCred(ctx context.Context, caller *tokenInfo, userID, id string) (*AppCred, error) {
	if err := userAppCreds(caller, userID, "get_application_credential"); err != nil {
		return nil, err
	}
	a, err := getAppCred(ctx, s.db.R(), id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && a.UserID != userID) {
		return nil, appCredNotFound(id)
	}
	return a, err
}

// DeleteAppCred deletes userID's application credential id; its tokens
// stop validating.
func (s *Service) DeleteAppCred(ctx context.Context, caller *tokenInfo, userID, id string) error {
	if err := userAppCreds(caller, userID, "delete_application_credential"); err != nil {
		return err
	}
	if err := unrestrictedOnly(caller); err != nil {
		return err
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		a, err := getAppCred(ctx, tx, id)
		if errors.Is(err, store.ErrNotFound) || (err == nil && a.UserID != userID) {
			return appCredNotFound(id)
		}
		if err != nil {
			return err
		}
		return execAll(ctx, tx, id, "DELETE FROM identity_app_cred_roles WHERE app_cred_id = $1",
			"DELETE FROM identity_app_cred_access_rules WHERE app_cred_id = $1",
			"DELETE FROM identity_app_creds WHERE id = $1")
	})
	if err != nil {
		return err
	}
	s.cache.clear()
	return nil
}

// appCredIdentity authenticates with an application credential (by id,
// or by name with its user) and its secret: 401 on any failure, after one
// bcrypt verification.
func (s *Service) appCredIdentity(ctx context.Context, id, name string, user *nameRef, secret *string) (issueRequest, error) {
	if id == "" && name == "" {
		return issueRequest{}, validationError("id or name", "application credential")
	}
	if secret == nil {
		return issueRequest{}, validationError("secret", "application_credential")
	}
	q := s.db.R()
	var a *AppCred
	var err error
	if id != "" {
		a, err = getAppCred(ctx, q, id)
	} else {
		if user == nil {
			return issueRequest{}, validationError("user", "application credential")
		}
		var u *User
		if u, err = s.findUser(ctx, q, user); err == nil {
			a, err = getAppCredByName(ctx, q, u.ID, name)
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		s.dummyCompare(*secret)
		return issueRequest{}, unauthorized(errors.New("invalid application credential ID or secret"))
	}
	if err != nil {
		return issueRequest{}, err
	}
	if !s.compareSecret(a.SecretHash, *secret) || (a.ExpiresAt != 0 && a.ExpiresAt <= s.nowMicro()) {
		return issueRequest{}, unauthorized(errors.New("invalid application credential ID or secret"))
	}
	u, _, err := enabledUser(ctx, q, a.UserID)
	if err != nil {
		return issueRequest{}, unauthorized(err)
	}
	ir := issueRequest{user: u, methods: []string{"application_credential"}, scope: tokenScope{appCredID: a.ID}}
	if a.ExpiresAt != 0 {
		ir.expiresAt = time.UnixMicro(a.ExpiresAt)
	}
	return ir, nil
}

// findUser finds a user by id, or by name in a domain given by id or name.
func (s *Service) findUser(ctx context.Context, q store.Querier, ref *nameRef) (*User, error) {
	if ref.ID != "" {
		return getUser(ctx, q, ref.ID)
	}
	if ref.Domain == nil {
		return nil, store.ErrNotFound
	}
	d, err := resolveDomain(ctx, q, ref.Domain)
	if err != nil {
		return nil, err
	}
	return getUserByName(ctx, q, d.ID, ref.Name)
}

// AccessRules lists userID's access rules; DeleteAccessRule deletes one
// no application credential uses.
func (s *Service) AccessRules(ctx context.Context, caller *tokenInfo, userID string) ([]*AccessRule, error) {
	if err := userAppCreds(caller, userID, "list_access_rules"); err != nil {
		return nil, err
	}
	rows, err := s.db.R().QueryContext(ctx, "SELECT id, user_id, service, path, method FROM identity_access_rules WHERE user_id = $1 ORDER BY created_at, id", userID)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanAccessRule)
}

// AccessRule returns one of userID's access rules.
func (s *Service) AccessRule(ctx context.Context, caller *tokenInfo, userID, id string) (*AccessRule, error) {
	if err := userAppCreds(caller, userID, "get_access_rule"); err != nil {
		return nil, err
	}
	r, err := scanAccessRule(s.db.R().QueryRowContext(ctx, "SELECT id, user_id, service, path, method FROM identity_access_rules WHERE id = $1 AND user_id = $2", id, userID))
	if errors.Is(err, store.ErrNotFound) {
		return nil, fault.NotFoundf("Could not find Access Rule: %s.", id)
	}
	return r, err
}

// DeleteAccessRule deletes an access rule no application credential uses
// (403 otherwise, as Keystone).
func (s *Service) DeleteAccessRule(ctx context.Context, caller *tokenInfo, userID, id string) error {
	if err := userAppCreds(caller, userID, "delete_access_rule"); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		n, err := countRows(ctx, tx, "SELECT COUNT(*) FROM identity_access_rules WHERE id = $1 AND user_id = $2", id, userID)
		if err != nil {
			return err
		}
		if n == 0 {
			return fault.NotFoundf("Could not find Access Rule: %s.", id)
		}
		if n, err = countRows(ctx, tx, "SELECT COUNT(*) FROM identity_app_cred_access_rules WHERE access_rule_id = $1", id); err != nil {
			return err
		}
		if n > 0 {
			return fault.Forbiddenf("You are not authorized to perform the requested action.")
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM identity_access_rules WHERE id = $1", id)
		return err
	})
}
