package identity

import (
	"net/http"

	"github.com/stratus-iaas/stratus/internal/catalog"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// Version documents, as Keystone serves them.

func versionBase(r *http.Request) string {
	return httpapi.BaseURL(r) + catalog.IdentityPrefix
}

func v3Version(r *http.Request) map[string]any {
	return map[string]any{
		"id": "v3.14", "status": "stable", "updated": "2020-04-07T00:00:00Z",
		"links":       []map[string]string{{"rel": "self", "href": versionBase(r) + "/v3/"}},
		"media-types": []map[string]string{{"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}},
	}
}

func v2Version(r *http.Request) map[string]any {
	return map[string]any{
		"id": "v2.0", "status": "deprecated", "updated": "2016-08-04T00:00:00Z",
		"links": []map[string]string{
			{"rel": "self", "href": versionBase(r) + "/v2.0/"},
			{"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"},
		},
		"media-types": []map[string]string{{"base": "application/json", "type": "application/vnd.openstack.identity-v2.0+json"}},
	}
}

// versions is the unversioned root: 300 Multiple Choices.
func (s *Service) versions(w http.ResponseWriter, r *http.Request) error {
	return httpapi.WriteJSON(w, http.StatusMultipleChoices, map[string]any{
		"versions": map[string]any{"values": []any{v3Version(r), v2Version(r)}},
	})
}

func (s *Service) versionV3(w http.ResponseWriter, r *http.Request) error {
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"version": v3Version(r)})
}

func (s *Service) versionV2(w http.ResponseWriter, r *http.Request) error {
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"version": v2Version(r)})
}
