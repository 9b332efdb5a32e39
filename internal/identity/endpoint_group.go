package identity

import (
	"context"
	"database/sql"
	"errors"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/store"
)

// OS-EP-FILTER endpoint groups, as keystone/api/os_ep_filter.py: named
// filters (service_id, region_id, interface) over endpoints; projects
// associated with a group see its endpoints in their catalog (with their
// directly associated endpoints, catalog.go). endpoint_group_http.go
// decodes and renders; endpoint_group_store.go holds the queries.

// matches reports whether an endpoint passes the group's filters.
func (g *EndpointGroup) matches(e *Endpoint) bool {
	for k, v := range g.Filters {
		if (k == "service_id" && e.ServiceID != v) || (k == "region_id" && e.RegionID != v) || (k == "interface" && e.Interface != v) {
			return false
		}
	}
	return true
}

// CreateEndpointGroup stores a new endpoint group.
func (s *Service) CreateEndpointGroup(ctx context.Context, g *EndpointGroup) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error { return insertEndpointGroup(ctx, tx, g, s.nowMicro()) })
}

func deleteEndpointGroupRows(ctx context.Context, tx *sql.Tx, id string) error {
	return execAll(ctx, tx, id, "DELETE FROM identity_project_endpoint_groups WHERE endpoint_group_id = $1")
}

// EndpointGroupEndpoints are the endpoints group id's filters select.
func (s *Service) EndpointGroupEndpoints(ctx context.Context, id string) ([]*Endpoint, error) {
	g, err := endpointGroupKind.load(ctx, s.db.R(), id)
	if err != nil {
		return nil, err
	}
	eps, err := listEndpoints(ctx, s.db.R())
	if err != nil {
		return nil, err
	}
	var out []*Endpoint
	for _, e := range eps {
		if g.matches(e) {
			out = append(out, e)
		}
	}
	return out, nil
}

// projectEndpointGroup checks that the group and then the project exist.
func (s *Service) projectEndpointGroup(ctx context.Context, q store.Querier, groupID, projectID string) error {
	if _, err := endpointGroupKind.load(ctx, q, groupID); err != nil {
		return err
	}
	_, err := s.project(ctx, q, projectID)
	return err
}

func groupNotInProject(g, p string) *fault.Error {
	return fault.NotFoundf("Could not find project endpoint group with endpoint group: %s, project: %s.", g, p)
}

// AddProjectEndpointGroup associates an endpoint group with a project
// (again is no error).
func (s *Service) AddProjectEndpointGroup(ctx context.Context, groupID, projectID string) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.projectEndpointGroup(ctx, tx, groupID, projectID); err != nil {
			return err
		}
		return insertProjectEndpointGroup(ctx, tx, groupID, projectID)
	})
	if err != nil {
		return err
	}
	s.invalidate()
	return nil
}

// CheckProjectEndpointGroup is nil when the group is associated with the
// project.
func (s *Service) CheckProjectEndpointGroup(ctx context.Context, groupID, projectID string) error {
	if err := s.projectEndpointGroup(ctx, s.db.R(), groupID, projectID); err != nil {
		return err
	}
	ok, err := hasProjectEndpointGroup(ctx, s.db.R(), groupID, projectID)
	if err != nil {
		return err
	}
	if !ok {
		return groupNotInProject(groupID, projectID)
	}
	return nil
}

// RemoveProjectEndpointGroup ends an association; none is a 404.
func (s *Service) RemoveProjectEndpointGroup(ctx context.Context, groupID, projectID string) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.projectEndpointGroup(ctx, tx, groupID, projectID); err != nil {
			return err
		}
		ok, err := deleteProjectEndpointGroup(ctx, tx, groupID, projectID)
		if err == nil && !ok {
			err = groupNotInProject(groupID, projectID)
		}
		return err
	})
	if err != nil {
		return err
	}
	s.invalidate()
	return nil
}

// projectGroupEndpoints is, per project, the endpoints its associated
// groups select (for the catalog).
func projectGroupEndpoints(ctx context.Context, q store.Querier, endpoints []*Endpoint) (map[string][]string, error) {
	as, err := listProjectEndpointGroupPairs(ctx, q)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	groups := map[string]*EndpointGroup{}
	for _, a := range as {
		g, ok := groups[a.groupID]
		if !ok {
			var err error
			if g, err = getEndpointGroup(ctx, q, a.groupID); errors.Is(err, store.ErrNotFound) {
				continue
			} else if err != nil {
				return nil, err
			}
			groups[a.groupID] = g
		}
		for _, e := range endpoints {
			if g.matches(e) {
				out[a.projectID] = append(out[a.projectID], e.ID)
			}
		}
	}
	return out, nil
}
