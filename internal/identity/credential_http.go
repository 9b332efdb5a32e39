package identity

import (
	"net/http"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// Credentials: /v3/credentials (any type, admin or the owner) and the
// OS-EC2 view of the ec2 ones under /v3/users/{user_id}/credentials/OS-EC2,
// as Keystone serves them (keystone/api/credentials.py and users.py). The
// handlers decode and render; credential.go and ec2_credential.go decide.

func credentialWire(r *http.Request, c *Credential) map[string]any {
	var project any
	if c.ProjectID != "" {
		project = c.ProjectID
	}
	return map[string]any{
		"id": c.ID, "user_id": c.UserID, "project_id": project, "type": c.Type, "blob": c.Blob,
		"links": selfLinks(r, "/credentials/"+c.ID),
	}
}

func ec2Wire(r *http.Request, c *EC2Credential) map[string]any {
	var trust any
	if c.TrustID != "" {
		trust = c.TrustID
	}
	return map[string]any{
		"user_id": c.UserID, "tenant_id": c.ProjectID, "access": c.Access, "secret": c.Secret, "trust_id": trust,
		"links": selfLinks(r, "/users/"+c.UserID+"/credentials/OS-EC2/"+c.Access),
	}
}

// applyCredential copies the request's fields onto c; on create, blob,
// type and user_id are required.
func applyCredential(o object, c *Credential, create bool) error {
	for _, f := range []struct {
		key string
		dst *string
	}{{"blob", &c.Blob}, {"type", &c.Type}, {"user_id", &c.UserID}, {"project_id", &c.ProjectID}} {
		v, ok, err := o.str(f.key)
		if err != nil {
			return err
		}
		if ok {
			*f.dst = v
		} else if create && f.key != "project_id" {
			return fault.Invalidf("Invalid input for field '%s': '%s' is a required property", f.key, f.key)
		}
	}
	return nil
}

func (s *Service) createCredential(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeEntity(r, "credential")
	if err != nil {
		return err
	}
	c := &Credential{}
	if err := applyCredential(o, c, true); err != nil {
		return err
	}
	if err := s.CreateCredential(r.Context(), policy.FromContext(r.Context()), c); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusCreated, map[string]any{"credential": credentialWire(r, c)})
}

func (s *Service) listCredentials(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	cs, err := s.ListCredentials(r.Context(), policy.FromContext(r.Context()), q.Get("user_id"), q.Get("type"))
	if err != nil {
		return err
	}
	out := make([]map[string]any, 0, len(cs))
	for _, c := range cs {
		if m := credentialWire(r, c); matchesFilters(r, []string{"user_id", "type"}, m) {
			out = append(out, m)
		}
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"credentials": out, "links": listLinks(r)})
}

func (s *Service) getCredential(w http.ResponseWriter, r *http.Request) error {
	c, err := s.GetCredential(r.Context(), policy.FromContext(r.Context()), r.PathValue("credential_id"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"credential": credentialWire(r, c)})
}

func (s *Service) updateCredential(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeEntity(r, "credential")
	if err != nil {
		return err
	}
	c, err := s.UpdateCredential(r.Context(), policy.FromContext(r.Context()), r.PathValue("credential_id"),
		func(c *Credential) error { return applyCredential(o, c, false) })
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"credential": credentialWire(r, c)})
}

func (s *Service) deleteCredential(w http.ResponseWriter, r *http.Request) error {
	if err := s.DeleteCredential(r.Context(), policy.FromContext(r.Context()), r.PathValue("credential_id")); err != nil {
		return err
	}
	return noContent(w)
}

// --- OS-EC2 ---

func (s *Service) createEC2Credential(w http.ResponseWriter, r *http.Request) error {
	var o object
	if err := httpapi.DecodeJSON(r, &o); err != nil {
		return err
	}
	tenant, _, err := o.str("tenant_id")
	if err != nil {
		return err
	}
	p := policy.FromContext(r.Context())
	c, err := s.CreateEC2Credential(r.Context(), p, r.PathValue("user_id"), tenant, "")
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusCreated, map[string]any{"credential": ec2Wire(r, c)})
}

func (s *Service) listEC2Credentials(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.ListEC2Credentials(r.Context(), policy.FromContext(r.Context()), r.PathValue("user_id"))
	if err != nil {
		return err
	}
	out := make([]map[string]any, 0, len(cs))
	for _, c := range cs {
		out = append(out, ec2Wire(r, c))
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"credentials": out, "links": listLinks(r)})
}

func (s *Service) getEC2Credential(w http.ResponseWriter, r *http.Request) error {
	c, err := s.GetEC2Credential(r.Context(), policy.FromContext(r.Context()), r.PathValue("user_id"), r.PathValue("credential_id"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"credential": ec2Wire(r, c)})
}

func (s *Service) deleteEC2Credential(w http.ResponseWriter, r *http.Request) error {
	if err := s.DeleteEC2Credential(r.Context(), policy.FromContext(r.Context()), r.PathValue("user_id"), r.PathValue("credential_id")); err != nil {
		return err
	}
	return noContent(w)
}
