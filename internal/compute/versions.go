// Package compute is the Nova v2/v2.1 API. Only its version documents are
// built so far; the image proxy routes come from internal/image, and every
// other compute API answers 501 (docs/compatibility.md).
package compute

import (
	"net/http"

	"github.com/stratus-iaas/stratus/internal/catalog"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// MaxMicroversion is the highest compute microversion stratus announces.
// Only the base behaviour is implemented, so it is the floor, 2.1.
const MaxMicroversion = "2.1"

type versionDoc struct {
	ID         string              `json:"id"`
	Status     string              `json:"status"`
	Version    string              `json:"version"`
	MinVersion string              `json:"min_version"`
	Updated    string              `json:"updated"`
	Links      []map[string]any    `json:"links"`
	MediaTypes []map[string]string `json:"media-types,omitempty"`
}

func versions(r *http.Request) []versionDoc {
	base := httpapi.BaseURL(r) + catalog.ComputePrefix
	return []versionDoc{
		{ID: "v2.0", Status: "SUPPORTED", Version: "", MinVersion: "", Updated: "2011-01-21T11:33:21Z",
			Links: []map[string]any{{"rel": "self", "href": base + "/v2/"}}},
		{ID: "v2.1", Status: "CURRENT", Version: MaxMicroversion, MinVersion: "2.1", Updated: "2013-07-23T11:33:21Z",
			Links: []map[string]any{{"rel": "self", "href": base + "/v2.1/"}}},
	}
}

func withMediaTypes(v versionDoc) versionDoc {
	v.MediaTypes = []map[string]string{{"base": "application/json", "type": "application/vnd.openstack.compute+json;version=2.1"}}
	return v
}

// Routes are the version documents: the root lists both API versions
// (200, as Nova answers), each version root describes itself.
func Routes() []httpapi.Route {
	root := func(w http.ResponseWriter, r *http.Request) error {
		return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"versions": versions(r)})
	}
	one := func(i int) httpapi.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) error {
			return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"version": withMediaTypes(versions(r)[i])})
		}
	}
	return []httpapi.Route{
		{Method: http.MethodGet, Pattern: "", Policy: policy.Public, Handler: root},
		{Method: http.MethodGet, Pattern: "/{$}", Policy: policy.Public, Handler: root},
		{Method: http.MethodGet, Pattern: "/v2.1", Policy: policy.Public, Handler: one(1)},
		{Method: http.MethodGet, Pattern: "/v2.1/{$}", Policy: policy.Public, Handler: one(1)},
		{Method: http.MethodGet, Pattern: "/v2/{$}", Policy: policy.Public, Handler: one(0)},
	}
}
