package identity

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"

	"golang.org/x/crypto/bcrypt"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

const subjectTokenHeader = "X-Subject-Token"

// validationError is Keystone's ValidationError text.
func validationError(attribute, target string) *fault.Error {
	return fault.Invalidf("Expecting to find %s in %s - the server could not comply with the request since it is either "+
		"malformed or otherwise incorrect. The client is assumed to be in error.", attribute, target)
}

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
		} `json:"identity"`
		Scope json.RawMessage `json:"scope"`
	} `json:"auth"`
}

type scopeRequest struct {
	Project *nameRef `json:"project"`
	Domain  *nameRef `json:"domain"`
	System  any      `json:"system"`
}

// resolveDomain finds a domain by id or by name; the caller turns a miss
// into its own error.
func resolveDomain(ctx context.Context, q store.Querier, ref *nameRef) (*Domain, error) {
	if ref.ID != "" {
		return getDomain(ctx, q, ref.ID)
	}
	return getDomainByName(ctx, q, ref.Name)
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

// resolveScope turns a scope request into project and domain ids.
func (s *Service) resolveScope(ctx context.Context, raw json.RawMessage, u *User) (projectID, domainID string, err error) {
	q := s.db.R()
	if len(raw) == 0 || string(raw) == "null" || string(raw) == `"unscoped"` {
		// Keystone scopes to the default project when the user may use it.
		if u.DefaultProjectID != "" {
			if roles, err := userRoles(ctx, q, u.ID, targetProject, u.DefaultProjectID); err == nil && len(roles) > 0 {
				if p, err := getProject(ctx, q, u.DefaultProjectID); err == nil && p.Enabled {
					return p.ID, "", nil
				}
			}
		}
		return "", "", nil
	}
	var sc scopeRequest
	if err := json.Unmarshal(raw, &sc); err != nil {
		return "", "", fault.Invalidf("%s", httpapi.Keystone.MalformedBody()).WithCause(err)
	}
	switch {
	case sc.Project != nil:
		var p *Project
		switch {
		case sc.Project.ID != "":
			p, err = getProject(ctx, q, sc.Project.ID)
		case sc.Project.Name != "":
			if sc.Project.Domain == nil {
				return "", "", validationError("domain", "project")
			}
			var d *Domain
			if d, err = resolveDomain(ctx, q, sc.Project.Domain); err == nil {
				p, err = getProjectByName(ctx, q, d.ID, sc.Project.Name)
			}
		default:
			return "", "", validationError("id or name", "project")
		}
		if errors.Is(err, store.ErrNotFound) {
			return "", "", unauthorized(err)
		}
		if err != nil {
			return "", "", err
		}
		return p.ID, "", nil
	case sc.Domain != nil:
		if sc.Domain.ID == "" && sc.Domain.Name == "" {
			return "", "", validationError("id or name", "domain")
		}
		d, err := resolveDomain(ctx, q, sc.Domain)
		if errors.Is(err, store.ErrNotFound) {
			return "", "", unauthorized(err)
		}
		if err != nil {
			return "", "", err
		}
		return "", d.ID, nil
	case sc.System != nil:
		return "", "", fault.NotImplementedf("System-scoped tokens are not supported.")
	}
	return "", "", nil
}

// createToken is POST /v3/auth/tokens.
func (s *Service) createToken(w http.ResponseWriter, r *http.Request) error {
	var req authRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		return err
	}
	if req.Auth == nil {
		return validationError("auth", "request body")
	}
	id := req.Auth.Identity
	if id == nil {
		return validationError("identity", "auth")
	}
	if len(id.Methods) == 0 {
		return validationError("methods", "identity")
	}
	ctx := r.Context()
	var ir issueRequest
	switch {
	case slices.Contains(id.Methods, "password"):
		if id.Password == nil || id.Password.User == nil {
			return validationError("user", "password")
		}
		if id.Password.User.Password == nil {
			return validationError("password", "user")
		}
		u, err := s.checkPassword(ctx, &id.Password.User.nameRef, *id.Password.User.Password)
		if err != nil {
			return err
		}
		ir = issueRequest{user: u, methods: []string{"password"}}
	case slices.Contains(id.Methods, "token"):
		if id.Token == nil || id.Token.ID == "" {
			return validationError("token", "identity")
		}
		parent, err := s.validate(ctx, id.Token.ID)
		if err != nil {
			if errors.Is(err, errInvalidToken) {
				return unauthorized(err)
			}
			return err
		}
		methods := []string{"token"}
		for _, m := range parent.methods {
			if m != "token" {
				methods = append(methods, m)
			}
		}
		ir = issueRequest{user: parent.user, methods: methods, parent: parent}
	default:
		return unauthorized(errors.New("unsupported auth methods"))
	}
	var err error
	if ir.projectID, ir.domainID, err = s.resolveScope(ctx, req.Auth.Scope, ir.user); err != nil {
		return err
	}
	info, err := s.issue(ctx, ir)
	if err != nil {
		return err
	}
	w.Header().Set(subjectTokenHeader, info.token)
	return s.writeToken(w, http.StatusCreated, info, !r.URL.Query().Has("nocatalog"))
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
	return s.writeToken(w, http.StatusOK, info, !r.URL.Query().Has("nocatalog"))
}

// writeToken writes the v3 token body, rendered once per validated token.
func (s *Service) writeToken(w http.ResponseWriter, status int, info *tokenInfo, withCatalog bool) error {
	i := 0
	if withCatalog {
		i = 1
	}
	b := info.body[i].Load()
	if b == nil {
		js, err := json.Marshal(s.tokenWire(info, withCatalog))
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
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"catalog": s.catalogFor(projectID), "links": listLinks(r)})
}

func (s *Service) authProjects(w http.ResponseWriter, r *http.Request) error {
	p := policy.FromContext(r.Context())
	projects, err := listUserProjects(r.Context(), s.db.R(), p.UserID)
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, pr := range projects {
		if pr.Enabled {
			out = append(out, projectWire(r, pr))
		}
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"projects": out, "links": listLinks(r)})
}

func (s *Service) authDomains(w http.ResponseWriter, r *http.Request) error {
	p := policy.FromContext(r.Context())
	domains, err := listUserDomains(r.Context(), s.db.R(), p.UserID)
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, d := range domains {
		if d.Enabled {
			out = append(out, domainWire(r, d))
		}
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"domains": out, "links": listLinks(r)})
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
