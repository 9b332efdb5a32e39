package identity

import (
	"context"
	"database/sql"
	"errors"
	"slices"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Trusts (OS-TRUST), as keystone/api/trusts.py: the trustor (the caller)
// delegates some of its roles on a project to the trustee, optionally
// letting it impersonate the trustor, until expires_at or for
// remaining_uses tokens. Redelegation (a trust made from a trust-scoped
// token) is not offered: allow_redelegation is refused.

// TrustRequest is what a client asks for.
type TrustRequest struct {
	TrustorID, TrusteeID, ProjectID string
	Impersonation                   bool
	ExpiresAt                       int64 // 0 never
	RemainingUses                   int64 // -1 unlimited
	Roles                           []nameRef
	AllowRedelegation               bool
	Extra                           map[string]any
}

func forbiddenAction(action string) *fault.Error {
	return fault.Forbiddenf("You are not authorized to perform the requested action: %s.", action)
}

func trustNotFound(id string) *fault.Error { return fault.NotFoundf("Could not find trust: %s.", id) }

// CreateTrust creates a trust for the caller, who must be its trustor.
func (s *Service) CreateTrust(ctx context.Context, caller *tokenInfo, req TrustRequest) (*Trust, error) {
	if caller.appCred != nil {
		return nil, forbiddenAction("Using method 'application_credential' is not allowed for managing trusts.")
	}
	if req.ProjectID != "" && len(req.Roles) == 0 {
		return nil, forbiddenAction("At least one role should be specified")
	}
	if caller.principal.UserID != req.TrustorID {
		return nil, forbiddenAction("The authenticated user should match the trustor")
	}
	if caller.trust != nil {
		return nil, forbiddenAction("Redelegation allowed for delegated by trust only")
	}
	if req.AllowRedelegation {
		return nil, validationErrorText("Trust redelegation is not supported.")
	}
	t := &Trust{ID: newID(), TrustorID: req.TrustorID, TrusteeID: req.TrusteeID, ProjectID: req.ProjectID,
		Impersonation: req.Impersonation, ExpiresAt: req.ExpiresAt, RemainingUses: req.RemainingUses, Extra: req.Extra}
	q := s.db.R()
	if _, err := s.user(ctx, q, req.TrusteeID); err != nil {
		return nil, err
	}
	for _, ref := range req.Roles {
		role, err := s.roleByRef(ctx, q, ref)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(t.RoleIDs, role.ID) {
			t.RoleIDs = append(t.RoleIDs, role.ID)
		}
	}
	if t.ProjectID != "" {
		p, err := s.project(ctx, q, t.ProjectID)
		if err != nil {
			return nil, err
		}
		held, err := directRoleIDs(ctx, q, t.TrustorID, p, "", false)
		if err != nil {
			return nil, err
		}
		rules, err := implications(ctx, q)
		if err != nil {
			return nil, err
		}
		held = impliedClosure(held, rules)
		for _, id := range t.RoleIDs {
			if !slices.Contains(held, id) {
				return nil, notFound("role", id)
			}
		}
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error { return insertTrust(ctx, tx, t, s.nowMicro()) })
	if err != nil {
		return nil, err
	}
	return t, nil
}

// roleByRef finds a role by id, or a global role by its unique name.
func (s *Service) roleByRef(ctx context.Context, q store.Querier, ref nameRef) (*Role, error) {
	if ref.ID != "" {
		return s.role(ctx, q, ref.ID)
	}
	r, err := getRoleByName(ctx, q, ref.Name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("role", ref.Name)
	}
	return r, err
}

// trustFor returns a live trust the caller may see: its trustor or
// trustee (an admin only lists them).
func (s *Service) trustFor(ctx context.Context, caller *tokenInfo, id string) (*Trust, error) {
	if caller.appCred != nil {
		return nil, forbiddenAction("Using method 'application_credential' is not allowed for managing trusts.")
	}
	t, err := getTrust(ctx, s.db.R(), id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !s.trustLive(t)) {
		return nil, trustNotFound(id)
	}
	if err != nil {
		return nil, err
	}
	if u := caller.user.ID; u != t.TrustorID && u != t.TrusteeID {
		return nil, forbiddenAction("Requested user has no relation to this trust")
	}
	return t, nil
}

// trustLive reports whether a trust is neither deleted, expired nor used up.
func (s *Service) trustLive(t *Trust) bool {
	return t.DeletedAt == 0 && (t.ExpiresAt == 0 || t.ExpiresAt > s.nowMicro()) && t.RemainingUses != 0
}

// GetTrust returns trust id to its trustor or trustee.
func (s *Service) GetTrust(ctx context.Context, caller *tokenInfo, id string) (*Trust, error) {
	return s.trustFor(ctx, caller, id)
}

// ListTrusts lists live trusts: all of them (admin only), or those of a
// trustor or a trustee (that user or an admin).
func (s *Service) ListTrusts(ctx context.Context, caller *tokenInfo, trustorID, trusteeID string) ([]*Trust, error) {
	if caller.appCred != nil {
		return nil, forbiddenAction("Using method 'application_credential' is not allowed for managing trusts.")
	}
	p := caller.principal
	var f filter
	switch {
	case trustorID != "":
		if !p.IsAdmin() && caller.user.ID != trustorID {
			return nil, forbiddenAction("identity:list_trusts_for_trustor")
		}
		f.eq("trustor_user_id", trustorID)
	case trusteeID != "":
		if !p.IsAdmin() && caller.user.ID != trusteeID {
			return nil, forbiddenAction("identity:list_trusts_for_trustee")
		}
		f.eq("trustee_user_id", trusteeID)
	case !p.IsAdmin():
		return nil, forbiddenAction("identity:list_trusts")
	}
	ts, err := listTrusts(ctx, s.db.R(), f)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(ts, func(t *Trust) bool { return !s.trustLive(t) }), nil
}

// DeleteTrust deletes a trust (its trustor or an admin); tokens made
// from it stop validating.
func (s *Service) DeleteTrust(ctx context.Context, caller *tokenInfo, id string) error {
	if caller.appCred != nil {
		return forbiddenAction("Using method 'application_credential' is not allowed for managing trusts.")
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		t, err := getTrust(ctx, tx, id)
		if errors.Is(err, store.ErrNotFound) || (err == nil && t.DeletedAt != 0) {
			return trustNotFound(id)
		}
		if err != nil {
			return err
		}
		if !caller.principal.IsAdmin() && caller.user.ID != t.TrustorID {
			return forbiddenAction("Only admin or trustor can delete a trust")
		}
		_, err = tx.ExecContext(ctx, "UPDATE identity_trusts SET deleted_at = $1 WHERE id = $2", s.nowMicro(), id)
		return err
	})
	if err != nil {
		return err
	}
	s.cache.clear()
	return nil
}

// usableTrust is the trust a trust-scoped authentication names: live,
// and userID its trustee.
func (s *Service) usableTrust(ctx context.Context, id, userID string) (*Trust, error) {
	t, err := getTrust(ctx, s.db.R(), id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !s.trustLive(t)) {
		return nil, trustNotFound(id)
	}
	if err != nil {
		return nil, err
	}
	if t.TrusteeID != userID {
		return nil, fault.Forbiddenf("You are not authorized to perform the requested action.")
	}
	return t, nil
}
