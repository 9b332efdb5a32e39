package identity

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Authentication, as Keystone's POST /v3/auth/tokens: one identity method
// (password, token or application_credential) proves who the caller is,
// then the scope (project, domain, system, OS-TRUST:trust, or none) says
// what the token may act on.

type nameRef struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Domain *nameRef `json:"domain"`
}

type authRequest struct {
	Auth *struct {
		Identity *struct {
			Methods  []string `json:"methods"`
			Password *struct {
				User *struct {
					nameRef
					Password *string `json:"password"`
				} `json:"user"`
			} `json:"password"`
			Token *struct {
				ID string `json:"id"`
			} `json:"token"`
			AppCred *struct {
				ID     string   `json:"id"`
				Name   string   `json:"name"`
				Secret *string  `json:"secret"`
				User   *nameRef `json:"user"`
			} `json:"application_credential"`
		} `json:"identity"`
		Scope json.RawMessage `json:"scope"`
	} `json:"auth"`
}

type scopeRequest struct {
	Project  *nameRef `json:"project"`
	Domain   *nameRef `json:"domain"`
	System   any      `json:"system"`
	Unscoped any      `json:"unscoped"`
	Trust    *struct {
		ID string `json:"id"`
	} `json:"OS-TRUST:trust"`
}

// resolveDomain finds a domain by id or by name; the caller turns a miss
// into its own error.
func resolveDomain(ctx context.Context, q store.Querier, ref *nameRef) (*Domain, error) {
	if ref.ID != "" {
		return getDomain(ctx, q, ref.ID)
	}
	return getDomainByName(ctx, q, ref.Name)
}

// authenticate runs the identity method and the scope and issues the token.
func (s *Service) authenticate(ctx context.Context, req *authRequest) (*tokenInfo, error) {
	if req.Auth == nil {
		return nil, validationError("auth", "request body")
	}
	id := req.Auth.Identity
	if id == nil {
		return nil, validationError("identity", "auth")
	}
	if len(id.Methods) == 0 {
		return nil, validationError("methods", "identity")
	}
	var ir issueRequest
	var err error
	switch {
	case slices.Contains(id.Methods, "password"):
		if id.Password == nil || id.Password.User == nil {
			return nil, validationError("user", "password")
		}
		if id.Password.User.Password == nil {
			return nil, validationError("password", "user")
		}
		u, err := s.checkPassword(ctx, &id.Password.User.nameRef, *id.Password.User.Password)
		if err != nil {
			return nil, err
		}
		ir = issueRequest{user: u, methods: []string{"password"}}
	case slices.Contains(id.Methods, "token"):
		if id.Token == nil || id.Token.ID == "" {
			return nil, validationError("token", "identity")
		}
		if ir, err = s.tokenIdentity(ctx, id.Token.ID); err != nil {
			return nil, err
		}
	case slices.Contains(id.Methods, "application_credential"):
		ac := id.AppCred
		if ac == nil {
			return nil, validationError("application_credential", "identity")
		}
		if len(req.Auth.Scope) > 0 && string(req.Auth.Scope) != "null" {
			return nil, fault.Unauthorizedf("Error authenticating with application credential: Application credentials cannot request a scope.")
		}
		if ir, err = s.appCredIdentity(ctx, ac.ID, ac.Name, ac.User, ac.Secret); err != nil {
			return nil, err
		}
		return s.issue(ctx, ir)
	default:
		return nil, unauthorized(errors.New("unsupported auth methods"))
	}
	sc, err := s.resolveScope(ctx, req.Auth.Scope, ir.user)
	if err != nil {
		return nil, err
	}
	if p := ir.parent; p != nil && (p.trust != nil || p.appCred != nil) {
		// A delegated token makes only tokens of the same delegation.
		if sc != (tokenScope{}) && sc != p.scope() {
			return nil, fault.Forbiddenf("You are not authorized to perform the requested action.")
		}
		sc = p.scope()
	}
	ir.scope = sc
	if sc.trustID != "" {
		t, err := s.usableTrust(ctx, sc.trustID, ir.user.ID)
		if err != nil {
			return nil, err
		}
		if t.ExpiresAt != 0 {
			ir.expiresAt = time.UnixMicro(t.ExpiresAt)
		}
	}
	return s.issue(ctx, ir)
}

// tokenIdentity authenticates with an existing token: same user, same
// expiry and audit chain, methods carried over.
func (s *Service) tokenIdentity(ctx context.Context, token string) (issueRequest, error) {
	parent, err := s.validate(ctx, token)
	if err != nil {
		if errors.Is(err, errInvalidToken) {
			return issueRequest{}, unauthorized(err)
		}
		return issueRequest{}, err
	}
	methods := []string{"token"}
	for _, m := range parent.methods {
		if m != "token" {
			methods = append(methods, m)
		}
	}
	return issueRequest{user: parent.user, methods: methods, parent: parent}, nil
}

