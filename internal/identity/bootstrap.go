package identity

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"

	"golang.org/x/crypto/bcrypt"

	"github.com/stratus-iaas/stratus/internal/policy"
)

// DefaultDomainID is the id of the bootstrap domain, as in Keystone.
const DefaultDomainID = "default"

// Bootstrap creates, on first start, the Default domain, the admin project
// and user (role admin), the member and reader roles. When adminPassword
// is empty on first start a password is generated and returned with
// generated=true. On later starts a non-empty adminPassword resets the
// admin password (as keystone-manage bootstrap does); the returned
// password is "" when unknown.
//
// The bcrypt hash of the password is computed in the background so that
// the listener need not wait for it; a password login as admin waits for
// it instead.
func (s *Service) Bootstrap(ctx context.Context, adminPassword string) (password string, generated bool, err error) {
	if len(adminPassword) > 72 {
		return "", false, errors.New("identity: the admin password is longer than 72 bytes, which bcrypt cannot store")
	}
	now := s.nowMicro()
	created := false
	var adminID string
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		ins := func(query string, args ...any) (int64, error) {
			res, err := tx.ExecContext(ctx, query+" ON CONFLICT DO NOTHING", args...)
			if err != nil {
				return 0, err
			}
			return res.RowsAffected()
		}
		if _, err := ins("INSERT INTO identity_domains (id, name, description, enabled, created_at) VALUES ($1, $2, $3, $4, $5)",
			DefaultDomainID, "Default", "The default domain", true, now); err != nil {
			return err
		}
		rolesCreated := int64(0)
		for _, name := range []string{policy.RoleAdmin, policy.RoleMember, policy.RoleReader} {
			n, err := ins("INSERT INTO identity_roles (id, domain_id, name, description, created_at) VALUES ($1, '', $2, '', $3)",
				newID(), name, now)
			if err != nil {
				return err
			}
			rolesCreated += n
		}
		if rolesCreated > 0 {
			// Keystone's bootstrap implications: admin implies member,
			// member implies reader. Made once; an admin may change them.
			for _, pair := range [][2]string{{policy.RoleAdmin, policy.RoleMember}, {policy.RoleMember, policy.RoleReader}} {
				if _, err := ins("INSERT INTO identity_implied_roles (prior_role_id, implied_role_id) SELECT p.id, i.id FROM identity_roles p, identity_roles i "+
					"WHERE p.domain_id = '' AND p.name = $1 AND i.domain_id = '' AND i.name = $2", pair[0], pair[1]); err != nil {
					return err
				}
			}
		}
		if _, err := ins("INSERT INTO identity_projects (id, domain_id, name, description, parent_id, enabled, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
			newID(), DefaultDomainID, "admin", "Bootstrap project for initializing the cloud.", DefaultDomainID, true, now); err != nil {
			return err
		}
		n, err := ins("INSERT INTO identity_users (id, domain_id, name, password_hash, enabled, default_project_id, extra, tokens_valid_after, created_at) "+
			"VALUES ($1, $2, $3, '', $4, '', '{}', 0, $5)", newID(), DefaultDomainID, "admin", true, now)
		if err != nil {
			return err
		}
		created = n == 1
		u, err := getUserByName(ctx, tx, DefaultDomainID, "admin")
		if err != nil {
			return err
		}
		adminID = u.ID
		p, err := getProjectByName(ctx, tx, DefaultDomainID, "admin")
		if err != nil {
			return err
		}
		role, err := getRoleByName(ctx, tx, policy.RoleAdmin)
		if err != nil {
			return err
		}
		return insertAssignment(ctx, tx, Assignment{ActorType: actorUser, ActorID: adminID, TargetType: targetProject, TargetID: p.ID, RoleID: role.ID})
	})
	if err != nil {
		return "", false, err
	}
	if err := s.sealCredentials(ctx); err != nil {
		return "", false, err
	}
	if err := s.seedCatalog(ctx); err != nil {
		return "", false, err
	}
	s.cache.clear()
	switch {
	case created && adminPassword == "":
		var b [16]byte
		rand.Read(b[:])
		adminPassword, generated = base64.RawURLEncoding.EncodeToString(b[:]), true
	case !created && adminPassword == "":
		return "", false, nil
	}
	s.setPasswordInBackground(context.WithoutCancel(ctx), adminID, adminPassword)
	return adminPassword, generated, nil
}

// setPasswordInBackground stores password's hash for user unless the
// stored hash already matches it. Jobs run one after the other, each
// reading the hash the previous one left.
func (s *Service) setPasswordInBackground(ctx context.Context, userID, password string) {
	p := &pendingHash{done: make(chan struct{})}
	s.pendingMu.Lock()
	prev := s.pending
	s.pending = p
	s.pendingMu.Unlock()
	go func() {
		defer func() {
			s.pendingMu.Lock()
			if s.pending == p {
				s.pending = nil
			}
			s.pendingMu.Unlock()
			close(p.done)
		}()
		if prev != nil {
			<-prev.done
		}
		err := s.storePassword(ctx, userID, password)
		if err != nil {
			s.log.Error("bootstrap: store admin password hash", "err", err)
		}
	}()
}

func (s *Service) storePassword(ctx context.Context, userID, password string) error {
	u, err := getUser(ctx, s.db.R(), userID)
	if err != nil {
		return err
	}
	if u.PasswordHash != "" && bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) == nil {
		return nil
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.opts.BcryptCost)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE identity_users SET password_hash = $1 WHERE id = $2", string(hash), userID)
		return err
	})
}
