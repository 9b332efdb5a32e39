package identity

import (
	"net/http"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// Unified limit handlers: /v3/registered_limits and /v3/limits (limit.go
// is the Go API).

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func registeredLimitWire(r *http.Request, l *UnifiedLimit) map[string]any {
	return map[string]any{"id": l.ID, "service_id": l.ServiceID, "region_id": nullable(l.RegionID), "resource_name": l.ResourceName,
		"default_limit": l.Limit, "description": nullable(l.Description), "links": selfLinks(r, "/registered_limits/"+l.ID)}
}

func limitWire(r *http.Request, l *UnifiedLimit) map[string]any {
	return map[string]any{"id": l.ID, "project_id": nullable(l.ProjectID), "domain_id": nullable(l.DomainID), "service_id": l.ServiceID,
		"region_id": nullable(l.RegionID), "resource_name": l.ResourceName, "resource_limit": l.Limit,
		"description": nullable(l.Description), "links": selfLinks(r, "/limits/"+l.ID)}
}

// readLimit fills l from one request entity; registered reads
// default_limit, otherwise resource_limit and the project or domain.
func readLimit(o object, l *UnifiedLimit, registered, create bool) error {
	fields := []struct {
		key string
		dst *string
	}{{"service_id", &l.ServiceID}, {"region_id", &l.RegionID}, {"resource_name", &l.ResourceName}, {"description", &l.Description}}
	if !registered {
		fields = append(fields, struct {
			key string
			dst *string
		}{"project_id", &l.ProjectID}, struct {
			key string
			dst *string
		}{"domain_id", &l.DomainID})
	}
	for _, f := range fields {
		if _, present := o[f.key]; !present {
			continue
		}
		v, _, err := o.str(f.key)
		if err != nil {
			return err
		}
		*f.dst = v
	}
	key := "resource_limit"
	if registered {
		key = "default_limit"
	}
	if v, present := o[key]; present {
		n, ok := asInt(v)
		if !ok || n < -1 {
			return fault.Invalidf("Invalid input for field '%s': %v is not a valid limit (an integer of at least -1)", key, v)
		}
		l.Limit = n
	} else if create {
		return fault.Invalidf("'%s' is a required property", key)
	}
	if create {
		for _, req := range []struct{ key, val string }{{"service_id", l.ServiceID}, {"resource_name", l.ResourceName}} {
			if req.val == "" {
				return fault.Invalidf("'%s' is a required property", req.key)
			}
		}
		if !registered && (l.ProjectID == "") == (l.DomainID == "") {
			return fault.Invalidf("Invalid input for field 'limits': exactly one of 'project_id' and 'domain_id' is required")
		}
	}
	return nil
}

// decodeLimits reads {"<key>": [{...}, ...]}.
func decodeLimits(r *http.Request, key string) ([]object, error) {
	var body map[string]any
	if err := httpapi.DecodeJSON(r, &body); err != nil {
		return nil, err
	}
	list, ok := body[key].([]any)
	if !ok || len(list) == 0 {
		return nil, fault.Invalidf("'%s' is a required property", key)
	}
	out := make([]object, 0, len(list))
	for _, v := range list {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, typeError(key, v, "object")
		}
		out = append(out, object(m))
	}
	return out, nil
}

func (s *Service) createRegisteredLimits(w http.ResponseWriter, r *http.Request) error {
	return s.createUnified(w, r, true)
}

func (s *Service) createLimits(w http.ResponseWriter, r *http.Request) error {
	return s.createUnified(w, r, false)
}

// createUnified is POST /v3/registered_limits and /v3/limits: every entity
// of the list is stored, or none.
func (s *Service) createUnified(w http.ResponseWriter, r *http.Request, registered bool) error {
	key, wire := "limits", limitWire
	if registered {
		key, wire = "registered_limits", registeredLimitWire
	}
	objs, err := decodeLimits(r, key)
	if err != nil {
		return err
	}
	fills := make([]func(*UnifiedLimit) error, 0, len(objs))
	for _, o := range objs {
		fills = append(fills, func(l *UnifiedLimit) error { return readLimit(o, l, registered, true) })
	}
	made, err := s.CreateUnifiedLimits(r.Context(), registered, fills)
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, l := range made {
		out = append(out, wire(r, l))
	}
	return httpapi.WriteJSON(w, http.StatusCreated, map[string]any{key: out})
}

func (s *Service) listRegisteredLimits(w http.ResponseWriter, r *http.Request) error {
	ls, err := s.RegisteredLimits(r.Context())
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, l := range ls {
		if m := registeredLimitWire(r, l); matchesFilters(r, []string{"service_id", "region_id", "resource_name"}, m) {
			out = append(out, m)
		}
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"registered_limits": out, "links": listLinks(r)})
}

func (s *Service) getRegisteredLimit(w http.ResponseWriter, r *http.Request) error {
	l, err := s.RegisteredLimitByID(r.Context(), r.PathValue("registered_limit_id"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"registered_limit": registeredLimitWire(r, l)})
}

func (s *Service) updateRegisteredLimit(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeEntity(r, "registered_limit")
	if err != nil {
		return err
	}
	l, err := s.UpdateRegisteredLimit(r.Context(), r.PathValue("registered_limit_id"),
		func(l *UnifiedLimit) error { return readLimit(o, l, true, false) })
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"registered_limit": registeredLimitWire(r, l)})
}

func (s *Service) deleteRegisteredLimit(w http.ResponseWriter, r *http.Request) error {
	if err := s.DeleteRegisteredLimit(r.Context(), r.PathValue("registered_limit_id")); err != nil {
		return err
	}
	return noContent(w)
}

// listLimits lists the limits the caller sees (Limits).
func (s *Service) listLimits(w http.ResponseWriter, r *http.Request) error {
	ls, err := s.Limits(r.Context(), policy.FromContext(r.Context()))
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, l := range ls {
		if m := limitWire(r, l); matchesFilters(r, []string{"service_id", "region_id", "resource_name", "project_id", "domain_id"}, m) {
			out = append(out, m)
		}
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"limits": out, "links": listLinks(r)})
}

func (s *Service) getLimit(w http.ResponseWriter, r *http.Request) error {
	l, err := s.LimitByID(r.Context(), policy.FromContext(r.Context()), r.PathValue("limit_id"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"limit": limitWire(r, l)})
}

func (s *Service) updateLimit(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeEntity(r, "limit")
	if err != nil {
		return err
	}
	// Only the value and the description of a limit change, as Keystone.
	for k := range o {
		if k != "resource_limit" && k != "description" && k != "id" {
			return fault.Invalidf("Additional properties are not allowed ('%s' was unexpected)", k)
		}
	}
	l, err := s.UpdateLimit(r.Context(), r.PathValue("limit_id"), func(l *UnifiedLimit) error { return readLimit(o, l, false, false) })
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"limit": limitWire(r, l)})
}

func (s *Service) deleteLimit(w http.ResponseWriter, r *http.Request) error {
	if err := s.DeleteLimit(r.Context(), r.PathValue("limit_id")); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Service) limitModel(w http.ResponseWriter, r *http.Request) error {
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"model": map[string]any{"name": "flat",
		"description": "Limit enforcement and validation does not take project hierarchy into consideration."}})
}
