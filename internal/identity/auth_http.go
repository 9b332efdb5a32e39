package identity

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
)

const subjectTokenHeader = "X-Subject-Token"

// validationError is Keystone's ValidationError text.
func validationError(attribute, target string) *fault.Error {
	return fault.Invalidf("Expecting to find %s in %s - the server could not comply with the request since it is either "+
		"malformed or otherwise incorrect. The client is assumed to be in error.", attribute, target)
}

// validationErrorText is a Keystone 400 whose message_format ends with the
// standard sentence (ValidationTimeStampError, ValidationExpirationError).
func validationErrorText(first string) *fault.Error {
	return fault.Invalidf("%s The server could not comply with the request since it is either malformed or otherwise "+
		"incorrect. The client is assumed to be in error.", first)
}

// createToken is POST /v3/auth/tokens.
func (s *Service) createToken(w http.ResponseWriter, r *http.Request) error {
	var req authRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		return err
	}
	info, err := s.authenticate(r.Context(), &req)
	if err != nil {
		return err
	}
	w.Header().Set(subjectTokenHeader, info.token)
	return s.writeToken(r.Context(), w, http.StatusCreated, info, !r.URL.Query().Has("nocatalog"))
}

// subjectToken validates X-Subject-Token for GET/HEAD/DELETE: the caller
// must be an admin or the token's own user.
func (s *Service) subjectToken(r *http.Request) (*tokenInfo, error) {
	tok := r.Header.Get(subjectTokenHeader)
	if tok == "" {
		return nil, validationError(subjectTokenHeader, "headers")
	}
	info, err := s.validate(r.Context(), tok)
	if errors.Is(err, errInvalidToken) {
		return nil, fault.NotFoundf("Could not find token: %s.", tok)
	}
	if err != nil {
		return nil, err
	}
	p := policy.FromContext(r.Context())
	if !p.IsAdmin() && p.UserID != info.user.ID {
		return nil, fault.Forbiddenf("You are not authorized to perform the requested action: identity:validate_token.")
	}
	return info, nil
}

func (s *Service) validateToken(w http.ResponseWriter, r *http.Request) error {
	info, err := s.subjectToken(r)
	if err != nil {
		return err
	}
	w.Header().Set(subjectTokenHeader, info.token)
	return s.writeToken(r.Context(), w, http.StatusOK, info, !r.URL.Query().Has("nocatalog"))
}

// writeToken writes the v3 token body, rendered once per validated token.
func (s *Service) writeToken(ctx context.Context, w http.ResponseWriter, status int, info *tokenInfo, withCatalog bool) error {
	i := 0
	if withCatalog {
		i = 1
	}
	b := info.body[i].Load()
	if b == nil {
		body, err := s.tokenWire(ctx, info, withCatalog)
		if err != nil {
			return err
		}
		js, err := json.Marshal(body)
		if err != nil {
			return err
		}
		b = &js
		info.body[i].Store(b)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(*b)))
	w.WriteHeader(status)
	_, err := w.Write(*b)
	return err
}

func (s *Service) checkToken(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.subjectToken(r); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Service) revokeToken(w http.ResponseWriter, r *http.Request) error {
	info, err := s.subjectToken(r)
	if err != nil {
		return err
	}
	if err := s.revoke(r.Context(), info); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// callerToken is the validated token of the request's X-Auth-Token.
func (s *Service) callerToken(r *http.Request) (*tokenInfo, error) {
	info, err := s.validate(r.Context(), r.Header.Get(httpapi.AuthTokenHeader))
	if errors.Is(err, errInvalidToken) {
		return nil, unauthorized(err)
	}
	return info, err
}

func (s *Service) authCatalog(w http.ResponseWriter, r *http.Request) error {
	info, err := s.callerToken(r)
	if err != nil {
		return err
	}
	if info.unscoped() {
		return fault.Forbiddenf("A project-scoped token is required to produce a service catalog.")
	}
	projectID := ""
	if info.project != nil {
		projectID = info.project.ID
	}
	c, err := s.catalogFor(r.Context(), projectID)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"catalog": c, "links": listLinks(r)})
}

func (s *Service) authProjects(w http.ResponseWriter, r *http.Request) error {
	projects, err := s.AuthProjects(r.Context(), policy.FromContext(r.Context()))
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, pr := range projects {
		out = append(out, projectWire(r, pr))
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"projects": out, "links": listLinks(r)})
}

func (s *Service) authDomains(w http.ResponseWriter, r *http.Request) error {
	domains, err := s.AuthDomains(r.Context(), policy.FromContext(r.Context()))
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, d := range domains {
		out = append(out, domainWire(r, d))
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"domains": out, "links": listLinks(r)})
}

// authSystem is GET /v3/auth/system: the system scopes the caller may
// ask for, [{"all": true}] when it (or a group of it) has a system role.
func (s *Service) authSystem(w http.ResponseWriter, r *http.Request) error {
	hasSystem, err := s.AuthSystem(r.Context(), policy.FromContext(r.Context()))
	if err != nil {
		return err
	}
	systems := []map[string]bool{}
	if hasSystem {
		systems = append(systems, map[string]bool{"all": true})
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"system": systems, "links": listLinks(r)})
}