// checkPassword authenticates a user by password: 401 on any failure.
func (s *Service) checkPassword(ctx context.Context, ref *nameRef, password string) (*User, error) {
	s.waitPending(ctx)
	q := s.db.R()
	var u *User
	var err error
	switch {
	case ref.ID != "":
		u, err = getUser(ctx, q, ref.ID)
	case ref.Name != "":
		if ref.Domain == nil || (ref.Domain.ID == "" && ref.Domain.Name == "") {
			return nil, validationError("domain", "user")
		}
		var d *Domain
		if d, err = resolveDomain(ctx, q, ref.Domain); err == nil {
			if !d.Enabled {
				s.dummyCompare(password)
				return nil, unauthorized(errors.New("user domain disabled"))
			}
			u, err = getUserByName(ctx, q, d.ID, ref.Name)
		}
	default:
		return nil, validationError("id or name", "user")
	}
	if errors.Is(err, store.ErrNotFound) {
		s.dummyCompare(password) // an unknown user takes as long as a wrong password
		return nil, unauthorized(err)
	}
	if err != nil {
		return nil, err
	}
	if u.PasswordHash == "" {
		s.dummyCompare(password) // a user without a password costs the same
		return nil, unauthorized(errors.New("no password for user " + u.ID))
	}
	if !s.compareHash(u.PasswordHash, password) {
		return nil, unauthorized(errors.New("wrong password for user " + u.ID))
	}
	if !u.Enabled {
		return nil, unauthorized(errors.New("user disabled " + u.ID))
	}
	return u, nil
}

// resolveScope turns a scope request into a token scope.
func (s *Service) resolveScope(ctx context.Context, raw json.RawMessage, u *User) (tokenScope, error) {
	q := s.db.R()
	if len(raw) == 0 || string(raw) == "null" {
		// Keystone scopes to the default project when the user may use it.
		if u.DefaultProjectID != "" {
			if p, _, err := enabledProject(ctx, q, u.DefaultProjectID); err == nil {
				if roles, err := effectiveRoles(ctx, q, u.ID, p, "", false); err == nil && len(roles) > 0 {
					return tokenScope{projectID: p.ID}, nil
				}
			}
		}
		return tokenScope{}, nil
	}
	if string(raw) == `"unscoped"` {
		return tokenScope{}, nil
	}
	var sc scopeRequest
	if err := json.Unmarshal(raw, &sc); err != nil {
		return tokenScope{}, fault.Invalidf("%s", httpapi.Keystone.MalformedBody()).WithCause(err)
	}
	n := 0
	for _, set := range []bool{sc.Project != nil, sc.Domain != nil, sc.System != nil, sc.Unscoped != nil, sc.Trust != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return tokenScope{}, validationError("system, project, domain, OS-TRUST:trust or unscoped", "scope")
	}
	switch {
	case sc.Project != nil:
		var p *Project
		var err error
		switch {
		case sc.Project.ID != "":
			p, err = getProject(ctx, q, sc.Project.ID)
		case sc.Project.Name != "":
			if sc.Project.Domain == nil {
				return tokenScope{}, validationError("domain", "project")
			}
			var d *Domain
			if d, err = resolveDomain(ctx, q, sc.Project.Domain); err == nil {
				p, err = getProjectByName(ctx, q, d.ID, sc.Project.Name)
			}
		default:
			return tokenScope{}, validationError("id or name", "project")
		}
		if errors.Is(err, store.ErrNotFound) {
			return tokenScope{}, unauthorized(err)
		}
		if err != nil {
			return tokenScope{}, err
		}
		return tokenScope{projectID: p.ID}, nil
	case sc.Domain != nil:
		if sc.Domain.ID == "" && sc.Domain.Name == "" {
			return tokenScope{}, validationError("id or name", "domain")
		}
		d, err := resolveDomain(ctx, q, sc.Domain)
		if errors.Is(err, store.ErrNotFound) {
			return tokenScope{}, unauthorized(err)
		}
		if err != nil {
			return tokenScope{}, err
		}
		return tokenScope{domainID: d.ID}, nil
	case sc.System != nil:
		if m, ok := sc.System.(map[string]any); !ok || m["all"] != true {
			return tokenScope{}, validationError("all", "system")
		}
		return tokenScope{system: true}, nil
	case sc.Trust != nil:
		if sc.Trust.ID == "" {
			return tokenScope{}, validationError("id", "OS-TRUST:trust")
		}
		return tokenScope{trustID: sc.Trust.ID}, nil
	}
	return tokenScope{}, nil
}

// dummyCompare spends one bcrypt verification, so that response time does
// not tell which user names exist. The hash is made on first use, not at
// start.
func (s *Service) dummyCompare(password string) {
	s.dummyOnce.Do(func() {
		s.dummyHash, _ = bcrypt.GenerateFromPassword([]byte(newID()), s.opts.BcryptCost)
	})
	s.compareHash(string(s.dummyHash), password)
}

// compareHash is one bcrypt verification of password against hash.
func (s *Service) compareHash(hash, password string) bool {
	s.verifications.Add(1)
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// hashSecret is a bcrypt hash of a generated secret (an application
// credential's) at the service's cost. The secret is hashed with SHA-256
// first: it is longer than the 72 bytes bcrypt reads.
func (s *Service) hashSecret(secret string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(prehash(secret)), s.opts.BcryptCost)
	return string(h), err
}

// compareSecret checks a secret against hashSecret's hash.
func (s *Service) compareSecret(hash, secret string) bool {
	return s.compareHash(hash, prehash(secret))
}

func prehash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
