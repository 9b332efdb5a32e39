package identity

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/store"
)

// OS-EP-FILTER endpoint groups, as keystone/api/os_ep_filter.py: named
// filters (service_id, region_id, interface) over endpoints; projects
// associated with a group see its endpoints in their catalog (with their
// directly associated endpoints, catalog.go).

// EndpointGroup is a named endpoint filter.
type EndpointGroup struct {
	ID, Name, Description string
	Filters               map[string]string
}

var endpointGroupFilterKeys = map[string]bool{"service_id": true, "region_id": true, "interface": true}

func scanEndpointGroup(sc interface{ Scan(...any) error }) (*EndpointGroup, error) {
	var g EndpointGroup
	var filters string
	if err := sc.Scan(&g.ID, &g.Name, &g.Description, &filters); err != nil {
		return nil, store.Map(err)
	}
	if json.Unmarshal([]byte(filters), &g.Filters) != nil || g.Filters == nil {
		g.Filters = map[string]string{}
	}
	return &g, nil
}

const endpointGroupCols = "id, name, description, filters"

func getEndpointGroup(ctx context.Context, q store.Querier, id string) (*EndpointGroup, error) {
	return scanEndpointGroup(q.QueryRowContext(ctx, "SELECT "+endpointGroupCols+" FROM identity_endpoint_groups WHERE id = $1", id))
}

func listEndpointGroups(ctx context.Context, q store.Querier, f filter) ([]*EndpointGroup, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+endpointGroupCols+" FROM identity_endpoint_groups"+f.sql()+" ORDER BY created_at, id", f.args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanEndpointGroup)
}

func saveEndpointGroup(ctx context.Context, q store.Querier, g *EndpointGroup) error {
	filters, _ := json.Marshal(g.Filters)
	_, err := q.ExecContext(ctx, "UPDATE identity_endpoint_groups SET name = $2, description = $3, filters = $4 WHERE id = $1",
		g.ID, g.Name, g.Description, string(filters))
	return store.Map(err)
}

// matches reports whether an endpoint passes the group's filters.
func (g *EndpointGroup) matches(e *Endpoint) bool {
	for k, v := range g.Filters {
		if (k == "service_id" && e.ServiceID != v) || (k == "region_id" && e.RegionID != v) || (k == "interface" && e.Interface != v) {
			return false
		}
	}
	return true
}

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
	filters, _ := json.Marshal(g.Filters)
	err = s.db.Tx(r.Context(), func(tx *sql.Tx) error {
		_, err := tx.ExecContext(r.Context(), "INSERT INTO identity_endpoint_groups ("+endpointGroupCols+", created_at) VALUES ($1, $2, $3, $4, $5)",
			g.ID, g.Name, g.Description, string(filters), s.nowMicro())
		return store.Map(err)
	})
	if err != nil {
		return err
	}
	return endpointGroupKind.respond(w, r, http.StatusCreated, g)
}

func deleteEndpointGroupRows(ctx context.Context, tx *sql.Tx, id string) error {
	return execAll(ctx, tx, id, "DELETE FROM identity_project_endpoint_groups WHERE endpoint_group_id = $1")
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
	ctx := r.Context()
	g, err := endpointGroupKind.load(ctx, s.db.R(), r.PathValue("endpoint_group_id"))
	if err != nil {
		return err
	}
	eps, err := listEndpoints(ctx, s.db.R())
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, e := range eps {
		if g.matches(e) {
			out = append(out, s.endpointWire(r, e))
		}
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"endpoints": out, "links": listLinks(r)})
}

func (s *Service) projectEndpointGroup(ctx context.Context, q store.Querier, r *http.Request) (string, string, error) {
	g, p := r.PathValue("endpoint_group_id"), r.PathValue("project_id")
	if _, err := endpointGroupKind.load(ctx, q, g); err != nil {
		return "", "", err
	}
	if _, err := s.project(ctx, q, p); err != nil {
		return "", "", err
	}
	return g, p, nil
}

func groupNotInProject(g, p string) *fault.Error {
	return fault.NotFoundf("Could not find project endpoint group with endpoint group: %s, project: %s.", g, p)
}

func (s *Service) addProjectEndpointGroup(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		g, p, err := s.projectEndpointGroup(ctx, tx, r)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO identity_project_endpoint_groups (endpoint_group_id, project_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", g, p)
		return err
	})
	if err != nil {
		return err
	}
	s.invalidate()
	return noContent(w)
}

func (s *Service) checkProjectEndpointGroup(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	g, p, err := s.projectEndpointGroup(ctx, s.db.R(), r)
	if err != nil {
		return err
	}
	n, err := countRows(ctx, s.db.R(), "SELECT COUNT(*) FROM identity_project_endpoint_groups WHERE endpoint_group_id = $1 AND project_id = $2", g, p)
	if err != nil {
		return err
	}
	if n == 0 {
		return groupNotInProject(g, p)
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return nil
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"project_endpoint_group": map[string]any{"endpoint_group_id": g, "project_id": p}})
}

func (s *Service) removeProjectEndpointGroup(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		g, p, err := s.projectEndpointGroup(ctx, tx, r)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM identity_project_endpoint_groups WHERE endpoint_group_id = $1 AND project_id = $2", g, p)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return groupNotInProject(g, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.invalidate()
	return noContent(w)
}

func (s *Service) listEndpointGroupProjects(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	g := r.PathValue("endpoint_group_id")
	if _, err := endpointGroupKind.load(ctx, s.db.R(), g); err != nil {
		return err
	}
	var f filter
	f.where = append(f.where, "id IN (SELECT project_id FROM identity_project_endpoint_groups WHERE endpoint_group_id = $1)")
	f.args = append(f.args, g)
	return projectKind.listed(w, r, s.db.R(), f)
}

func (s *Service) listProjectEndpointGroups(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := r.PathValue("project_id")
	if _, err := s.project(ctx, s.db.R(), p); err != nil {
		return err
	}
	var f filter
	f.where = append(f.where, "id IN (SELECT endpoint_group_id FROM identity_project_endpoint_groups WHERE project_id = $1)")
	f.args = append(f.args, p)
	return endpointGroupKind.listed(w, r, s.db.R(), f)
}

// projectGroupEndpoints is, per project, the endpoints its associated
// groups select (for the catalog).
func projectGroupEndpoints(ctx context.Context, q store.Querier, endpoints []*Endpoint) (map[string][]string, error) {
	rows, err := q.QueryContext(ctx, "SELECT endpoint_group_id, project_id FROM identity_project_endpoint_groups")
	if err != nil {
		return nil, err
	}
	type assoc struct{ g, p string }
	var as []assoc
	for rows.Next() {
		var a assoc
		if err := rows.Scan(&a.g, &a.p); err != nil {
			rows.Close()
			return nil, err
		}
		as = append(as, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := map[string][]string{}
	groups := map[string]*EndpointGroup{}
	for _, a := range as {
		g, ok := groups[a.g]
		if !ok {
			var err error
			if g, err = getEndpointGroup(ctx, q, a.g); errors.Is(err, store.ErrNotFound) {
				continue
			} else if err != nil {
				return nil, err
			}
			groups[a.g] = g
		}
		for _, e := range endpoints {
			if g.matches(e) {
				out[a.p] = append(out[a.p], e.ID)
			}
		}
	}
	return out, nil
}
