package compute

import (
	"net/http"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// limitNames are the /limits names of each quota resource.
var limitNames = map[string][]string{
	"ram": {"maxTotalRAMSize"}, "instances": {"maxTotalInstances"}, "cores": {"maxTotalCores"},
	"key_pairs": {"maxTotalKeypairs"}, "floating_ips": {"maxTotalFloatingIps"},
	"metadata_items": {"maxServerMeta", "maxImageMeta"}, "injected_files": {"maxPersonality"},
	"injected_file_content_bytes": {"maxPersonalitySize"}, "security_groups": {"maxSecurityGroups"},
	"security_group_rules": {"maxSecurityGroupRules"}, "server_groups": {"maxServerGroups"},
	"server_group_members": {"maxServerGroupMembers"},
}

var usedNames = map[string]string{
	"totalRAMUsed": "ram", "totalCoresUsed": "cores", "totalInstancesUsed": "instances",
	"totalFloatingIpsUsed": "floating_ips", "totalSecurityGroupsUsed": "security_groups",
	"totalServerGroupsUsed": "server_groups",
}

// getLimits is GET /limits: the caller's project (or ?tenant_id= for
// admin) limits and usage, as Nova's limits view.
func (s *Service) getLimits(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	project := p.ProjectID
	if t := r.URL.Query().Get("tenant_id"); t != "" && t != project {
		if !p.IsAdmin() {
			return fault.Forbiddenf("Policy doesn't allow os_compute_api:limits:other_project to be performed.")
		}
		project = t
	}
	limits, err := s.Limits(r.Context(), project, "")
	if err != nil {
		return err
	}
	used, err := s.Usage(r.Context(), s.r, project, "")
	if err != nil {
		return err
	}
	filtered := filteredQuotas(mv(r))
	abs := map[string]int64{}
	for res, names := range limitNames {
		if filtered[res] {
			continue
		}
		for _, n := range names {
			if n == "maxImageMeta" && atLeast(r, 39) {
				continue
			}
			abs[n] = limits[res]
		}
	}
	for n, res := range usedNames {
		if !filtered[res] {
			abs[n] = used[res]
		}
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"limits": map[string]any{"rate": []any{}, "absolute": abs}})
}

// quotaSetView renders a quota set: values per resource, with "id" when
// given.
func quotaSetView(r *http.Request, id string, vals map[string]any) map[string]any {
	out := map[string]any{}
	if id != "" {
		out["id"] = id
	}
	filtered := filteredQuotas(mv(r))
	for _, res := range quotaResources {
		if v, ok := vals[res]; ok && !filtered[res] {
			out[res] = v
		}
	}
	return map[string]any{"quota_set": out}
}

// quotaTarget checks who may read a project's quotas: its members and admin.
func quotaTarget(r *http.Request) (project, user string, err error) {
	p := principal(r)
	project = r.PathValue("project")
	if project != p.ProjectID && !p.IsAdmin() {
		return "", "", fault.Forbiddenf("Policy doesn't allow os_compute_api:os-quota-sets:show to be performed.")
	}
	return project, r.URL.Query().Get("user_id"), nil
}

func (s *Service) showQuotas(detail bool) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		project, user, err := quotaTarget(r)
		if err != nil {
			return err
		}
		limits, err := s.Limits(r.Context(), project, user)
		if err != nil {
			return err
		}
		vals := map[string]any{}
		if !detail {
			for k, v := range limits {
				vals[k] = v
			}
			return httpapi.WriteJSON(w, http.StatusOK, quotaSetView(r, project, vals))
		}
		used, err := s.Usage(r.Context(), s.r, project, user)
		if err != nil {
			return err
		}
		for k, v := range limits {
			vals[k] = map[string]int64{"limit": v, "in_use": used[k], "reserved": 0}
		}
		return httpapi.WriteJSON(w, http.StatusOK, quotaSetView(r, project, vals))
	}
}

func (s *Service) quotaDefaults(w http.ResponseWriter, r *http.Request) error {
	defaults, err := s.defaultQuotas(r.Context(), s.r)
	if err != nil {
		return err
	}
	vals := map[string]any{}
	for k, v := range defaults {
		vals[k] = v
	}
	return httpapi.WriteJSON(w, http.StatusOK, quotaSetView(r, r.PathValue("project"), vals))
}

// updateQuotas is PUT /os-quota-sets/{project} (admin): each limit must be
// -1 or more and, unless force, not below what is in use.
func (s *Service) updateQuotas(w http.ResponseWriter, r *http.Request) error {
	_, m, err := body(r, "quota_set")
	if err != nil {
		return err
	}
	project, user := r.PathValue("project"), r.URL.Query().Get("user_id")
	filtered := filteredQuotas(mv(r))
	allowed := []string{"force"}
	for _, res := range quotaResources {
		if !filtered[res] {
			allowed = append(allowed, res)
		}
	}
	if err := only("quota_set", m, allowed...); err != nil {
		return err
	}
	force := false
	if v, ok := m["force"]; ok {
		if force, err = boolValue("force", v); err != nil {
			return err
		}
	}
	used, err := s.Usage(r.Context(), s.r, project, user)
	if err != nil {
		return err
	}
	set := map[string]int64{}
	for _, res := range allowed[1:] {
		if _, ok := m[res]; !ok {
			continue
		}
		n, err := intField(m, res, -1, 0)
		if err != nil {
			return err
		}
		if !force && n != -1 && n < used[res] {
			return fault.Invalidf("Quota limit %d for %s must be greater than or equal to already used and reserved %d.", n, res, used[res])
		}
		set[res] = n
	}
	if err := s.SetQuotas(r.Context(), project, user, set); err != nil {
		return err
	}
	limits, err := s.Limits(r.Context(), project, user)
	if err != nil {
		return err
	}
	vals := map[string]any{}
	for k, v := range limits {
		vals[k] = v
	}
	return httpapi.WriteJSON(w, http.StatusOK, quotaSetView(r, "", vals))
}

func (s *Service) deleteQuotas(w http.ResponseWriter, r *http.Request) error {
	if err := s.DeleteQuotas(r.Context(), r.PathValue("project"), r.URL.Query().Get("user_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}
