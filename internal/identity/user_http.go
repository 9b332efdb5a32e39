package identity

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// userFields are the attributes Keystone models; others are kept as extra.
var userFields = map[string]bool{
	"id": true, "name": true, "domain_id": true, "enabled": true, "password": true,
	"default_project_id": true, "links": true, "options": true, "password_expires_at": true,
	"federated": true,
}

func (s *Service) listUsers(w http.ResponseWriter, r *http.Request) error {
	if v := r.URL.Query()["password_expires_at"]; len(v) > 0 {
		for _, x := range v {
			if err := checkPasswordExpiresFilter(x); err != nil {
				return err
			}
		}
		// No password of stratus expires (no security_compliance rules):
		// a null password_expires_at matches no comparison, as in Keystone.
		return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"users": []any{}, "links": listLinks(r)})
	}
	return userKind.listed(w, r, s.db.R(), filter{})
}

// checkPasswordExpiresFilter validates Keystone's password_expires_at
// filter: [lt|lte|gt|gte|eq|neq:]TIMESTAMP.
func checkPasswordExpiresFilter(v string) error {
	ts := v
	if op, rest, ok := strings.Cut(v, ":"); ok && slices.Contains([]string{"lt", "lte", "gt", "gte", "eq", "neq"}, op) {
		ts = rest
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z", "2006-01-02T15:04:05", "2006-01-02"} {
		if _, err := time.Parse(layout, ts); err == nil {
			return nil
		}
	}
	return fault.Invalidf("Invalid time format for password_expires_at filter: %s.", v)
}

// userKind has no apply and save: updateUser hashes a new password
// outside the write transaction, so it is written out below.
var userKind = &entity[User]{
	name: "user", param: "user_id", table: "identity_users",
	fetch: getUser, list: listUsers, wire: userWire,
	filters: []string{"name", "domain_id", "enabled"},
}

func (s *Service) user(ctx context.Context, q store.Querier, id string) (*User, error) {
	return userKind.load(ctx, q, id)
}

// applyUser copies the request's fields onto u; it reports whether the
// password changed. Extra attributes are kept as Keystone does.
func (s *Service) applyUser(o object, u *User, create bool) (bool, error) {
	if err := o.common(create, maxName, &u.Name, nil, &u.Enabled); err != nil {
		return false, err
	}
	var err error
	if _, present := o["default_project_id"]; present {
		if u.DefaultProjectID, _, err = o.str("default_project_id"); err != nil {
			return false, err
		}
	}
	o.extra(u.Extra, userFields)
	pw, ok, err := o.str("password")
	if err != nil || !ok {
		return false, err
	}
	if u.PasswordHash, err = s.hashPassword(pw); err != nil {
		return false, err
	}
	return true, nil
}

func (s *Service) createUser(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeEntity(r, "user")
	if err != nil {
		return err
	}
	u := &User{ID: newID(), Enabled: true, Extra: map[string]any{}}
	if u.DomainID, _, err = o.str("domain_id"); err != nil {
		return err
	}
	if _, err := s.applyUser(o, u, true); err != nil {
		return err
	}
	if err := s.CreateUser(r.Context(), policy.FromContext(r.Context()), u); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusCreated, map[string]any{"user": userWire(r, u)})
}

func (s *Service) updateUser(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeEntity(r, "user")
	if err != nil {
		return err
	}
	u, err := s.UpdateUser(r.Context(), r.PathValue("user_id"), func(u *User) (bool, error) { return s.applyUser(o, u, false) })
	if err != nil {
		return err
	}
	return userKind.respond(w, r, http.StatusOK, u)
}

func (s *Service) listUserProjects(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.UserProjects(r.Context(), r.PathValue("user_id"))
	if err != nil {
		return err
	}
	out := make([]map[string]any, 0, len(ps))
	for _, p := range ps {
		out = append(out, projectWire(r, p))
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"projects": out, "links": listLinks(r)})
}

// changePassword is POST /v3/users/{user_id}/password: the user proves
// the original password; all its tokens are revoked afterwards.
func (s *Service) changePassword(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeEntity(r, "user")
	if err != nil {
		return err
	}
	orig, ok, err := o.str("original_password")
	if err != nil {
		return err
	}
	if !ok {
		return validationError("original_password", "user")
	}
	pw, ok, err := o.str("password")
	if err != nil {
		return err
	}
	if !ok {
		return validationError("password", "user")
	}
	if err := s.ChangePassword(r.Context(), r.PathValue("user_id"), orig, pw); err != nil {
		return err
	}
	return noContent(w)
}
