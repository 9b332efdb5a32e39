package identity

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stratus-iaas/stratus/internal/catalog"
)

// The service catalog is data (catalog_store.go): services, endpoints and
// regions an admin may change through the API. At every start the served
// services (Options.Catalog) and the region are seeded, each once: a
// built-in entry an admin deleted stays deleted, a service added to stratus
// later appears. Built-in endpoints' URLs start with $(public_url)s, so they
// follow the node's public URL. Ids of built-in entries are hashes, the
// same on every node.

var interfaces = []string{"public", "internal", "admin"}

// publicURLVar stands for the node's public URL in stored endpoint URLs.
const publicURLVar = "$(public_url)s"

type catalogEndpoint struct {
	ID        string `json:"id"`
	Interface string `json:"interface"`
	Region    string `json:"region"`
	RegionID  string `json:"region_id"`
	URL       string `json:"url"`
}

type catalogEntry struct {
	Endpoints []catalogEndpoint `json:"endpoints"`
	ID        string            `json:"id"`
	Type      string            `json:"type"`
	Name      string            `json:"name"`
}

func hashID(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:16])
}

func serviceID(e catalog.Entry) string { return hashID("service", e.Type, e.Name) }

func endpointID(e catalog.Entry, iface string) string {
	return hashID("endpoint", e.Type, e.Name, iface)
}

// seedCatalog adds the built-in services, endpoints and region not seeded
// before.
func (s *Service) seedCatalog(ctx context.Context) error {
	now := s.nowMicro()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		once := func(id string, insert func() error) error {
			res, err := tx.ExecContext(ctx, "INSERT INTO identity_catalog_seeded (id) VALUES ($1) ON CONFLICT DO NOTHING", id)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil
			}
			return insert()
		}
		region := s.opts.Region
		if err := once("region:"+region, func() error {
			return insertRegion(ctx, tx, &Region{ID: region, Extra: map[string]any{}}, now, true)
		}); err != nil {
			return err
		}
		for i, e := range s.opts.Catalog {
			// created_at keeps the configured order of services and interfaces.
			at := now + int64(i*len(interfaces))
			svc := &CatalogService{ID: serviceID(e), Type: e.Type, Name: e.Name, Enabled: true, Extra: map[string]any{}}
			if err := once("service:"+svc.ID, func() error { return insertService(ctx, tx, svc, at, true) }); err != nil {
				return err
			}
			url := publicURLVar + strings.ReplaceAll(e.Path, "{project_id}", "$(project_id)s")
			for j, iface := range interfaces {
				ep := &Endpoint{ID: endpointID(e, iface), ServiceID: svc.ID, Interface: iface, RegionID: region, URL: url, Enabled: true, Extra: map[string]any{}}
				if err := once("endpoint:"+ep.ID, func() error { return insertEndpoint(ctx, tx, ep, at+int64(j), true) }); err != nil {
					return err
				}
			}
		}
		return nil
	})
	s.catalogCache.clear()
	return err
}

// expandURL substitutes the node's public URL and, when projectID is not
// "", the project; ok is false when the URL needs a project and there is
// none.
func (s *Service) expandURL(url, projectID string) (string, bool) {
	url = strings.ReplaceAll(url, publicURLVar, strings.TrimRight(s.opts.PublicURL, "/"))
	if projectID == "" {
		return url, !strings.Contains(url, "$(project_id)s") && !strings.Contains(url, "$(tenant_id)s")
	}
	url = strings.ReplaceAll(url, "$(project_id)s", projectID)
	return strings.ReplaceAll(url, "$(tenant_id)s", projectID), true
}

// catalogSnapshot is the catalog's rows, cached for CacheTTL (local
// changes clear it at once).
type catalogSnapshot struct {
	services  []*CatalogService
	endpoints []*Endpoint
	filters   map[string][]string // project id → endpoint ids (OS-EP-FILTER, direct and by groups)
}

type catalogCache struct {
	mu  sync.Mutex
	at  time.Time
	val *catalogSnapshot
}

func (c *catalogCache) clear() {
	c.mu.Lock()
	c.val = nil
	c.mu.Unlock()
}

func (s *Service) catalogRows(ctx context.Context) (*catalogSnapshot, error) {
	c := &s.catalogCache
	now := s.now()
	c.mu.Lock()
	if c.val != nil && now.Sub(c.at) < s.opts.CacheTTL && !now.Before(c.at) {
		v := c.val
		c.mu.Unlock()
		return v, nil
	}
	c.mu.Unlock()
	q := s.db.R()
	snap := &catalogSnapshot{}
	var err error
	if snap.services, err = listServices(ctx, q); err != nil {
		return nil, err
	}
	if snap.endpoints, err = listEndpoints(ctx, q); err != nil {
		return nil, err
	}
	if snap.filters, err = projectGroupEndpoints(ctx, q, snap.endpoints); err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, "SELECT project_id, endpoint_id FROM identity_project_endpoints")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var p, e string
		if err := rows.Scan(&p, &e); err != nil {
			return nil, err
		}
		snap.filters[p] = append(snap.filters[p], e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.val, c.at = snap, now
	c.mu.Unlock()
	return snap, nil
}

// catalogFor is a token's catalog: enabled services with their enabled
// endpoints, only those associated with the project when it has
// associations (OS-EP-FILTER); endpoints that need a project are left out
// without one.
func (s *Service) catalogFor(ctx context.Context, projectID string) ([]catalogEntry, error) {
	snap, err := s.catalogRows(ctx)
	if err != nil {
		return nil, err
	}
	only := snap.filters[projectID]
	out := []catalogEntry{}
	for _, svc := range snap.services {
		if !svc.Enabled {
			continue
		}
		ce := catalogEntry{ID: svc.ID, Type: svc.Type, Name: svc.Name, Endpoints: []catalogEndpoint{}}
		for _, ep := range snap.endpoints {
			if ep.ServiceID != svc.ID || !ep.Enabled || (len(only) > 0 && !slices.Contains(only, ep.ID)) {
				continue
			}
			url, ok := s.expandURL(ep.URL, projectID)
			if !ok {
				continue
			}
			ce.Endpoints = append(ce.Endpoints, catalogEndpoint{ID: ep.ID, Interface: ep.Interface, Region: ep.RegionID, RegionID: ep.RegionID, URL: url})
		}
		if len(ce.Endpoints) > 0 {
			out = append(out, ce)
		}
	}
	return out, nil
}
