package compute

import (
	"net/http"

	"github.com/stratus-iaas/stratus/internal/catalog"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
)

type versionLink struct {
	Rel  string `json:"rel"`
	Href string `json:"href"`
	Type string `json:"type,omitempty"`
}

type versionDoc struct {
	ID         string              `json:"id"`
	Status     string              `json:"status"`
	Version    string              `json:"version"`
	MinVersion string              `json:"min_version"`
	Updated    string              `json:"updated"`
	Links      []versionLink       `json:"links"`
	MediaTypes []map[string]string `json:"media-types,omitempty"`
}

// versionDocs are Nova's two API versions (nova/api/openstack/compute/versions.py).
func versionDocs() map[string]versionDoc {
	doc := []versionLink{{Rel: "describedby", Type: "text/html", Href: "http://docs.openstack.org/"}}
	return map[string]versionDoc{
		"v2.0": {ID: "v2.0", Status: "DEPRECATED", Updated: "2025-07-04T12:00:00Z", Links: doc,
			MediaTypes: []map[string]string{{"base": "application/json", "type": "application/vnd.openstack.compute+json;version=2"}}},
		"v2.1": {ID: "v2.1", Status: "CURRENT", Version: MaxMicroversion, MinVersion: "2.1", Updated: "2013-07-23T11:33:21Z", Links: doc,
			MediaTypes: []map[string]string{{"base": "application/json", "type": "application/vnd.openstack.compute+json;version=2.1"}}},
	}
}

func listVersions(w http.ResponseWriter, r *http.Request) error {
	base := httpapi.BaseURL(r) + catalog.ComputePrefix
	var out []versionDoc
	for _, id := range []string{"v2.0", "v2.1"} {
		v := versionDocs()[id]
		href := base + "/v2/"
		if id == "v2.1" {
			href = base + "/v2.1/"
		}
		v.Links, v.MediaTypes = []versionLink{{Rel: "self", Href: href}}, nil
		out = append(out, v)
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"versions": out})
}

// showVersion is the version document at a version root: the v2.1 one,
// or the v2.0 one under the legacy /v2 and /v1.1 paths.
func showVersion(id, path string) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		v := versionDocs()[id]
		v.Links = append([]versionLink{{Rel: "self", Href: httpapi.BaseURL(r) + catalog.ComputePrefix + path}}, v.Links...)
		return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"version": v})
	}
}

// versionRoutes are the version documents: the root lists both API
// versions (200, as Nova's index answers), each version root describes
// itself.
func versionRoutes() []httpapi.Route {
	get := func(pattern string, h httpapi.HandlerFunc) httpapi.Route {
		return httpapi.Route{Method: http.MethodGet, Pattern: pattern, Policy: policy.Public, Handler: h}
	}
	return []httpapi.Route{
		get("", listVersions),
		get("/{$}", listVersions),
		get("/v2.1", showVersion("v2.1", "/v2.1/")),
		get("/v2.1/{$}", showVersion("v2.1", "/v2.1/")),
		get("/v2/{$}", showVersion("v2.0", "/v2/")),
		get("/v1.1/{$}", showVersion("v2.0", "/v1.1/")),
	}
}
