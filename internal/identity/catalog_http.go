package identity

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"slices"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Catalog API, as keystone/api/services.py, endpoints.py, regions.py and
// os_ep_filter.py: anyone reads, an admin writes; every write clears the
// cached catalog of this node (other nodes see it within CacheTTL).

var serviceFields = map[string]bool{"id": true, "type": true, "name": true, "description": true, "enabled": true, "links": true}
var endpointFields = map[string]bool{"id": true, "service_id": true, "interface": true, "region": true, "region_id": true,
	"url": true, "enabled": true, "links": true}
var regionFields = map[string]bool{"id": true, "description": true, "parent_region_id": true, "links": true}

func serviceWire(r *http.Request, v *CatalogService) map[string]any {
	m := withExtra(v.Extra)
	m["id"], m["type"], m["name"], m["enabled"] = v.ID, v.Type, v.Name, v.Enabled
	if v.Description != "" {
		m["description"] = v.Description
	}
	m["links"] = selfLinks(r, "/services/"+v.ID)
	return m
}

func regionWire(r *http.Request, v *Region) map[string]any {
	m := withExtra(v.Extra)
	var parent any
	if v.ParentRegionID != "" {
		parent = v.ParentRegionID
	}
	m["id"], m["description"], m["parent_region_id"], m["links"] = v.ID, v.Description, parent, selfLinks(r, "/regions/"+v.ID)
	return m
}

func (s *Service) endpointWire(r *http.Request, v *Endpoint) map[string]any {
	m := withExtra(v.Extra)
	var region any
	if v.RegionID != "" {
		region = v.RegionID
	}
	m["id"], m["service_id"], m["interface"], m["region"], m["region_id"] = v.ID, v.ServiceID, v.Interface, region, region
	m["url"], m["enabled"], m["links"] = s.shownURL(v.URL), v.Enabled, selfLinks(r, "/endpoints/"+v.ID)
	return m
}

// shownURL is an endpoint URL as the API shows it: the node's public URL
// substituted, $(project_id)s kept as Keystone shows templates.
func (s *Service) shownURL(u string) string {
	out, _ := s.expandURL(u, "")
	return out
}

// catalogKinds builds the entity helpers of the catalog (their wire forms
// need the service).
func (s *Service) catalogKinds() {
	s.serviceKind = &entity[CatalogService]{
		name: "service", param: "service_id", table: "identity_services",
		fetch: getService, list: listServicesF, apply: applyService, save: updateService, wire: serviceWire,
		conflict: func(*CatalogService) error { return fault.Conflictf("Conflict occurred attempting to store service.") },
		filters:  []string{"type", "name", "enabled"},
	}
	s.endpointKind = &entity[Endpoint]{
		name: "endpoint", param: "endpoint_id", table: "identity_endpoints",
		fetch: getEndpoint, list: listEndpointsF, apply: applyEndpoint, save: s.saveEndpoint, wire: s.endpointWire,
		conflict: func(*Endpoint) error { return fault.Conflictf("Conflict occurred attempting to store endpoint.") },
		filters:  []string{"interface", "service_id", "region_id", "enabled"},
	}
	s.regionKind = &entity[Region]{
		name: "region", param: "region_id", table: "identity_regions",
		fetch: getRegion, list: listRegions, apply: applyRegion, save: saveRegion, wire: regionWire,
		conflict: func(v *Region) error {
			return fault.Conflictf("Conflict occurred attempting to store region - Duplicate ID, %s.", v.ID)
		},
		filters: []string{"parent_region_id"},
	}
}

// --- services ---

func applyService(o object, v *CatalogService, create bool) error {
	t, ok, err := o.str("type")
	if err != nil {
		return err
	}
	if ok {
		if t == "" || len(t) > 255 {
			return fault.Invalidf("Invalid input for field 'type': %q is not 1 to 255 characters long", t)
		}
		v.Type = t
	} else if create {
		return fault.Invalidf("'type' is a required property")
	}
	for _, f := range []struct {
		key string
		dst *string
	}{{"name", &v.Name}, {"description", &v.Description}} {
		if x, ok, err := o.str(f.key); err != nil {
			return err
		} else if ok {
			*f.dst = x
		}
	}
	if b, ok, err := o.boolean("enabled"); err != nil {
		return err
	} else if ok {
		v.Enabled = b
	}
	o.extra(v.Extra, serviceFields)
	return nil
}

func (s *Service) listServices(w http.ResponseWriter, r *http.Request) error {
	return s.serviceKind.listed(w, r, s.db.R(), filter{})
}

func (s *Service) createService(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeEntity(r, "service")
	if err != nil {
		return err
	}
	v := &CatalogService{ID: newID(), Enabled: true, Extra: map[string]any{}}
	if err := applyService(o, v, true); err != nil {
		return err
	}
	if err := s.db.Tx(r.Context(), func(tx *sql.Tx) error { return insertService(r.Context(), tx, v, s.nowMicro(), false) }); err != nil {
		return err
	}
	s.catalogCache.clear()
	return s.serviceKind.respond(w, r, http.StatusCreated, v)
}

