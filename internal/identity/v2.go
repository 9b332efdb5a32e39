package identity

import (
	"context"
	"errors"

	"github.com/stratus-iaas/stratus/internal/store"
)

// Keystone v2.0 tokens, for K5-era clients: the same tokens as v3, in
// v2.0's shape. Users and tenants are looked up in the Default domain.

type v2AuthRequest struct {
	Auth *struct {
		PasswordCredentials *struct {
			Username string  `json:"username"`
			UserID   string  `json:"userId"`
			Password *string `json:"password"`
		} `json:"passwordCredentials"`
		Token *struct {
			ID string `json:"id"`
		} `json:"token"`
		TenantName string `json:"tenantName"`
		TenantID   string `json:"tenantId"`
	} `json:"auth"`
}

// authenticateV2 checks a v2.0 auth request's credentials and tenant and
// issues the token, as authenticate does for v3.
func (s *Service) authenticateV2(ctx context.Context, req *v2AuthRequest) (*tokenInfo, error) {
	a := req.Auth
	if a == nil {
		return nil, validationError("auth", "request body")
	}
	var ir issueRequest
	switch {
	case a.PasswordCredentials != nil:
		pc := a.PasswordCredentials
		if pc.Password == nil {
			return nil, validationError("password", "passwordCredentials")
		}
		ref := &nameRef{ID: pc.UserID, Name: pc.Username, Domain: &nameRef{ID: DefaultDomainID}}
		if pc.UserID != "" {
			ref.Name = ""
		}
		u, err := s.checkPassword(ctx, ref, *pc.Password)
		if err != nil {
			return nil, err
		}
		ir = issueRequest{user: u, methods: []string{"password"}}
	case a.Token != nil:
		parent, err := s.validate(ctx, a.Token.ID)
		if err != nil {
			if errors.Is(err, errInvalidToken) {
				return nil, unauthorized(err)
			}
			return nil, err
		}
		ir = issueRequest{user: parent.user, methods: []string{"token"}, parent: parent}
	default:
		return nil, validationError("passwordCredentials or token", "auth")
	}
	switch {
	case a.TenantID != "":
		ir.scope.projectID = a.TenantID
	case a.TenantName != "":
		p, err := getProjectByName(ctx, s.db.R(), DefaultDomainID, a.TenantName)
		if errors.Is(err, store.ErrNotFound) {
			return nil, unauthorized(err)
		}
		if err != nil {
			return nil, err
		}
		ir.scope.projectID = p.ID
	}
	if ir.scope.projectID != "" {
		if _, err := getProject(ctx, s.db.R(), ir.scope.projectID); err != nil {
			return nil, unauthorized(err)
		}
	}
	return s.issue(ctx, ir)
}
