package identity

import (
	"context"
	"database/sql"
	"errors"

	"golang.org/x/crypto/bcrypt"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// User writes (user_http.go decodes and renders them). Keystone revokes a
// user's tokens when it is disabled or its password changes.

func (s *Service) hashPassword(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), s.opts.BcryptCost)
	if errors.Is(err, bcrypt.ErrPasswordTooLong) {
		return "", fault.Invalidf("Invalid input for field 'password': the password is longer than 72 bytes, which bcrypt cannot store.")
	}
	return string(h), err
}

// CreateUser stores a new user in its domain, the caller's when u names
// none.
func (s *Service) CreateUser(ctx context.Context, caller *policy.Principal, u *User) error {
	if u.DomainID == "" {
		u.DomainID = principalDomain(caller)
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.domain(ctx, tx, u.DomainID); err != nil {
			return err
		}
		return insertUser(ctx, tx, u, s.nowMicro())
	})
	if errors.Is(err, store.ErrConflict) {
		return conflict("user", u.Name, u.DomainID)
	}
	return err
}

// UpdateUser reads user id and lets change alter it (hashing a new
// password, which it reports, outside the write transaction), then saves
// it; a disabled user or a new password revokes the user's tokens.
func (s *Service) UpdateUser(ctx context.Context, id string, change func(*User) (passwordChanged bool, err error)) (*User, error) {
	u, err := s.user(ctx, s.db.R(), id)
	if err != nil {
		return nil, err
	}
	changed, err := change(u)
	if err != nil {
		return nil, err
	}
	if changed || !u.Enabled {
		u.TokensValidAfter = s.nowMicro() + 1
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.user(ctx, tx, u.ID); err != nil {
			return err
		}
		return updateUser(ctx, tx, u)
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, conflict("user", u.Name, u.DomainID)
	}
	if err != nil {
		return nil, err
	}
	s.cache.clear()
	return u, nil
}

// ChangePassword sets a user's password once the original one is proved
// (a 401 otherwise); all its tokens are revoked.
func (s *Service) ChangePassword(ctx context.Context, userID, original, password string) error {
	u, err := s.user(ctx, s.db.R(), userID)
	if err != nil {
		return err
	}
	if _, err := s.checkPassword(ctx, &nameRef{ID: u.ID}, original); err != nil {
		return err
	}
	hash, err := s.hashPassword(password)
	if err != nil {
		return err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error { return setPassword(ctx, tx, u.ID, hash, s.nowMicro()+1) })
	if err != nil {
		return err
	}
	s.cache.clear()
	return nil
}

// deleteUserRows removes a user's role assignments and revokes its tokens.
func (s *Service) deleteUserRows(ctx context.Context, tx *sql.Tx, id string) error {
	if err := execAll(ctx, tx, id, "DELETE FROM identity_role_assignments WHERE actor_type = 'user' AND actor_id = $1",
		"DELETE FROM identity_group_members WHERE user_id = $1",
		"DELETE FROM identity_credentials WHERE user_id = $1",
		"DELETE FROM identity_app_cred_roles WHERE app_cred_id IN (SELECT id FROM identity_app_creds WHERE user_id = $1)",
		"DELETE FROM identity_app_cred_access_rules WHERE app_cred_id IN (SELECT id FROM identity_app_creds WHERE user_id = $1)",
		"DELETE FROM identity_app_creds WHERE user_id = $1",
		"DELETE FROM identity_access_rules WHERE user_id = $1",
		"UPDATE identity_trusts SET deleted_at = 1 WHERE deleted_at = 0 AND (trustor_user_id = $1 OR trustee_user_id = $1)"); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, "UPDATE identity_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at = 0", s.nowMicro(), id)
	return err
}
