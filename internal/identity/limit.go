package identity

import (
	"context"
	"database/sql"
	"errors"
	"net/http"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Unified limits, as keystone/api/registered_limits.py, limits.py and
// limit/ (flat model): registered limits are per service (and region)
// defaults; limits override them per project or domain. Other services
// read them through Limit (api.go) for their quotas.

// UnifiedLimit is a registered limit (ProjectID and DomainID empty) or a
// project or domain limit.
type UnifiedLimit struct {
	ID, ServiceID, RegionID, ResourceName, Description string
	ProjectID, DomainID                                string
	Limit                                              int64
}

const registeredLimitCols = "id, service_id, region_id, resource_name, default_limit, description"
const limitCols = "id, project_id, domain_id, service_id, region_id, resource_name, resource_limit, description"

func scanRegisteredLimit(sc interface{ Scan(...any) error }) (*UnifiedLimit, error) {
	var l UnifiedLimit
	if err := sc.Scan(&l.ID, &l.ServiceID, &l.RegionID, &l.ResourceName, &l.Limit, &l.Description); err != nil {
		return nil, store.Map(err)
	}
	return &l, nil
}

func scanLimit(sc interface{ Scan(...any) error }) (*UnifiedLimit, error) {
	var l UnifiedLimit
	if err := sc.Scan(&l.ID, &l.ProjectID, &l.DomainID, &l.ServiceID, &l.RegionID, &l.ResourceName, &l.Limit, &l.Description); err != nil {
		return nil, store.Map(err)
	}
	return &l, nil
}

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

// checkLimitRefs checks the service, region and project or domain exist
// (400 naming the field, as Keystone).
func checkLimitRefs(ctx context.Context, q store.Querier, l *UnifiedLimit, target string) error {
	check := func(field string, err error) error {
		if errors.Is(err, store.ErrNotFound) {
			return validationError(field, target)
		}
		return err
	}
	if _, err := getService(ctx, q, l.ServiceID); err != nil {
		return check("service_id", err)
	}
	if l.RegionID != "" {
		if _, err := getRegion(ctx, q, l.RegionID); err != nil {
			return check("region_id", err)
		}
	}
	if l.ProjectID != "" {
		if _, err := getProject(ctx, q, l.ProjectID); err != nil {
			if _, derr := getDomain(ctx, q, l.ProjectID); derr == nil {
				l.DomainID, l.ProjectID = l.ProjectID, "" // a project acting as a domain
				return nil
			}
			return check("project_id", err)
		}
	}
	if l.DomainID != "" {
		if _, err := getDomain(ctx, q, l.DomainID); err != nil {
			return check("domain_id", err)
		}
	}
	return nil
}

func limitConflict(kind string) *fault.Error {
	return fault.Conflictf("Conflict occurred attempting to store %s - Duplicate entry.", kind)
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

// --- registered limits ---

func (s *Service) createRegisteredLimits(w http.ResponseWriter, r *http.Request) error {
	return s.createUnified(w, r, true)
}

// createUnified is POST /v3/registered_limits and /v3/limits: every entity
// of the list is stored, or none.
func (s *Service) createUnified(w http.ResponseWriter, r *http.Request, registered bool) error {
	kind, key, wire := "limit", "limits", limitWire
	if registered {
		kind, key, wire = "registered_limit", "registered_limits", registeredLimitWire
	}
	objs, err := decodeLimits(r, key)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var made []*UnifiedLimit
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, o := range objs {
			l := &UnifiedLimit{ID: newID()}
			if err := readLimit(o, l, registered, true); err != nil {
				return err
			}
			if err := checkLimitRefs(ctx, tx, l, kind); err != nil {
				return err
			}
			if err := s.insertUnified(ctx, tx, l, registered); err != nil {
				return err
			}
			made = append(made, l)
		}
		return nil
	})
	if errors.Is(err, store.ErrConflict) {
		return limitConflict(kind)
	}
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, l := range made {
		out = append(out, wire(r, l))
	}
	return httpapi.WriteJSON(w, http.StatusCreated, map[string]any{key: out})
}

