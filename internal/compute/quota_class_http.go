package compute

import (
	"net/http"

	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// os-quota-class-sets on the wire.

func quotaClassView(r *http.Request, id string, vals map[string]int64) map[string]any {
	out := map[string]any{}
	if id != "" {
		out["id"] = id
	}
	f := classFiltered(mv(r))
	for _, res := range quotaResources {
		if v, ok := vals[res]; ok && !f[res] {
			out[res] = v
		}
	}
	return map[string]any{"quota_class_set": out}
}

// getQuotaClass is GET /os-quota-class-sets/{id}: every class has the
// default limits but 'default', which may be changed.
func (s *Service) getQuotaClass(w http.ResponseWriter, r *http.Request) error {
	vals, err := s.QuotaClass(r.Context())
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, quotaClassView(r, r.PathValue("class"), vals))
}

// quotaClassRequest reads PUT /os-quota-class-sets/{class}: the class
// name and the limits to set, of the resources the microversion shows.
func quotaClassRequest(r *http.Request) (string, map[string]int64, error) {
	_, m, err := body(r, "quota_class_set")
	if err != nil {
		return "", nil, err
	}
	class := r.PathValue("class")
	if err := length("id", class, 1, 255); err != nil {
		return "", nil, err
	}
	f := classFiltered(mv(r))
	var allowed []string
	for _, res := range quotaResources {
		if !f[res] || (mv(r) < 50 && (res == "server_groups" || res == "server_group_members")) {
			allowed = append(allowed, res)
		}
	}
	if err := only("quota_class_set", m, allowed...); err != nil {
		return "", nil, err
	}
	set := map[string]int64{}
	for k := range m {
		n, err := intField(m, k, -1, 0)
		if err != nil {
			return "", nil, err
		}
		set[k] = n
	}
	return class, set, nil
}

func (s *Service) updateQuotaClass(w http.ResponseWriter, r *http.Request) error {
	class, set, err := quotaClassRequest(r)
	if err != nil {
		return err
	}
	vals, err := s.UpdateQuotaClass(r.Context(), class, set)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, quotaClassView(r, "", vals))
}
