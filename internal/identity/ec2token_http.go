package identity

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// POST /v3/ec2tokens and /v3/s3tokens, as keystone/api/ec2tokens.py,
// s3tokens.py and _shared/EC2_S3_Resource.py: a service (admin or the
// "service" role, Keystone's ADMIN_OR_SERVICE) hands over an EC2- or
// S3-signed request; when the signature matches the secret of the ec2
// credential named by its access key, the answer is a token scoped to the
// credential's project (or trust). Signed timestamps older than 15 minutes
// (Keystone's [credential] auth_ttl) are refused.

const ec2AuthTTL = 15 * time.Minute

// adminOrService is Keystone's ADMIN_OR_SERVICE rule.
func adminOrService(p *policy.Principal, action string) error {
	if p.IsAdmin() || p.HasRole("service") {
		return nil
	}
	return forbiddenAction("identity:" + action)
}

// decodeEC2 reads {"credentials"|"credential"|"ec2Credentials": {...}}.
func decodeEC2(r *http.Request) (*ec2Request, error) {
	var body map[string]json.RawMessage
	if err := httpapi.DecodeJSON(r, &body); err != nil {
		return nil, err
	}
	if len(body) == 0 {
		return nil, fault.Invalidf("request must include a request body")
	}
	var c ec2Request
	for _, k := range []string{"credentials", "credential", "ec2Credentials"} {
		if raw, ok := body[k]; ok && string(raw) != "null" {
			if err := json.Unmarshal(raw, &c); err != nil {
				return nil, fault.Invalidf("%s", httpapi.Keystone.MalformedBody()).WithCause(err)
			}
			break
		}
	}
	if c.Access == "" {
		return nil, unauthorized(errors.New("EC2 signature not supplied"))
	}
	return &c, nil
}

// signedToken checks the request's signature with check and issues the
// token of the credential it names.
func (s *Service) signedToken(ctx context.Context, c *ec2Request, check func(secret string) (bool, error)) (*tokenInfo, error) {
	cred, err := getEC2ByAccess(ctx, s.db.R(), s.creds, c.Access)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fault.NotFoundf("EC2 access key not found.")
	}
	if err != nil {
		return nil, err
	}
	ec2 := cred.ec2()
	ok, err := check(ec2.Secret)
	if err != nil || !ok {
		return nil, unauthorized(errors.New("invalid EC2 signature"))
	}
	if at, present, err := c.signedAt(); err != nil {
		return nil, unauthorized(errors.New("credential timestamp is invalid"))
	} else if present && s.now().After(at.Add(ec2AuthTTL)) {
		return nil, unauthorized(errors.New("credential is expired"))
	}
	ir := issueRequest{methods: []string{"ec2credential"}, scope: tokenScope{projectID: ec2.ProjectID}}
	userID := ec2.UserID
	if ec2.TrustID != "" {
		t, err := getTrust(ctx, s.db.R(), ec2.TrustID)
		if err != nil || !s.trustLive(t) {
			return nil, unauthorized(errors.New("trust of the ec2 credential is gone"))
		}
		userID, ir.scope = t.TrusteeID, tokenScope{trustID: t.ID}
	}
	if ir.user, _, err = enabledUser(ctx, s.db.R(), userID); err != nil {
		return nil, unauthorized(err)
	}
	return s.issue(ctx, ir)
}

func sameSignature(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

func (s *Service) ec2Tokens(w http.ResponseWriter, r *http.Request) error {
	if err := adminOrService(policy.FromContext(r.Context()), "ec2tokens_validate"); err != nil {
		return err
	}
	c, err := decodeEC2(r)
	if err != nil {
		return err
	}
	if c.Signature == "" {
		return unauthorized(errors.New("EC2 signature not supplied"))
	}
	info, err := s.signedToken(r.Context(), c, func(secret string) (bool, error) {
		sig, err := ec2Signature(secret, c)
		if err != nil {
			return false, err
		}
		if sameSignature(sig, c.Signature) {
			return true, nil
		}
		// Some clients sign without the port; Keystone tries again.
		if host, ok := hostWithoutPort(c.Host); ok {
			c2 := *c
			c2.Host = host
			if sig, err = ec2Signature(secret, &c2); err == nil && sameSignature(sig, c.Signature) {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	w.Header().Set(subjectTokenHeader, info.token)
	return s.writeToken(r.Context(), w, http.StatusOK, info, true)
}

func (s *Service) s3Tokens(w http.ResponseWriter, r *http.Request) error {
	if err := adminOrService(policy.FromContext(r.Context()), "s3tokens_validate"); err != nil {
		return err
	}
	c, err := decodeEC2(r)
	if err != nil {
		return err
	}
	info, err := s.signedToken(r.Context(), c, func(secret string) (bool, error) {
		sig, err := s3Signature(secret, c.Token)
		if err != nil {
			return false, err
		}
		return sameSignature(sig, c.Signature), nil
	})
	if err != nil {
		return err
	}
	return s.writeToken(r.Context(), w, http.StatusOK, info, true)
}