func deleteServiceRows(ctx context.Context, tx *sql.Tx, id string) error {
	return execAll(ctx, tx, id,
		"DELETE FROM identity_project_endpoints WHERE endpoint_id IN (SELECT id FROM identity_endpoints WHERE service_id = $1)",
		"DELETE FROM identity_endpoints WHERE service_id = $1")
}

// --- endpoints ---

func applyEndpoint(o object, v *Endpoint, create bool) error {
	for _, f := range []struct {
		key string
		dst *string
	}{{"service_id", &v.ServiceID}, {"interface", &v.Interface}, {"url", &v.URL}} {
		x, ok, err := o.str(f.key)
		if err != nil {
			return err
		}
		if ok {
			*f.dst = x
		} else if create {
			return fault.Invalidf("'%s' is a required property", f.key)
		}
	}
	if !slices.Contains(interfaces, v.Interface) {
		return fault.Invalidf("Invalid input for field 'interface': %q is not one of ['admin', 'internal', 'public']", v.Interface)
	}
	if v.URL == "" {
		return fault.Invalidf("Invalid input for field 'url': '' is too short")
	}
	if b, ok, err := o.boolean("enabled"); err != nil {
		return err
	} else if ok {
		v.Enabled = b
	}
	// region_id names an existing region; the legacy region is created
	// when missing (checked in saveEndpoint).
	if x, ok, err := o.str("region_id"); err != nil {
		return err
	} else if ok {
		v.RegionID = x
	} else if x, ok, err := o.str("region"); err != nil {
		return err
	} else if ok {
		v.RegionID = x
		v.createRegion = true
	}
	o.extra(v.Extra, endpointFields)
	return nil
}

// saveEndpoint checks the service and region (creating a legacy region)
// and stores the endpoint.
func (s *Service) saveEndpoint(ctx context.Context, q store.Querier, v *Endpoint) error {
	return s.storeEndpoint(ctx, q, v, false)
}

func (s *Service) storeEndpoint(ctx context.Context, q store.Querier, v *Endpoint, create bool) error {
	legacy := v.createRegion
	if _, err := getService(ctx, q, v.ServiceID); errors.Is(err, store.ErrNotFound) {
		return validationError("endpoint service_id", "service table")
	} else if err != nil {
		return err
	}
	if v.RegionID != "" {
		_, err := getRegion(ctx, q, v.RegionID)
		switch {
		case errors.Is(err, store.ErrNotFound) && legacy:
			if err := insertRegion(ctx, q, &Region{ID: v.RegionID, Extra: map[string]any{}}, s.nowMicro(), false); err != nil {
				return err
			}
		case errors.Is(err, store.ErrNotFound):
			return validationError("endpoint region_id", "region table")
		case err != nil:
			return err
		}
	}
	if create {
		return insertEndpoint(ctx, q, v, s.nowMicro(), false)
	}
	return updateEndpoint(ctx, q, v)
}

func (s *Service) listEndpoints(w http.ResponseWriter, r *http.Request) error {
	return s.endpointKind.listed(w, r, s.db.R(), filter{})
}

func (s *Service) createEndpoint(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeEntity(r, "endpoint")
	if err != nil {
		return err
	}
	v := &Endpoint{ID: newID(), Enabled: true, Extra: map[string]any{}}
	if err := applyEndpoint(o, v, true); err != nil {
		return err
	}
	if err := s.db.Tx(r.Context(), func(tx *sql.Tx) error { return s.storeEndpoint(r.Context(), tx, v, true) }); err != nil {
		return err
	}
	s.catalogCache.clear()
	return s.endpointKind.respond(w, r, http.StatusCreated, v)
}

func deleteEndpointRows(ctx context.Context, tx *sql.Tx, id string) error {
	return execAll(ctx, tx, id, "DELETE FROM identity_project_endpoints WHERE endpoint_id = $1")
}

// --- regions ---

func applyRegion(o object, v *Region, create bool) error {
	if x, ok, err := o.str("description"); err != nil {
		return err
	} else if ok {
		v.Description = x
	}
	if _, present := o["parent_region_id"]; present {
		x, _, err := o.str("parent_region_id")
		if err != nil {
			return err
		}
		v.ParentRegionID = x
	}
	o.extra(v.Extra, regionFields)
	return nil
}

// saveRegion checks the parent exists and makes no cycle, and stores.
func saveRegion(ctx context.Context, q store.Querier, v *Region) error {
	if err := checkRegionParent(ctx, q, v); err != nil {
		return err
	}
	return updateRegion(ctx, q, v)
}

func checkRegionParent(ctx context.Context, q store.Querier, v *Region) error {
	seen := map[string]bool{v.ID: true}
	for p := v.ParentRegionID; p != ""; {
		if seen[p] {
			return fault.Invalidf("The specified parent region %s would create a circular region hierarchy.", v.ParentRegionID)
		}
		seen[p] = true
		pr, err := getRegion(ctx, q, p)
		if errors.Is(err, store.ErrNotFound) {
			return notFound("region", p)
		}
		if err != nil {
			return err
		}
		p = pr.ParentRegionID
	}
	return nil
}

