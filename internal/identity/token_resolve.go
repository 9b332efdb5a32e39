package identity

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"

	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// tokenScope is what a token is scoped to: a project (possibly through a
// trust or an application credential), a domain, the system, or nothing.
type tokenScope struct {
	projectID string
	domainID  string
	system    bool
	trustID   string
	appCredID string
}

// loadToken reads a token and re-checks everything it depends on.
func (s *Service) loadToken(ctx context.Context, q store.Querier, hash string) (*tokenInfo, error) {
	var userID, methods, audit string
	var sc tokenScope
	var issued, expires, revoked int64
	err := q.QueryRowContext(ctx, "SELECT user_id, project_id, domain_id, system_scope, trust_id, app_cred_id, methods, audit_ids, issued_at, expires_at, revoked_at "+
		"FROM identity_tokens WHERE hash = $1", hash).
		Scan(&userID, &sc.projectID, &sc.domainID, &sc.system, &sc.trustID, &sc.appCredID, &methods, &audit, &issued, &expires, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errInvalidToken
	}
	if err != nil {
		return nil, err
	}
	if revoked != 0 {
		return nil, errInvalidToken
	}
	info := &tokenInfo{hash: hash, methods: strings.Split(methods, ","), auditIDs: strings.Split(audit, ","),
		issuedAt: store.Time(issued), expiresAt: store.Time(expires)}
	if err := s.resolveToken(ctx, q, info, userID, sc); err != nil {
		return nil, err
	}
	if issued < info.user.TokensValidAfter {
		return nil, errInvalidToken
	}
	return info, nil
}

// invalidIfMissing turns a missing row into errInvalidToken.
func invalidIfMissing(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return errInvalidToken
	}
	return err
}

// enabledUser returns user id and its domain, both enabled.
func enabledUser(ctx context.Context, q store.Querier, id string) (*User, *Domain, error) {
	u, err := getUser(ctx, q, id)
	if err != nil {
		return nil, nil, invalidIfMissing(err)
	}
	d, err := getDomain(ctx, q, u.DomainID)
	if err != nil {
		return nil, nil, invalidIfMissing(err)
	}
	if !u.Enabled || !d.Enabled {
		return nil, nil, errInvalidToken
	}
	return u, d, nil
}

// enabledProject returns project id and its domain, both enabled.
func enabledProject(ctx context.Context, q store.Querier, id string) (*Project, *Domain, error) {
	p, err := getProject(ctx, q, id)
	if err != nil {
		return nil, nil, invalidIfMissing(err)
	}
	d, err := getDomain(ctx, q, p.DomainID)
	if err != nil {
		return nil, nil, invalidIfMissing(err)
	}
	if !p.Enabled || !d.Enabled {
		return nil, nil, errInvalidToken
	}
	return p, d, nil
}

// resolveToken fills user, scope and roles, failing with errInvalidToken
// when the user, its domain or the scope is gone or disabled, when a
// trust or application credential is gone or expired, or when no role is
// left on the scope. Roles are the current ones, as Keystone computes them
// at every validation.
func (s *Service) resolveToken(ctx context.Context, q store.Querier, info *tokenInfo, userID string, sc tokenScope) error {
	u, ud, err := enabledUser(ctx, q, userID)
	if err != nil {
		return err
	}
	info.user, info.userDomain = u, ud
	now := s.nowMicro()
	if sc.trustID != "" {
		t, err := getTrust(ctx, q, sc.trustID)
		if err != nil {
			return invalidIfMissing(err)
		}
		if t.DeletedAt != 0 || (t.ExpiresAt != 0 && t.ExpiresAt <= now) || t.TrusteeID != u.ID || t.ProjectID == "" {
			return errInvalidToken
		}
		if info.trustor, info.trustorDomain, err = enabledUser(ctx, q, t.TrustorID); err != nil {
			return err
		}
		info.trust = t
		sc.projectID = t.ProjectID
	}
	if sc.appCredID != "" {
		a, err := getAppCred(ctx, q, sc.appCredID)
		if err != nil {
			return invalidIfMissing(err)
		}
		if a.UserID != u.ID || (a.ExpiresAt != 0 && a.ExpiresAt <= now) {
			return errInvalidToken
		}
		info.appCred = a
		sc.projectID = a.ProjectID
	}
	var roles []*Role
	switch {
	case sc.projectID != "":
		if info.project, info.projectDomain, err = enabledProject(ctx, q, sc.projectID); err != nil {
			return err
		}
		roles, err = s.projectRoles(ctx, q, info)
	case sc.domainID != "":
		d, err := getDomain(ctx, q, sc.domainID)
		if err != nil {
			return invalidIfMissing(err)
		}
		if !d.Enabled {
			return errInvalidToken
		}
		info.domain = d
		roles, err = effectiveRoles(ctx, q, u.ID, nil, d.ID, false)
		if err != nil {
			return err
		}
	case sc.system:
		info.system = true
		roles, err = effectiveRoles(ctx, q, u.ID, nil, "", true)
	}
	if err != nil {
		return err
	}
	if !info.unscoped() && len(roles) == 0 {
		return errInvalidToken
	}
	info.roles = roles
	info.principal = s.principalOf(info)
	return nil
}

