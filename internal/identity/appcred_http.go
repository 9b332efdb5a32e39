package identity

import (
	"net/http"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// /v3/users/{user_id}/application_credentials and access_rules handlers;
// appcred.go decides.

func accessRuleWire(r *http.Request, a *AccessRule, links bool) map[string]any {
	m := map[string]any{"id": a.ID, "service": a.Service, "path": a.Path, "method": a.Method}
	if links {
		m["links"] = selfLinks(r, "/users/"+a.UserID+"/access_rules/"+a.ID)
	}
	return m
}

func (s *Service) appCredWire(r *http.Request, a *AppCred, secret string) (map[string]any, error) {
	var expires any
	if a.ExpiresAt != 0 {
		expires = pyISO(a.ExpiresAt)
	}
	var desc any
	if a.Description != "" {
		desc = a.Description
	}
	roles, err := rolesByID(r.Context(), s.db.R(), a.RoleIDs)
	if err != nil {
		return nil, err
	}
	rl := []map[string]any{}
	for _, role := range roles {
		var dom any
		if role.DomainID != "" {
			dom = role.DomainID
		}
		rl = append(rl, map[string]any{"id": role.ID, "name": role.Name, "domain_id": dom})
	}
	m := map[string]any{
		"id": a.ID, "name": a.Name, "description": desc, "expires_at": expires, "project_id": a.ProjectID,
		"roles": rl, "unrestricted": a.Unrestricted,
		"links": selfLinks(r, "/users/"+a.UserID+"/application_credentials/"+a.ID),
	}
	if len(a.AccessRules) > 0 {
		ar := []map[string]any{}
		for _, x := range a.AccessRules {
			ar = append(ar, accessRuleWire(r, x, false))
		}
		m["access_rules"] = ar
	}
	if secret != "" {
		m["secret"] = secret
	}
	return m, nil
}

func (s *Service) createAppCred(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeEntity(r, "application_credential")
	if err != nil {
		return err
	}
	var req AppCredRequest
	if req.Name, _, err = o.name(true, maxName); err != nil {
		return err
	}
	if req.Description, _, err = o.str("description"); err != nil {
		return err
	}
	if req.Secret, _, err = o.str("secret"); err != nil {
		return err
	}
	if req.Unrestricted, _, err = o.boolean("unrestricted"); err != nil {
		return err
	}
	if v, ok, err := o.str("expires_at"); err != nil {
		return err
	} else if ok {
		if req.ExpiresAt, err = parseExpiration(v, s.now()); err != nil {
			return err
		}
	}
	if req.Roles, err = o.roleRefs("roles"); err != nil {
		return err
	}
	if req.AccessRules, err = o.accessRules(); err != nil {
		return err
	}
	caller, err := s.callerToken(r)
	if err != nil {
		return err
	}
	a, secret, err := s.CreateAppCred(r.Context(), caller, r.PathValue("user_id"), req)
	if err != nil {
		return err
	}
	m, err := s.appCredWire(r, a, secret)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusCreated, map[string]any{"application_credential": m})
}

// accessRules reads access_rules: each {service, path, method} or {id}.
func (o object) accessRules() ([]AccessRule, error) {
	raw, present := o["access_rules"]
	if !present || raw == nil {
		return nil, nil
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, typeError("access_rules", raw, "array")
	}
	var out []AccessRule
	for _, v := range list {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, typeError("access_rules", v, "object")
		}
		var a AccessRule
		for _, f := range []struct {
			key string
			dst *string
		}{{"id", &a.ID}, {"service", &a.Service}, {"path", &a.Path}, {"method", &a.Method}} {
			v, _, err := object(m).str(f.key)
			if err != nil {
				return nil, err
			}
			*f.dst = v
		}
		if a.ID == "" && (a.Service == "" || a.Path == "" || a.Method == "") {
			return nil, fault.Invalidf("Invalid input for field 'access_rules': 'service', 'path' and 'method' are required properties")
		}
		switch a.Method {
		case "", "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE":
		default:
			return nil, fault.Invalidf("Invalid input for field 'access_rules/method': %q is not one of ['HEAD', 'GET', 'POST', 'PUT', 'PATCH', 'DELETE']", a.Method)
		}
		out = append(out, a)
	}
	return out, nil
}

func (s *Service) listAppCreds(w http.ResponseWriter, r *http.Request) error {
	caller, err := s.callerToken(r)
	if err != nil {
		return err
	}
	as, err := s.ListAppCreds(r.Context(), caller, r.PathValue("user_id"), r.URL.Query().Get("name"))
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, a := range as {
		m, err := s.appCredWire(r, a, "")
		if err != nil {
			return err
		}
		out = append(out, m)
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"application_credentials": out, "links": listLinks(r)})
}

func (s *Service) getAppCred(w http.ResponseWriter, r *http.Request) error {
	caller, err := s.callerToken(r)
	if err != nil {
		return err
	}
	a, err := s.GetAppCred(r.Context(), caller, r.PathValue("user_id"), r.PathValue("application_credential_id"))
	if err != nil {
		return err
	}
	m, err := s.appCredWire(r, a, "")
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"application_credential": m})
}

func (s *Service) deleteAppCred(w http.ResponseWriter, r *http.Request) error {
	caller, err := s.callerToken(r)
	if err != nil {
		return err
	}
	if err := s.DeleteAppCred(r.Context(), caller, r.PathValue("user_id"), r.PathValue("application_credential_id")); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Service) listAccessRules(w http.ResponseWriter, r *http.Request) error {
	caller, err := s.callerToken(r)
	if err != nil {
		return err
	}
	rs, err := s.AccessRules(r.Context(), caller, r.PathValue("user_id"))
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, a := range rs {
		out = append(out, accessRuleWire(r, a, true))
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"access_rules": out, "links": listLinks(r)})
}

func (s *Service) getAccessRule(w http.ResponseWriter, r *http.Request) error {
	caller, err := s.callerToken(r)
	if err != nil {
		return err
	}
	a, err := s.AccessRule(r.Context(), caller, r.PathValue("user_id"), r.PathValue("access_rule_id"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"access_rule": accessRuleWire(r, a, true)})
}

func (s *Service) deleteAccessRule(w http.ResponseWriter, r *http.Request) error {
	caller, err := s.callerToken(r)
	if err != nil {
		return err
	}
	if err := s.DeleteAccessRule(r.Context(), caller, r.PathValue("user_id"), r.PathValue("access_rule_id")); err != nil {
		return err
	}
	return noContent(w)
}
