package identity

import (
	"net/http"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// OS-EP-FILTER endpoint group handlers (endpoint_group.go is the Go API).

var endpointGroupFilterKeys = map[string]bool{"service_id": true, "region_id": true, "interface": true}

func applyEndpointGroup(o object, g *EndpointGroup, create bool) error {
	if v, ok, err := o.name(create, maxName); err != nil {
		return err
	} else if ok {
		g.Name = v
	}
	if v, ok, err := o.str("description"); err != nil {
		return err
	} else if ok {
		g.Description = v
	}
	raw, present := o["filters"]
	if !present && !create {
		return nil
	}
	m, ok := raw.(map[string]any)
	if !ok || len(m) == 0 {
		return fault.Invalidf("filters field is required and cannot be empty")
	}
	g.Filters = map[string]string{}
	for k, v := range m {
		s, isStr := v.(string)
		if !endpointGroupFilterKeys[k] || !isStr {
			return validationError("service_id or region_id or interface", "endpoint_group")
		}
		g.Filters[k] = s
	}
	return nil
}

func endpointGroupWire(r *http.Request, g *EndpointGroup) map[string]any {
	return map[string]any{"id": g.ID, "name": g.Name, "description": g.Description, "filters": g.Filters,
		"links": selfLinks(r, "/OS-EP-FILTER/endpoint_groups/"+g.ID)}
}

var endpointGroupKind = &entity[EndpointGroup]{
	name: "endpoint_group", param: "endpoint_group_id", table: "identity_endpoint_groups",
	fetch: getEndpointGroup, list: listEndpointGroups, apply: applyEndpointGroup, save: saveEndpointGroup, wire: endpointGroupWire,
	conflict: func(*EndpointGroup) error {
		return fault.Conflictf("Conflict occurred attempting to store endpoint_group.")
	},
	filters: []string{"name"},
}

func (s *Service) listEndpointGroups(w http.ResponseWriter, r *http.Request) error {
	return endpointGroupKind.listed(w, r, s.db.R(), filter{})
}

func (s *Service) createEndpointGroup(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeEntity(r, "endpoint_group")
	if err != nil {
		return err
	}
	g := &EndpointGroup{ID: newID()}
	if err := applyEndpointGroup(o, g, true); err != nil {
		return err
	}
	if err := s.CreateEndpointGroup(r.Context(), g); err != nil {
		return err
	}
	return endpointGroupKind.respond(w, r, http.StatusCreated, g)
}

// checkEndpointGroup is HEAD /v3/OS-EP-FILTER/endpoint_groups/{id}.
func (s *Service) checkEndpointGroup(w http.ResponseWriter, r *http.Request) error {
	if _, err := endpointGroupKind.load(r.Context(), s.db.R(), r.PathValue("endpoint_group_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// listEndpointGroupEndpoints is the endpoints a group's filters select.
func (s *Service) listEndpointGroupEndpoints(w http.ResponseWriter, r *http.Request) error {
	eps, err := s.EndpointGroupEndpoints(r.Context(), r.PathValue("endpoint_group_id"))
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, e := range eps {
		out = append(out, s.endpointWire(r, e))
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"endpoints": out, "links": listLinks(r)})
}

func (s *Service) addProjectEndpointGroup(w http.ResponseWriter, r *http.Request) error {
	if err := s.AddProjectEndpointGroup(r.Context(), r.PathValue("endpoint_group_id"), r.PathValue("project_id")); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Service) checkProjectEndpointGroup(w http.ResponseWriter, r *http.Request) error {
	g, p := r.PathValue("endpoint_group_id"), r.PathValue("project_id")
	if err := s.CheckProjectEndpointGroup(r.Context(), g, p); err != nil {
		return err
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return nil
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"project_endpoint_group": map[string]any{"endpoint_group_id": g, "project_id": p}})
}

func (s *Service) removeProjectEndpointGroup(w http.ResponseWriter, r *http.Request) error {
	if err := s.RemoveProjectEndpointGroup(r.Context(), r.PathValue("endpoint_group_id"), r.PathValue("project_id")); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Service) listEndpointGroupProjects(w http.ResponseWriter, r *http.Request) error {
	g := r.PathValue("endpoint_group_id")
	if _, err := endpointGroupKind.load(r.Context(), s.db.R(), g); err != nil {
		return err
	}
	return projectKind.listed(w, r, s.db.R(), projectsOfEndpointGroup(g))
}

func (s *Service) listProjectEndpointGroups(w http.ResponseWriter, r *http.Request) error {
	p := r.PathValue("project_id")
	if _, err := s.project(r.Context(), s.db.R(), p); err != nil {
		return err
	}
	return endpointGroupKind.listed(w, r, s.db.R(), endpointGroupsOfProject(p))
}
