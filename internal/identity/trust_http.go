package identity

import (
	"net/http"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// /v3/OS-TRUST/trusts handlers; trust.go decides.

func (s *Service) trustWire(r *http.Request, t *Trust, withRoles bool) (map[string]any, error) {
	m := withExtra(t.Extra)
	var expires, project, redelegated any
	if t.ExpiresAt != 0 {
		expires = isoMicro(t.ExpiresAt)
	}
	if t.ProjectID != "" {
		project = t.ProjectID
	}
	if t.RedelegatedTrustID != "" {
		redelegated = t.RedelegatedTrustID
	}
	var uses any
	if t.RemainingUses >= 0 {
		uses = t.RemainingUses
	}
	m["id"], m["trustor_user_id"], m["trustee_user_id"], m["project_id"] = t.ID, t.TrustorID, t.TrusteeID, project
	m["impersonation"], m["expires_at"], m["remaining_uses"] = t.Impersonation, expires, uses
	m["deleted_at"], m["redelegated_trust_id"], m["redelegation_count"] = nil, redelegated, t.RedelegationCount
	m["links"] = selfLinks(r, "/OS-TRUST/trusts/"+t.ID)
	if withRoles {
		roles, err := rolesByID(r.Context(), s.db.R(), t.RoleIDs)
		if err != nil {
			return nil, err
		}
		list := []map[string]any{}
		for _, role := range roles {
			list = append(list, roleWire(r, role))
		}
		m["roles"] = list
		m["roles_links"] = map[string]any{"self": v3URL(r, "/OS-TRUST/trusts/"+t.ID+"/roles"), "next": nil, "previous": nil}
	}
	return m, nil
}

// trustFields are the attributes Keystone models; others are extra.
var trustFields = map[string]bool{"id": true, "trustor_user_id": true, "trustee_user_id": true, "project_id": true,
	"impersonation": true, "expires_at": true, "remaining_uses": true, "roles": true, "allow_redelegation": true,
	"redelegation_count": true, "links": true, "roles_links": true, "deleted_at": true, "redelegated_trust_id": true}

// trustRequest reads a create body's "trust" object as keystone's schema:
// required ids and impersonation, optional counts, expiry and roles.
func trustRequest(o object, now func() time.Time) (TrustRequest, error) {
	req := TrustRequest{RemainingUses: -1, Extra: map[string]any{}}
	for _, f := range []struct {
		key string
		dst *string
	}{{"trustor_user_id", &req.TrustorID}, {"trustee_user_id", &req.TrusteeID}, {"project_id", &req.ProjectID}} {
		v, ok, err := o.str(f.key)
		if err != nil {
			return req, err
		}
		if !ok && f.key != "project_id" {
			return req, fault.Invalidf("'%s' is a required property", f.key)
		}
		*f.dst = v
	}
	imp, ok, err := o.boolean("impersonation")
	if err != nil {
		return req, err
	}
	if !ok {
		return req, fault.Invalidf("'impersonation' is a required property")
	}
	req.Impersonation = imp
	if req.AllowRedelegation, _, err = o.boolean("allow_redelegation"); err != nil {
		return req, err
	}
	if v, present := o["remaining_uses"]; present && v != nil {
		n, isNum := asInt(v)
		if !isNum || n < 1 {
			return req, fault.Invalidf("remaining_uses must be a positive integer or null.")
		}
		req.RemainingUses = n
	}
	if v, ok, err := o.str("expires_at"); err != nil {
		return req, err
	} else if ok {
		if req.ExpiresAt, err = parseExpiration(v, now()); err != nil {
			return req, err
		}
	}
	if req.Roles, err = o.roleRefs("roles"); err != nil {
		return req, err
	}
	o.extra(req.Extra, trustFields)
	return req, nil
}

func (s *Service) createTrust(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeEntity(r, "trust")
	if err != nil {
		return err
	}
	req, err := trustRequest(o, s.now)
	if err != nil {
		return err
	}
	caller, err := s.callerToken(r)
	if err != nil {
		return err
	}
	t, err := s.CreateTrust(r.Context(), caller, req)
	if err != nil {
		return err
	}
	m, err := s.trustWire(r, t, true)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusCreated, map[string]any{"trust": m})
}

func (s *Service) listTrusts(w http.ResponseWriter, r *http.Request) error {
	caller, err := s.callerToken(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	ts, err := s.ListTrusts(r.Context(), caller, q.Get("trustor_user_id"), q.Get("trustee_user_id"))
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, t := range ts {
		m, err := s.trustWire(r, t, false)
		if err != nil {
			return err
		}
		out = append(out, m)
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"trusts": out, "links": listLinks(r)})
}

func (s *Service) getTrust(w http.ResponseWriter, r *http.Request) error {
	caller, err := s.callerToken(r)
	if err != nil {
		return err
	}
	t, err := s.GetTrust(r.Context(), caller, r.PathValue("trust_id"))
	if err != nil {
		return err
	}
	m, err := s.trustWire(r, t, true)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"trust": m})
}

func (s *Service) deleteTrust(w http.ResponseWriter, r *http.Request) error {
	caller, err := s.callerToken(r)
	if err != nil {
		return err
	}
	if err := s.DeleteTrust(r.Context(), caller, r.PathValue("trust_id")); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Service) listTrustRoles(w http.ResponseWriter, r *http.Request) error {
	caller, err := s.callerToken(r)
	if err != nil {
		return err
	}
	t, err := s.GetTrust(r.Context(), caller, r.PathValue("trust_id"))
	if err != nil {
		return err
	}
	roles, err := rolesByID(r.Context(), s.db.R(), t.RoleIDs)
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, role := range roles {
		out = append(out, roleWire(r, role))
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"roles": out, "links": listLinks(r)})
}

func (s *Service) getTrustRole(w http.ResponseWriter, r *http.Request) error {
	caller, err := s.callerToken(r)
	if err != nil {
		return err
	}
	t, err := s.GetTrust(r.Context(), caller, r.PathValue("trust_id"))
	if err != nil {
		return err
	}
	id := r.PathValue("role_id")
	if !containsString(t.RoleIDs, id) {
		return notFound("role", id)
	}
	role, err := s.role(r.Context(), s.db.R(), id)
	if err != nil {
		return err
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return nil
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"role": roleWire(r, role)})
}