func (s *Service) listRegions(w http.ResponseWriter, r *http.Request) error {
	return s.regionKind.listed(w, r, s.db.R(), filter{})
}

// createRegion is POST /v3/regions (id from the body or generated) and
// PUT /v3/regions/{region_id}.
func (s *Service) createRegion(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeEntity(r, "region")
	if err != nil {
		return err
	}
	v := &Region{ID: r.PathValue("region_id"), Extra: map[string]any{}}
	if v.ID == "" {
		if v.ID, _, err = o.str("id"); err != nil {
			return err
		}
	}
	if v.ID == "" {
		v.ID = newID()
	}
	if err := applyRegion(o, v, true); err != nil {
		return err
	}
	delete(v.Extra, "id")
	err = s.db.Tx(r.Context(), func(tx *sql.Tx) error {
		if _, err := getRegion(r.Context(), tx, v.ID); err == nil {
			return s.regionKind.conflict(v)
		}
		if err := checkRegionParent(r.Context(), tx, v); err != nil {
			return err
		}
		return insertRegion(r.Context(), tx, v, s.nowMicro(), false)
	})
	if errors.Is(err, store.ErrConflict) {
		return s.regionKind.conflict(v)
	}
	if err != nil {
		return err
	}
	s.catalogCache.clear()
	return s.regionKind.respond(w, r, http.StatusCreated, v)
}

// deleteRegionRows refuses a region whose subtree has endpoints, and
// deletes its child regions.
func deleteRegionRows(ctx context.Context, tx *sql.Tx, id string) error {
	tree := []string{id}
	for i := 0; i < len(tree); i++ {
		kids, err := stringColumn(ctx, tx, "SELECT id FROM identity_regions WHERE parent_region_id = $1", tree[i])
		if err != nil {
			return err
		}
		for _, k := range kids {
			if !slices.Contains(tree, k) {
				tree = append(tree, k)
			}
		}
	}
	var f filter
	f.in("region_id", tree)
	n, err := countRows(ctx, tx, "SELECT COUNT(*) FROM identity_endpoints"+f.sql(), f.args...)
	if err != nil {
		return err
	}
	if n > 0 {
		return fault.Forbiddenf("Unable to delete region %s because it or its child regions have associated endpoints.", id)
	}
	for _, k := range tree[1:] {
		if _, err := deleteRow(ctx, tx, "identity_regions", k); err != nil {
			return err
		}
	}
	return nil
}

// --- OS-EP-FILTER ---

func (s *Service) projectEndpoint(ctx context.Context, q store.Querier, r *http.Request) (string, string, error) {
	p, e := r.PathValue("project_id"), r.PathValue("endpoint_id")
	if _, err := s.project(ctx, q, p); err != nil {
		return "", "", err
	}
	if _, err := s.endpointKind.load(ctx, q, e); err != nil {
		return "", "", err
	}
	return p, e, nil
}

func (s *Service) addProjectEndpoint(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		p, e, err := s.projectEndpoint(ctx, tx, r)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO identity_project_endpoints (project_id, endpoint_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", p, e)
		return err
	})
	if err != nil {
		return err
	}
	s.catalogCache.clear()
	s.cache.clear()
	return noContent(w)
}

func endpointNotInProject(e, p string) *fault.Error {
	return fault.NotFoundf("Endpoint %s not found in project %s", e, p)
}

func (s *Service) checkProjectEndpoint(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, e, err := s.projectEndpoint(ctx, s.db.R(), r)
	if err != nil {
		return err
	}
	n, err := countRows(ctx, s.db.R(), "SELECT COUNT(*) FROM identity_project_endpoints WHERE project_id = $1 AND endpoint_id = $2", p, e)
	if err != nil {
		return err
	}
	if n == 0 {
		return endpointNotInProject(e, p)
	}
	return noContent(w)
}

func (s *Service) removeProjectEndpoint(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		p, e, err := s.projectEndpoint(ctx, tx, r)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM identity_project_endpoints WHERE project_id = $1 AND endpoint_id = $2", p, e)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return endpointNotInProject(e, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.catalogCache.clear()
	s.cache.clear()
	return noContent(w)
}

func (s *Service) listProjectEndpoints(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := r.PathValue("project_id")
	if _, err := s.project(ctx, s.db.R(), p); err != nil {
		return err
	}
	var f filter
	f.where = append(f.where, "id IN (SELECT endpoint_id FROM identity_project_endpoints WHERE project_id = $1)")
	f.args = append(f.args, p)
	return s.endpointKind.listed(w, r, s.db.R(), f)
}

func (s *Service) listEndpointProjects(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e := r.PathValue("endpoint_id")
	if _, err := s.endpointKind.load(ctx, s.db.R(), e); err != nil {
		return err
	}
	var f filter
	f.where = append(f.where, "id IN (SELECT project_id FROM identity_project_endpoints WHERE endpoint_id = $1)")
	f.args = append(f.args, e)
	return projectKind.listed(w, r, s.db.R(), f)
}
