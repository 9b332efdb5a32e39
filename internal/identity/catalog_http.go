package identity

import (
	"net/http"
	"slices"

	"github.com/stratus-iaas/stratus/internal/fault"
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
	if err := s.CreateService(r.Context(), v); err != nil {
		return err
	}
	return s.serviceKind.respond(w, r, http.StatusCreated, v)
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
	if err := s.CreateEndpoint(r.Context(), v); err != nil {
		return err
	}
	return s.endpointKind.respond(w, r, http.StatusCreated, v)
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
	if err := s.CreateRegion(r.Context(), v); err != nil {
		return err
	}
	return s.regionKind.respond(w, r, http.StatusCreated, v)
}

// --- OS-EP-FILTER ---

func (s *Service) addProjectEndpoint(w http.ResponseWriter, r *http.Request) error {
	if err := s.AddProjectEndpoint(r.Context(), r.PathValue("project_id"), r.PathValue("endpoint_id")); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Service) checkProjectEndpoint(w http.ResponseWriter, r *http.Request) error {
	if err := s.CheckProjectEndpoint(r.Context(), r.PathValue("project_id"), r.PathValue("endpoint_id")); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Service) removeProjectEndpoint(w http.ResponseWriter, r *http.Request) error {
	if err := s.RemoveProjectEndpoint(r.Context(), r.PathValue("project_id"), r.PathValue("endpoint_id")); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Service) listProjectEndpoints(w http.ResponseWriter, r *http.Request) error {
	p := r.PathValue("project_id")
	if _, err := s.project(r.Context(), s.db.R(), p); err != nil {
		return err
	}
	return s.endpointKind.listed(w, r, s.db.R(), endpointsOfProject(p))
}

func (s *Service) listEndpointProjects(w http.ResponseWriter, r *http.Request) error {
	e := r.PathValue("endpoint_id")
	if _, err := s.endpointKind.load(r.Context(), s.db.R(), e); err != nil {
		return err
	}
	return projectKind.listed(w, r, s.db.R(), projectsOfEndpoint(e))
}