// insertUnified stores a registered limit, or a limit whose registered
// limit exists (Keystone's NoLimitReference, a 403, otherwise).
func (s *Service) insertUnified(ctx context.Context, tx *sql.Tx, l *UnifiedLimit, registered bool) error {
	if registered {
		_, err := tx.ExecContext(ctx, "INSERT INTO identity_registered_limits ("+registeredLimitCols+", created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
			l.ID, l.ServiceID, l.RegionID, l.ResourceName, l.Limit, l.Description, s.nowMicro())
		return store.Map(err)
	}
	n, err := countRows(ctx, tx, "SELECT COUNT(*) FROM identity_registered_limits WHERE service_id = $1 AND region_id = $2 AND resource_name = $3",
		l.ServiceID, l.RegionID, l.ResourceName)
	if err != nil {
		return err
	}
	if n == 0 {
		return fault.Forbiddenf("You are not authorized to perform the requested action.")
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO identity_limits ("+limitCols+", created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
		l.ID, l.ProjectID, l.DomainID, l.ServiceID, l.RegionID, l.ResourceName, l.Limit, l.Description, s.nowMicro())
	return store.Map(err)
}

func (s *Service) listRegisteredLimits(w http.ResponseWriter, r *http.Request) error {
	rows, err := s.db.R().QueryContext(r.Context(), "SELECT "+registeredLimitCols+" FROM identity_registered_limits ORDER BY created_at, id")
	if err != nil {
		return err
	}
	ls, err := collect(rows, scanRegisteredLimit)
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

func (s *Service) registeredLimit(ctx context.Context, q store.Querier, id string) (*UnifiedLimit, error) {
	l, err := scanRegisteredLimit(q.QueryRowContext(ctx, "SELECT "+registeredLimitCols+" FROM identity_registered_limits WHERE id = $1", id))
	if errors.Is(err, store.ErrNotFound) {
		return nil, fault.NotFoundf("Could not find registered limit for %s.", id)
	}
	return l, err
}

func (s *Service) getRegisteredLimit(w http.ResponseWriter, r *http.Request) error {
	l, err := s.registeredLimit(r.Context(), s.db.R(), r.PathValue("registered_limit_id"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"registered_limit": registeredLimitWire(r, l)})
}

func registeredLimitInUse(id string) *fault.Error {
	return fault.Forbiddenf("Unable to update or delete registered limit %s because there are project limits associated with it.", id)
}

// limitsOf counts the limits that refer to a registered limit.
func limitsOf(ctx context.Context, q store.Querier, l *UnifiedLimit) (int, error) {
	return countRows(ctx, q, "SELECT COUNT(*) FROM identity_limits WHERE service_id = $1 AND region_id = $2 AND resource_name = $3",
		l.ServiceID, l.RegionID, l.ResourceName)
}

func (s *Service) updateRegisteredLimit(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeEntity(r, "registered_limit")
	if err != nil {
		return err
	}
	ctx := r.Context()
	var l *UnifiedLimit
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if l, err = s.registeredLimit(ctx, tx, r.PathValue("registered_limit_id")); err != nil {
			return err
		}
		before := *l
		if err := readLimit(o, l, true, false); err != nil {
			return err
		}
		if before.ServiceID != l.ServiceID || before.RegionID != l.RegionID || before.ResourceName != l.ResourceName {
			if n, err := limitsOf(ctx, tx, &before); err != nil || n > 0 {
				if err == nil {
					err = registeredLimitInUse(l.ID)
				}
				return err
			}
		}
		if err := checkLimitRefs(ctx, tx, l, "registered_limit"); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "UPDATE identity_registered_limits SET service_id = $2, region_id = $3, resource_name = $4, default_limit = $5, description = $6 WHERE id = $1",
			l.ID, l.ServiceID, l.RegionID, l.ResourceName, l.Limit, l.Description)
		return store.Map(err)
	})
	if errors.Is(err, store.ErrConflict) {
		return limitConflict("registered_limit")
	}
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"registered_limit": registeredLimitWire(r, l)})
}

func (s *Service) deleteRegisteredLimit(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		l, err := s.registeredLimit(ctx, tx, r.PathValue("registered_limit_id"))
		if err != nil {
			return err
		}
		if n, err := limitsOf(ctx, tx, l); err != nil || n > 0 {
			if err == nil {
				err = registeredLimitInUse(l.ID)
			}
			return err
		}
		_, err = deleteRow(ctx, tx, "identity_registered_limits", l.ID)
		return err
	})
	if err != nil {
		return err
	}
	return noContent(w)
}