// projectRoles is the roles of a project-scoped token: the user's; for a
// trust, the trust's roles (with what they imply), all of which the
// trustor must still hold; for an application credential, its roles the
// user still holds.
func (s *Service) projectRoles(ctx context.Context, q store.Querier, info *tokenInfo) ([]*Role, error) {
	switch {
	case info.trust != nil:
		rules, err := implications(ctx, q)
		if err != nil {
			return nil, err
		}
		held, err := directRoleIDs(ctx, q, info.trust.TrustorID, info.project, "", false)
		if err != nil {
			return nil, err
		}
		held = impliedClosure(held, rules)
		want := impliedClosure(info.trust.RoleIDs, rules)
		for _, id := range want {
			if !slices.Contains(held, id) {
				return nil, errInvalidToken // the trustor lost a delegated role
			}
		}
		return globalRolesOnly(ctx, q, want)
	case info.appCred != nil:
		held, err := effectiveRoles(ctx, q, info.user.ID, info.project, "", false)
		if err != nil {
			return nil, err
		}
		return slices.DeleteFunc(held, func(r *Role) bool { return !slices.Contains(info.appCred.RoleIDs, r.ID) }), nil
	}
	return effectiveRoles(ctx, q, info.user.ID, info.project, "", false)
}

// globalRolesOnly loads roles by id, leaving out domain-specific ones.
func globalRolesOnly(ctx context.Context, q store.Querier, ids []string) ([]*Role, error) {
	roles, err := rolesByID(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(roles, func(r *Role) bool { return r.DomainID != "" }), nil
}

// principalOf is the caller a token stands for. A trust with
// impersonation acts as the trustor.
func (s *Service) principalOf(info *tokenInfo) *policy.Principal {
	u := info.user
	if info.trust != nil && info.trust.Impersonation {
		u = info.trustor
	}
	p := &policy.Principal{
		TokenID: info.token, UserID: u.ID, UserName: u.Name, UserDomainID: u.DomainID,
		ExpiresAt: info.expiresAt, IssuedAt: info.issuedAt, SystemScope: info.system,
	}
	if info.project != nil {
		p.ProjectID, p.ProjectName, p.ProjectDomain = info.project.ID, info.project.Name, info.project.DomainID
		p.IsAdminProject = s.isAdminProject(info.project)
	}
	if info.domain != nil {
		p.DomainID = info.domain.ID
	}
	for _, r := range info.roles {
		p.Roles = append(p.Roles, r.Name)
	}
	if info.appCred != nil {
		for _, r := range info.appCred.AccessRules {
			p.AccessRules = append(p.AccessRules, policy.AccessRule{Service: r.Service, Method: r.Method, Path: r.Path})
		}
	}
	return p
}

// AdminProjectName is the cloud's admin project, in the Default domain
// (Keystone's [resource] admin_project_name and admin_project_domain_name,
// as DevStack sets them): the admin role makes a cloud admin there only.
const AdminProjectName = "admin"

func (s *Service) isAdminProject(p *Project) bool {
	return s.opts.AnyProjectAdmin || (p.Name == AdminProjectName && p.DomainID == DefaultDomainID)
}

// consumeTrustUse takes one use of a trust with limited uses, failing
// when none is left.
func consumeTrustUse(ctx context.Context, tx *sql.Tx, id string) error {
	res, err := tx.ExecContext(ctx, "UPDATE identity_trusts SET remaining_uses = remaining_uses - 1 WHERE id = $1 AND remaining_uses > 0", id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	var left int64
	if err := tx.QueryRowContext(ctx, "SELECT remaining_uses FROM identity_trusts WHERE id = $1", id).Scan(&left); err != nil {
		return store.Map(err)
	}
	if left < 0 {
		return nil // unlimited
	}
	return unauthorized(errors.New("trust " + id + " has no uses left"))
}
