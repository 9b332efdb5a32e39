package identity

import (
	"context"
	"database/sql"
	"errors"
	"slices"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Catalog writes (catalog_http.go decodes and renders them): services,
// endpoints, regions and OS-EP-FILTER project associations. Every write
// clears the cached catalog of this node.

// CreateService stores a new catalog service.
func (s *Service) CreateService(ctx context.Context, v *CatalogService) error {
	if err := s.db.Tx(ctx, func(tx *sql.Tx) error { return insertService(ctx, tx, v, s.nowMicro(), false) }); err != nil {
		return err
	}
	s.catalogCache.clear()
	return nil
}

func deleteServiceRows(ctx context.Context, tx *sql.Tx, id string) error {
	return execAll(ctx, tx, id,
		"DELETE FROM identity_project_endpoints WHERE endpoint_id IN (SELECT id FROM identity_endpoints WHERE service_id = $1)",
		"DELETE FROM identity_endpoints WHERE service_id = $1")
}

// CreateEndpoint stores a new endpoint after the checks of storeEndpoint.
func (s *Service) CreateEndpoint(ctx context.Context, v *Endpoint) error {
	if err := s.db.Tx(ctx, func(tx *sql.Tx) error { return s.storeEndpoint(ctx, tx, v, true) }); err != nil {
		return err
	}
	s.catalogCache.clear()
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

func deleteEndpointRows(ctx context.Context, tx *sql.Tx, id string) error {
	return execAll(ctx, tx, id, "DELETE FROM identity_project_endpoints WHERE endpoint_id = $1")
}

// CreateRegion stores a new region: its id unused, its parent existing and
// making no cycle.
func (s *Service) CreateRegion(ctx context.Context, v *Region) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := getRegion(ctx, tx, v.ID); err == nil {
			return s.regionKind.conflict(v)
		}
		if err := checkRegionParent(ctx, tx, v); err != nil {
			return err
		}
		return insertRegion(ctx, tx, v, s.nowMicro(), false)
	})
	if errors.Is(err, store.ErrConflict) {
		return s.regionKind.conflict(v)
	}
	if err != nil {
		return err
	}
	s.catalogCache.clear()
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

// projectEndpoint checks that the project and the endpoint exist.
func (s *Service) projectEndpoint(ctx context.Context, q store.Querier, projectID, endpointID string) error {
	if _, err := s.project(ctx, q, projectID); err != nil {
		return err
	}
	_, err := s.endpointKind.load(ctx, q, endpointID)
	return err
}

func endpointNotInProject(e, p string) *fault.Error {
	return fault.NotFoundf("Endpoint %s not found in project %s", e, p)
}

// AddProjectEndpoint associates an endpoint with a project (again is no
// error).
func (s *Service) AddProjectEndpoint(ctx context.Context, projectID, endpointID string) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.projectEndpoint(ctx, tx, projectID, endpointID); err != nil {
			return err
		}
		return addProjectEndpoint(ctx, tx, projectID, endpointID)
	})
	if err != nil {
		return err
	}
	s.catalogCache.clear()
	s.cache.clear()
	return nil
}

// CheckProjectEndpoint is nil when the endpoint is associated with the
// project.
func (s *Service) CheckProjectEndpoint(ctx context.Context, projectID, endpointID string) error {
	if err := s.projectEndpoint(ctx, s.db.R(), projectID, endpointID); err != nil {
		return err
	}
	ok, err := hasProjectEndpoint(ctx, s.db.R(), projectID, endpointID)
	if err != nil {
		return err
	}
	if !ok {
		return endpointNotInProject(endpointID, projectID)
	}
	return nil
}

// RemoveProjectEndpoint ends an association; a missing one is a 404.
func (s *Service) RemoveProjectEndpoint(ctx context.Context, projectID, endpointID string) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.projectEndpoint(ctx, tx, projectID, endpointID); err != nil {
			return err
		}
		ok, err := removeProjectEndpoint(ctx, tx, projectID, endpointID)
		if err != nil {
			return err
		}
		if !ok {
			return endpointNotInProject(endpointID, projectID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.catalogCache.clear()
	s.cache.clear()
	return nil
}
