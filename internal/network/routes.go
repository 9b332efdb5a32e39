package network

import (
	"net/http"

	"github.com/stratus-iaas/stratus/internal/catalog"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// Group is the Neutron API, mounted at catalog.NetworkPrefix.
func (s *Service) Group() httpapi.Group {
	return httpapi.Group{Name: "network", Prefix: catalog.NetworkPrefix, Dialect: httpapi.Neutron,
		Routes: s.Routes(), NotFound: notFound}
}

// Routes are the Neutron v2.0 routes, relative to catalog.NetworkPrefix.
func (s *Service) Routes() []httpapi.Route {
	return []httpapi.Route{
		{Method: http.MethodGet, Pattern: "", Policy: policy.Public, Handler: listVersions},
		{Method: http.MethodGet, Pattern: "/{$}", Policy: policy.Public, Handler: listVersions},
		{Method: http.MethodGet, Pattern: "/v2.0", Policy: policy.Public, Handler: v2Root},
		{Method: http.MethodGet, Pattern: "/v2.0/{$}", Policy: policy.Public, Handler: v2Root},
	}
}
