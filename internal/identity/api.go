package identity

import (
	"context"
	"errors"

	"github.com/stratus-iaas/stratus/internal/policy"
)

// The Go API other services call (imports, signed requests): who a
// credential or password belongs to and what they may do, without a
// token. Errors for clients are *fault.Error, as Keystone would answer.

// PrincipalFor returns the principal of userID acting on projectID with
// the user's current effective roles (as a token scoped there would carry,
// implied roles included), or an Unauthorized *fault.Error when the user,
// the project or their domains are disabled or gone, or the user holds no
// role there.
func (s *Service) PrincipalFor(ctx context.Context, userID, projectID string) (*policy.Principal, error) {
	if userID == "" || projectID == "" {
		return nil, unauthorized(errors.New("principal: user and project are required"))
	}
	info := &tokenInfo{}
	if err := s.resolveToken(ctx, s.db.R(), info, userID, tokenScope{projectID: projectID}); err != nil {
		if errors.Is(err, errInvalidToken) {
			return nil, unauthorized(err)
		}
		return nil, err
	}
	return info.principal, nil
}

// VerifyPassword checks password for the user named userName in the
// domain named domainName (K5 import's user_name/password/domain_name),
// returning the user's id, or an Unauthorized *fault.Error when the name,
// domain or password is wrong or the user or its domain is disabled. It
// costs one bcrypt verification whatever the outcome, unknown users
// included, so timing does not reveal which names exist.
func (s *Service) VerifyPassword(ctx context.Context, userName, domainName, password string) (string, error) {
	if userName == "" || domainName == "" {
		s.dummyCompare(password)
		return "", unauthorized(errors.New("verify password: user and domain names are required"))
	}
	u, err := s.checkPassword(ctx, &nameRef{Name: userName, Domain: &nameRef{Name: domainName}}, password)
	if err != nil {
		return "", err
	}
	return u.ID, nil
}
