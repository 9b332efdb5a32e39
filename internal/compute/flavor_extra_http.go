package compute

import (
	"encoding/json"
	"net/http"
	"regexp"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

var (
	flavorIDRE     = regexp.MustCompile(`^[a-zA-Z0-9. _-]+$`)
	extraSpecKeyRE = regexp.MustCompile(`^[a-zA-Z0-9-_:. ]{1,255}$`)
)

// parseExtraSpecs checks an extra_specs map as Nova's schema does: keys of
// 1-255 of [a-zA-Z0-9-_:. ], values strings (or numbers, kept as text) of
// at most 255 characters.
func parseExtraSpecs(path string, v any) (map[string]string, error) {
	m, err := object(path, v)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(m))
	for k, val := range m {
		if !extraSpecKeyRE.MatchString(k) {
			return nil, schemaErr(path, m, "Additional properties are not allowed ('"+k+"' was unexpected)")
		}
		var s string
		switch t := val.(type) {
		case string:
			s = t
		case json.Number:
			s = t.String()
		default:
			return nil, schemaErr(k, val, pyRepr(val)+" is not of type 'string', 'number'")
		}
		if len([]rune(s)) > 255 {
			return nil, schemaErr(k, val, pyRepr(val)+" is too long")
		}
		out[k] = s
	}
	return out, nil
}

func (s *Service) listExtraSpecs(w http.ResponseWriter, r *http.Request) error {
	f, err := s.Flavor(r.Context(), principal(r), r.PathValue("flavor_id"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"extra_specs": f.ExtraSpecs})
}

func (s *Service) createExtraSpecs(w http.ResponseWriter, r *http.Request) error {
	top, _, err := body(r, "extra_specs")
	if err != nil {
		return err
	}
	specs, err := parseExtraSpecs("extra_specs", top["extra_specs"])
	if err != nil {
		return err
	}
	if err := s.SetExtraSpecs(r.Context(), principal(r), r.PathValue("flavor_id"), specs); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"extra_specs": specs})
}

func (s *Service) getExtraSpec(w http.ResponseWriter, r *http.Request) error {
	id, key := r.PathValue("flavor_id"), r.PathValue("key")
	f, err := s.Flavor(r.Context(), principal(r), id)
	if err != nil {
		return err
	}
	v, ok := f.ExtraSpecs[key]
	if !ok {
		return noExtraSpec(id, key)
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]string{key: v})
}

func (s *Service) updateExtraSpec(w http.ResponseWriter, r *http.Request) error {
	m, err := decodeObject(r)
	if err != nil {
		return err
	}
	if len(m) != 1 {
		return schemaErr("", m, pyRepr(m)+" has too many properties")
	}
	specs, err := parseExtraSpecs("", m)
	if err != nil {
		return err
	}
	key := r.PathValue("key")
	if _, ok := specs[key]; !ok {
		return fault.Invalidf("Request body and URI mismatch")
	}
	if err := s.SetExtraSpecs(r.Context(), principal(r), r.PathValue("flavor_id"), specs); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, specs)
}

func (s *Service) deleteExtraSpec(w http.ResponseWriter, r *http.Request) error {
	if err := s.DeleteExtraSpec(r.Context(), principal(r), r.PathValue("flavor_id"), r.PathValue("key")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func flavorAccessBody(id string, projects []string) map[string]any {
	out := make([]map[string]string, len(projects))
	for i, p := range projects {
		out[i] = map[string]string{"flavor_id": id, "tenant_id": p}
	}
	return map[string]any{"flavor_access": out}
}

func (s *Service) listFlavorAccess(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("flavor_id")
	projects, err := s.FlavorAccess(r.Context(), principal(r), id)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, flavorAccessBody(id, projects))
}

// flavorAction is POST /flavors/{id}/action: addTenantAccess and
// removeTenantAccess.
func (s *Service) flavorAction(w http.ResponseWriter, r *http.Request) error {
	top, err := decodeObject(r)
	if err != nil {
		return err
	}
	if len(top) != 1 {
		return fault.Invalidf("Malformed request body")
	}
	id := r.PathValue("flavor_id")
	for action, arg := range top {
		if action != "addTenantAccess" && action != "removeTenantAccess" {
			return fault.Invalidf("There is no such action: %s", action)
		}
		m, err := object(action, arg)
		if err != nil {
			return err
		}
		if err := required(action, m, "tenant"); err != nil {
			return err
		}
		if err := only(action, m, "tenant"); err != nil {
			return err
		}
		tenant, _, err := str(m, "tenant")
		if err != nil {
			return err
		}
		if err := length("tenant", tenant, 1, 255); err != nil {
			return err
		}
		var projects []string
		if action == "addTenantAccess" {
			projects, err = s.AddFlavorAccess(r.Context(), principal(r), id, tenant, atLeast(r, 7))
		} else {
			projects, err = s.RemoveFlavorAccess(r.Context(), principal(r), id, tenant)
		}
		if err != nil {
			return err
		}
		return httpapi.WriteJSON(w, http.StatusOK, flavorAccessBody(id, projects))
	}
	return nil
}
