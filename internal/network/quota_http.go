package network

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"

	"github.com/stratus-iaas/stratus/internal/httpapi"
)

func quotaWire(project string, limits map[string]int64) map[string]any {
	out := map[string]any{}
	for k, v := range limits {
		out[k] = v
	}
	if project != "" {
		out["project_id"], out["tenant_id"] = project, project
	}
	return out
}

// listQuotasHTTP lists the projects whose quotas differ from the defaults.
func (s *Service) listQuotasHTTP(w http.ResponseWriter, r *http.Request) error {
	all, err := s.ProjectsWithQuotas(r.Context())
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(all))
	for id := range all {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([]map[string]any, len(ids))
	for i, id := range ids {
		out[i] = quotaWire(id, all[id])
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"quotas": out})
}

// quotaProject is the project of a quota path: "tenant" is the caller's.
func quotaProject(r *http.Request) string {
	id := strings.TrimSuffix(r.PathValue("project_id"), ".json")
	if id == "tenant" {
		if p := principal(r); p != nil {
			return p.ProjectID
		}
	}
	return id
}

func (s *Service) showQuotaHTTP(w http.ResponseWriter, r *http.Request) error {
	project := quotaProject(r)
	lim, err := s.Quota(r.Context(), principal(r), project)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"quota": quotaWire("", lim)})
}

func (s *Service) defaultQuotaHTTP(w http.ResponseWriter, r *http.Request) error {
	if !scopeOf(principal(r)).owns(quotaProject(r)) {
		return notAuthorized("rule:get_quota")
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"quota": quotaWire("", s.DefaultQuota())})
}

type usageWire struct {
	Limit    int64 `json:"limit"`
	Used     int64 `json:"used"`
	Reserved int64 `json:"reserved"`
}

func (s *Service) quotaDetailsHTTP(w http.ResponseWriter, r *http.Request) error {
	d, err := s.QuotaDetails(r.Context(), principal(r), quotaProject(r))
	if err != nil {
		return err
	}
	out := map[string]usageWire{}
	for k, u := range d {
		out[k] = usageWire{u.Limit, u.Used, u.Reserved}
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"quota": out})
}

func (s *Service) updateQuotaHTTP(w http.ResponseWriter, r *http.Request) error {
	items, _, err := decodeItems(r, "quota", false)
	if err != nil {
		return err
	}
	set := map[string]int64{}
	var unknown []string
	for k, raw := range items[0] {
		if _, ok := s.quotas[k]; !ok {
			unknown = append(unknown, k)
			continue
		}
		var v any
		json.Unmarshal(raw, &v)
		n, err := item(items[0]).integer(k)
		if err != nil {
			return err
		}
		if *n < -1 {
			return invalidAttr(k, "'"+pyValue(v)+"' is too small - must be at least '-1'")
		}
		set[k] = int64(*n)
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return badRequest("Unrecognized attribute(s) '%s'", strings.Join(unknown, ", "))
	}
	lim, err := s.UpdateQuota(r.Context(), quotaProject(r), set)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"quota": quotaWire("", lim)})
}

func (s *Service) resetQuotaHTTP(w http.ResponseWriter, r *http.Request) error {
	if err := s.ResetQuota(r.Context(), quotaProject(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