// --- limits ---

func (s *Service) createLimits(w http.ResponseWriter, r *http.Request) error {
	return s.createUnified(w, r, false)
}

// listLimits lists limits: all for an admin, those of its project (or
// domain) for others, as Keystone.
func (s *Service) listLimits(w http.ResponseWriter, r *http.Request) error {
	p := policy.FromContext(r.Context())
	var f filter
	switch {
	case p.IsAdmin():
	case p.ProjectID != "":
		f.eq("project_id", p.ProjectID)
	case p.DomainID != "":
		f.where = append(f.where, "(domain_id = $1 OR project_id IN (SELECT id FROM identity_projects WHERE domain_id = $1))")
		f.args = append(f.args, p.DomainID)
	default:
		f.where = append(f.where, "1 = 0")
	}
	rows, err := s.db.R().QueryContext(r.Context(), "SELECT "+limitCols+" FROM identity_limits"+f.sql()+" ORDER BY created_at, id", f.args...)
	if err != nil {
		return err
	}
	ls, err := collect(rows, scanLimit)
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

func (s *Service) limit(ctx context.Context, q store.Querier, id string) (*UnifiedLimit, error) {
	l, err := scanLimit(q.QueryRowContext(ctx, "SELECT "+limitCols+" FROM identity_limits WHERE id = $1", id))
	if errors.Is(err, store.ErrNotFound) {
		return nil, fault.NotFoundf("Could not find limit for %s.", id)
	}
	return l, err
}

func (s *Service) getLimit(w http.ResponseWriter, r *http.Request) error {
	l, err := s.limit(r.Context(), s.db.R(), r.PathValue("limit_id"))
	if err != nil {
		return err
	}
	if p := policy.FromContext(r.Context()); !p.IsAdmin() && (l.ProjectID == "" || l.ProjectID != p.ProjectID) && (l.DomainID == "" || l.DomainID != p.DomainID) {
		return forbiddenAction("identity:get_limit")
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
	ctx := r.Context()
	var l *UnifiedLimit
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if l, err = s.limit(ctx, tx, r.PathValue("limit_id")); err != nil {
			return err
		}
		if err := readLimit(o, l, false, false); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "UPDATE identity_limits SET resource_limit = $2, description = $3 WHERE id = $1", l.ID, l.Limit, l.Description)
		return err
	})
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"limit": limitWire(r, l)})
}

func (s *Service) deleteLimit(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.limit(ctx, tx, r.PathValue("limit_id")); err != nil {
			return err
		}
		_, err := deleteRow(ctx, tx, "identity_limits", r.PathValue("limit_id"))
		return err
	})
	if err != nil {
		return err
	}
	return noContent(w)
}

func (s *Service) limitModel(w http.ResponseWriter, r *http.Request) error {
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"model": map[string]any{"name": "flat",
		"description": "Limit enforcement and validation does not take project hierarchy into consideration."}})
}

// Limit is the limit of a resource of a service for a project, as other
// services' quotas read it: the project's own limit, else its domain's,
// else the registered default; ok is false when none is registered.
// serviceType names the service by catalog type ("image", "compute").
func (s *Service) Limit(ctx context.Context, serviceType, region, projectID, resource string) (limit int64, ok bool, err error) {
	q := s.db.R()
	p, err := getProject(ctx, q, projectID)
	if err != nil {
		return 0, false, err
	}
	row := q.QueryRowContext(ctx, `SELECT l.limit_value FROM (
		SELECT 1 AS rank, resource_limit AS limit_value, service_id, region_id, resource_name FROM identity_limits WHERE project_id = $1
		UNION ALL SELECT 2, resource_limit, service_id, region_id, resource_name FROM identity_limits WHERE domain_id = $2
		UNION ALL SELECT 3, default_limit, service_id, region_id, resource_name FROM identity_registered_limits) l
		JOIN identity_services s ON s.id = l.service_id
		WHERE s.type = $3 AND (l.region_id = '' OR l.region_id = $4) AND l.resource_name = $5
		ORDER BY l.rank, l.region_id DESC LIMIT 1`, p.ID, p.DomainID, serviceType, region, resource)
	if err := row.Scan(&limit); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return 0, false, nil
		}
		return 0, false, err
	}
	return limit, true, nil
}
