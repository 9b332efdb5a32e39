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
	read, write, admin := policy.ProjectReader, policy.ProjectMember, policy.Admin
	const (
		get, post, put, del = http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete
	)
	return []httpapi.Route{
		{Method: get, Pattern: "", Policy: policy.Public, Handler: listVersions},
		{Method: get, Pattern: "/{$}", Policy: policy.Public, Handler: listVersions},
		{Method: get, Pattern: "/v2.0", Policy: policy.Public, Handler: v2Root},
		{Method: get, Pattern: "/v2.0/{$}", Policy: policy.Public, Handler: v2Root},
		{Method: get, Pattern: "/v2.0/extensions", Policy: read, Handler: listExtensions},
		{Method: get, Pattern: "/v2.0/extensions/{alias}", Policy: read, Handler: getExtension},
		{Method: get, Pattern: "/v2.0/agents", Policy: read, Handler: listAgents},
		{Method: get, Pattern: "/v2.0/agents/{id}", Policy: read, Handler: getAgent},

		{Method: post, Pattern: "/v2.0/networks", Policy: write, Handler: s.createNetwork},
		{Method: get, Pattern: "/v2.0/networks", Policy: read, Handler: s.listNetworks},
		{Method: get, Pattern: "/v2.0/networks/{id}", Policy: read, Handler: s.getNetworkHTTP},
		{Method: put, Pattern: "/v2.0/networks/{id}", Policy: write, Handler: s.updateNetworkHTTP},
		{Method: del, Pattern: "/v2.0/networks/{id}", Policy: write, Handler: s.deleteNetworkHTTP},

		{Method: post, Pattern: "/v2.0/subnets", Policy: write, Handler: s.createSubnetHTTP},
		{Method: get, Pattern: "/v2.0/subnets", Policy: read, Handler: s.listSubnetsHTTP},
		{Method: get, Pattern: "/v2.0/subnets/{id}", Policy: read, Handler: s.getSubnetHTTP},
		{Method: put, Pattern: "/v2.0/subnets/{id}", Policy: write, Handler: s.updateSubnetHTTP},
		{Method: del, Pattern: "/v2.0/subnets/{id}", Policy: write, Handler: s.deleteSubnetHTTP},

		{Method: post, Pattern: "/v2.0/ports", Policy: write, Handler: s.createPortHTTP},
		{Method: get, Pattern: "/v2.0/ports", Policy: read, Handler: s.listPortsHTTP},
		{Method: get, Pattern: "/v2.0/ports/{id}", Policy: read, Handler: s.getPortHTTP},
		{Method: put, Pattern: "/v2.0/ports/{id}", Policy: write, Handler: s.updatePortHTTP},
		{Method: del, Pattern: "/v2.0/ports/{id}", Policy: write, Handler: s.deletePortHTTP},

		{Method: post, Pattern: "/v2.0/security-groups", Policy: write, Handler: s.createGroupHTTP},
		{Method: get, Pattern: "/v2.0/security-groups", Policy: read, Handler: s.listGroupsHTTP},
		{Method: get, Pattern: "/v2.0/security-groups/{id}", Policy: read, Handler: s.getGroupHTTP},
		{Method: put, Pattern: "/v2.0/security-groups/{id}", Policy: write, Handler: s.updateGroupHTTP},
		{Method: del, Pattern: "/v2.0/security-groups/{id}", Policy: write, Handler: s.deleteGroupHTTP},
		{Method: post, Pattern: "/v2.0/security-group-rules", Policy: write, Handler: s.createRuleHTTP},
		{Method: get, Pattern: "/v2.0/security-group-rules", Policy: read, Handler: s.listRulesHTTP},
		{Method: get, Pattern: "/v2.0/security-group-rules/{id}", Policy: read, Handler: s.getRuleHTTP},
		{Method: del, Pattern: "/v2.0/security-group-rules/{id}", Policy: write, Handler: s.deleteRuleHTTP},

		{Method: post, Pattern: "/v2.0/routers", Policy: write, Handler: s.createRouterHTTP},
		{Method: get, Pattern: "/v2.0/routers", Policy: read, Handler: s.listRoutersHTTP},
		{Method: get, Pattern: "/v2.0/routers/{id}", Policy: read, Handler: s.getRouterHTTP},
		{Method: put, Pattern: "/v2.0/routers/{id}", Policy: write, Handler: s.updateRouterHTTP},
		{Method: del, Pattern: "/v2.0/routers/{id}", Policy: write, Handler: s.deleteRouterHTTP},
		{Method: put, Pattern: "/v2.0/routers/{id}/add_router_interface", Policy: write, Handler: s.addInterfaceHTTP},
		{Method: put, Pattern: "/v2.0/routers/{id}/remove_router_interface", Policy: write, Handler: s.removeInterfaceHTTP},

		{Method: post, Pattern: "/v2.0/floatingips", Policy: write, Handler: s.createFIPHTTP},
		{Method: get, Pattern: "/v2.0/floatingips", Policy: read, Handler: s.listFIPsHTTP},
		{Method: get, Pattern: "/v2.0/floatingips/{id}", Policy: read, Handler: s.getFIPHTTP},
		{Method: put, Pattern: "/v2.0/floatingips/{id}", Policy: write, Handler: s.updateFIPHTTP},
		{Method: del, Pattern: "/v2.0/floatingips/{id}", Policy: write, Handler: s.deleteFIPHTTP},

		{Method: get, Pattern: "/v2.0/quotas", Policy: admin, Handler: s.listQuotasHTTP},
		{Method: get, Pattern: "/v2.0/quotas/{project_id}", Policy: read, Handler: s.showQuotaHTTP},
		{Method: get, Pattern: "/v2.0/quotas/{project_id}/default", Policy: read, Handler: s.defaultQuotaHTTP},
		{Method: get, Pattern: "/v2.0/quotas/{project_id}/details.json", Policy: read, Handler: s.quotaDetailsHTTP},
		{Method: get, Pattern: "/v2.0/quotas/{project_id}/details", Policy: read, Handler: s.quotaDetailsHTTP},
		{Method: put, Pattern: "/v2.0/quotas/{project_id}", Policy: admin, Handler: s.updateQuotaHTTP},
		{Method: del, Pattern: "/v2.0/quotas/{project_id}", Policy: admin, Handler: s.resetQuotaHTTP},

		{Method: get, Pattern: "/v2.0/{kind}/{id}/tags", Policy: read, Handler: s.listTagsHTTP},
		{Method: get, Pattern: "/v2.0/{kind}/{id}/tags/{tag}", Policy: read, Handler: s.checkTagHTTP},
		{Method: post, Pattern: "/v2.0/{kind}/{id}/tags", Policy: write, Handler: s.addTagsHTTP},
		{Method: put, Pattern: "/v2.0/{kind}/{id}/tags", Policy: write, Handler: s.replaceTagsHTTP},
		{Method: put, Pattern: "/v2.0/{kind}/{id}/tags/{tag}", Policy: write, Handler: s.addTagHTTP},
		{Method: del, Pattern: "/v2.0/{kind}/{id}/tags", Policy: write, Handler: s.deleteTagsHTTP},
		{Method: del, Pattern: "/v2.0/{kind}/{id}/tags/{tag}", Policy: write, Handler: s.deleteTagHTTP},
	}
}
