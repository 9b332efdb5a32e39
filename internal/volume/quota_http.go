package volume

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// quotaBody reads {"<key>": {resource: int, ...}}, refusing unknown
// resources (Cinder's quota_set format check).
func (s *Service) quotaBody(r *http.Request, key string) (map[string]int64, error) {
	top, err := decodeBodyRaw(r)
	if err != nil {
		return nil, err
	}
	raw, ok := top[key]
	if !ok {
		return nil, fault.Invalidf("'%s' is a required property", key)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, validation(key, string(raw), string(raw)+" is not of type 'object'")
	}
	if len(m) == 0 {
		return nil, validation(key, "{}", "{} does not have enough properties")
	}
	known, err := classLimits(r.Context(), s.r, "default")
	if err != nil {
		return nil, err
	}
	set := map[string]int64{}
	var bad []string
	for k, v := range m {
		if k == "id" || k == "tenant_id" {
			continue
		}
		if _, ok := known[k]; !ok {
			bad = append(bad, k)
			continue
		}
		n, ok := quotaInt(v)
		if !ok {
			return nil, fault.Invalidf("%s must be an integer.", k)
		}
		if n < -1 {
			return nil, fault.Invalidf("%s must be >= -1", k)
		}
		set[k] = n
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		kind := "quota set"
		if key == "quota_class_set" {
			kind = "quota class set"
		}
		return nil, invalidInput("Bad key(s) in %s: %s", kind, strings.Join(bad, ", "))
	}
	return set, nil
}

func quotaInt(v any) (int64, bool) {
	switch x := v.(type) {
	case float64:
		if x != float64(int64(x)) {
			return 0, false
		}
		return int64(x), true
	case string:
		var n int64
		neg := strings.HasPrefix(x, "-")
		d := strings.TrimPrefix(x, "-")
		if d == "" {
			return 0, false
		}
		for _, c := range d {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int64(c-'0')
		}
		if neg {
			n = -n
		}
		return n, true
	}
	return 0, false
}

func quotaWire(id string, lim map[string]int64, u Usage) map[string]any {
	out := map[string]any{}
	if id != "" {
		out["id"] = id
	}
	for k, v := range lim {
		if u == nil {
			out[k] = v
			continue
		}
		out[k] = map[string]int64{"limit": v, "in_use": u[k], "reserved": 0}
	}
	return out
}

func (s *Service) showQuotaHTTP(w http.ResponseWriter, r *http.Request) error {
	usage, _ := parseBool(r.URL.Query().Get("usage"))
	target := r.PathValue("target")
	lim, u, err := s.QuotaSet(r.Context(), principal(r), target, usage)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"quota_set": quotaWire(target, lim, u)})
}

func (s *Service) quotaDefaultsHTTP(w http.ResponseWriter, r *http.Request) error {
	target := r.PathValue("target")
	lim, err := s.DefaultQuotas(r.Context(), principal(r), target)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"quota_set": quotaWire(target, lim, nil)})
}

func (s *Service) updateQuotaHTTP(w http.ResponseWriter, r *http.Request) error {
	set, err := s.quotaBody(r, "quota_set")
	if err != nil {
		return err
	}
	target := r.PathValue("target")
	lim, err := s.SetQuotas(r.Context(), target, "", set)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"quota_set": quotaWire("", lim, nil)})
}

func (s *Service) deleteQuotaHTTP(w http.ResponseWriter, r *http.Request) error {
	if err := s.ResetQuotas(r.Context(), r.PathValue("target")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Service) showQuotaClassHTTP(w http.ResponseWriter, r *http.Request) error {
	class := r.PathValue("class")
	lim, err := s.QuotaClass(r.Context(), class)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"quota_class_set": quotaWire(class, lim, nil)})
}

func (s *Service) updateQuotaClassHTTP(w http.ResponseWriter, r *http.Request) error {
	set, err := s.quotaBody(r, "quota_class_set")
	if err != nil {
		return err
	}
	class := r.PathValue("class")
	lim, err := s.SetQuotas(r.Context(), "", class, set)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"quota_class_set": quotaWire("", lim, nil)})
}
