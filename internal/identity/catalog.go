package identity

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/stratus-iaas/stratus/internal/catalog"
	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// The catalog comes from Options.Catalog: one service per entry with a
// public, internal and admin endpoint, all at the same URL. Ids are
// derived by hashing, so they are the same on every node and every start.

var interfaces = []string{"public", "internal", "admin"}

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

func needsProject(e catalog.Entry) bool { return strings.Contains(e.Path, "{project_id}") }

// catalogFor is the catalog of a token; endpoints that need a project
// are left out of domain-scoped catalogs.
func (s *Service) catalogFor(projectID string) []catalogEntry {
	out := make([]catalogEntry, 0, len(s.opts.Catalog))
	for _, e := range s.opts.Catalog {
		if needsProject(e) && projectID == "" {
			continue
		}
		url := e.URL(s.opts.PublicURL, projectID)
		ce := catalogEntry{ID: serviceID(e), Type: e.Type, Name: e.Name}
		for _, iface := range interfaces {
			ce.Endpoints = append(ce.Endpoints, catalogEndpoint{ID: endpointID(e, iface), Interface: iface,
				Region: s.opts.Region, RegionID: s.opts.Region, URL: url})
		}
		out = append(out, ce)
	}
	return out
}

// templateURL is how Keystone shows an endpoint with a project in it.
func (s *Service) templateURL(e catalog.Entry) string {
	return strings.TrimRight(s.opts.PublicURL, "/") + strings.ReplaceAll(e.Path, "{project_id}", "$(project_id)s")
}

func (s *Service) listServices(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	out := []map[string]any{}
	for _, e := range s.opts.Catalog {
		if t := q.Get("type"); t != "" && t != e.Type {
			continue
		}
		if n := q.Get("name"); n != "" && n != e.Name {
			continue
		}
		out = append(out, s.serviceWire(r, e))
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"services": out, "links": listLinks(r)})
}

func (s *Service) serviceWire(r *http.Request, e catalog.Entry) map[string]any {
	id := serviceID(e)
	return map[string]any{"id": id, "type": e.Type, "name": e.Name, "enabled": true, "description": "",
		"links": selfLinks(r, "/services/"+id)}
}

func (s *Service) getService(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("service_id")
	for _, e := range s.opts.Catalog {
		if serviceID(e) == id {
			return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"service": s.serviceWire(r, e)})
		}
	}
	return fault.NotFoundf("Could not find service: %s.", id)
}

func (s *Service) endpointWire(r *http.Request, e catalog.Entry, iface string) map[string]any {
	id := endpointID(e, iface)
	return map[string]any{"id": id, "interface": iface, "region": s.opts.Region, "region_id": s.opts.Region,
		"service_id": serviceID(e), "url": s.templateURL(e), "enabled": true, "links": selfLinks(r, "/endpoints/"+id)}
}

func (s *Service) listEndpoints(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	out := []map[string]any{}
	for _, e := range s.opts.Catalog {
		if sid := q.Get("service_id"); sid != "" && sid != serviceID(e) {
			continue
		}
		if rid := q.Get("region_id"); rid != "" && rid != s.opts.Region {
			continue
		}
		for _, iface := range interfaces {
			if i := q.Get("interface"); i != "" && i != iface {
				continue
			}
			out = append(out, s.endpointWire(r, e, iface))
		}
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"endpoints": out, "links": listLinks(r)})
}

func (s *Service) getEndpoint(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("endpoint_id")
	for _, e := range s.opts.Catalog {
		for _, iface := range interfaces {
			if endpointID(e, iface) == id {
				return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"endpoint": s.endpointWire(r, e, iface)})
			}
		}
	}
	return fault.NotFoundf("Could not find endpoint: %s.", id)
}

func (s *Service) regionWire(r *http.Request) map[string]any {
	return map[string]any{"id": s.opts.Region, "description": "", "parent_region_id": nil,
		"links": selfLinks(r, "/regions/"+s.opts.Region)}
}

func (s *Service) listRegions(w http.ResponseWriter, r *http.Request) error {
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"regions": []any{s.regionWire(r)}, "links": listLinks(r)})
}

func (s *Service) getRegion(w http.ResponseWriter, r *http.Request) error {
	if id := r.PathValue("region_id"); id != s.opts.Region {
		return fault.NotFoundf("Could not find region: %s.", id)
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"region": s.regionWire(r)})
}

// readOnly answers writes to the catalog: it is built from configuration.
func readOnly(w http.ResponseWriter, r *http.Request) error {
	return fault.NotImplementedf("The action you have requested has not been implemented.")
}
