package compute

import (
	"net/http"
	"strings"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// prefixes are the paths the API answers under: /v2.1 (the catalog URL),
// K5's /v2/{tenant} and the /v1.1/{tenant} its volume extension prints.
var prefixes = []prefix{{version: "v2.1"}, {version: "v2", tenant: "-"}, {version: "v1.1", tenant: "-"}}

// Routes are the compute group's routes, relative to catalog.ComputePrefix:
// the version documents, then every API under each prefix. imageProxy are
// the image service's Nova image routes (patterns from "/images"), served
// here up to microversion 2.35 as Nova does.
func (s *Service) Routes(imageProxy []httpapi.Route) []httpapi.Route {
	out := versionRoutes()
	s.proxied = imageProxy
	api := append(s.apiRoutes(), gated(35, imageProxy)...)
	api = append(api, gated(35, s.proxyRoutes())...)
	api = append(api, s.gatedRoutes()...)
	for _, pf := range prefixes {
		base := "/" + pf.version
		if pf.tenant != "" {
			base += "/{tenant}"
		}
		for _, rt := range api {
			rt.Pattern = base + rt.Pattern
			rt.Handler = versioned(pf, rt.Handler)
			out = append(out, rt)
		}
	}
	return out
}

// gated makes routes answer 404 above microversion maxMinor, as Nova's
// proxy APIs do from 2.36.
func gated(maxMinor int, rts []httpapi.Route) []httpapi.Route {
	out := make([]httpapi.Route, len(rts))
	for i, rt := range rts {
		h := rt.Handler
		rt.Handler = func(w http.ResponseWriter, r *http.Request) error {
			if mv(r) > maxMinor {
				return fault.NotFoundf("The resource could not be found.")
			}
			return h(w, r)
		}
		out[i] = rt
	}
	return out
}

func (s *Service) apiRoutes() []httpapi.Route {
	read, write, admin := policy.ProjectReader, policy.ProjectMember, policy.Admin
	r := func(method, pattern string, rule policy.Rule, h httpapi.HandlerFunc) httpapi.Route {
		return httpapi.Route{Method: method, Pattern: pattern, Policy: rule, Handler: h}
	}
	const (
		get, post, put, del = http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete
	)
	return []httpapi.Route{
		r(get, "/flavors", read, s.listFlavors(false)),
		r(get, "/flavors/detail", read, s.listFlavors(true)),
		r(post, "/flavors", admin, s.createFlavor),
		r(get, "/flavors/{flavor_id}", read, s.getFlavor),
		r(put, "/flavors/{flavor_id}", admin, s.updateFlavor),
		r(del, "/flavors/{flavor_id}", admin, s.deleteFlavor),
		r(post, "/flavors/{flavor_id}/action", admin, s.flavorAction),
		r(get, "/flavors/{flavor_id}/os-flavor-access", admin, s.listFlavorAccess),
		r(get, "/flavors/{flavor_id}/os-extra_specs", read, s.listExtraSpecs),
		r(post, "/flavors/{flavor_id}/os-extra_specs", admin, s.createExtraSpecs),
		r(get, "/flavors/{flavor_id}/os-extra_specs/{key}", read, s.getExtraSpec),
		r(put, "/flavors/{flavor_id}/os-extra_specs/{key}", admin, s.updateExtraSpec),
		r(del, "/flavors/{flavor_id}/os-extra_specs/{key}", admin, s.deleteExtraSpec),

		r(get, "/os-keypairs", read, s.listKeypairs),
		r(post, "/os-keypairs", read, s.createKeypair),
		r(get, "/os-keypairs/{name}", read, s.getKeypair),
		r(del, "/os-keypairs/{name}", read, s.deleteKeypair),

		r(get, "/servers", read, s.listServers(false)),
		r(get, "/servers/detail", read, s.listServers(true)),
		r(post, "/servers", write, s.createServer),
		r(get, "/servers/{server_id}", read, s.getServer),
		r(put, "/servers/{server_id}", write, s.updateServer),
		r(del, "/servers/{server_id}", write, s.deleteServer),
		r(post, "/servers/{server_id}/action", write, s.serverAction),
		r(post, "/servers/{server_id}/remote-consoles", write, s.remoteConsole),
		r(get, "/servers/{server_id}/os-instance-actions", read, s.listInstanceActions),
		r(get, "/servers/{server_id}/os-volume_attachments", read, s.listVolumeAttachments),
		r(post, "/servers/{server_id}/os-volume_attachments", write, s.attachVolume),
		r(get, "/servers/{server_id}/os-volume_attachments/{volume_id}", read, s.getVolumeAttachment),
		r(put, "/servers/{server_id}/os-volume_attachments/{volume_id}", write, s.updateVolumeAttachment),
		r(del, "/servers/{server_id}/os-volume_attachments/{volume_id}", write, s.detachVolume),
		r(get, "/servers/{server_id}/metadata", read, s.listMetadata),
		r(put, "/servers/{server_id}/metadata", write, s.setMetadata(true)),
		r(post, "/servers/{server_id}/metadata", write, s.setMetadata(false)),
		r(get, "/servers/{server_id}/metadata/{key}", read, s.getMetadataItem),
		r(put, "/servers/{server_id}/metadata/{key}", write, s.setMetadataItem),
		r(del, "/servers/{server_id}/metadata/{key}", write, s.deleteMetadataItem),
		r(get, "/servers/{server_id}/tags", read, s.listTags),
		r(put, "/servers/{server_id}/tags", write, s.replaceTags),
		r(del, "/servers/{server_id}/tags", write, s.deleteAllTags),
		r(get, "/servers/{server_id}/tags/{tag}", read, s.checkTag),
		r(put, "/servers/{server_id}/tags/{tag}", write, s.addTag),
		r(del, "/servers/{server_id}/tags/{tag}", write, s.deleteTag),
		r(get, "/servers/{server_id}/ips", read, s.listIPs),
		r(get, "/servers/{server_id}/ips/{network}", read, s.listIPs),
		r(get, "/servers/{server_id}/os-interface", read, s.listInterfaces),
		r(post, "/servers/{server_id}/os-interface", write, s.attachInterface),
		r(get, "/servers/{server_id}/os-interface/{port_id}", read, s.getInterface),
		r(del, "/servers/{server_id}/os-interface/{port_id}", write, s.detachInterface),
		r(get, "/servers/{server_id}/os-server-password", read, s.getPassword),
		r(del, "/servers/{server_id}/os-server-password", write, s.clearPassword),
		r(get, "/servers/{server_id}/os-security-groups", read, s.serverSecGroups),

		r(get, "/os-availability-zone", read, s.listZones(false)),
		r(get, "/os-availability-zone/detail", read, s.listZones(true)),
		r(get, "/servers/{server_id}/os-instance-actions/{request_id}", read, s.getInstanceAction),

		r(get, "/os-server-groups", read, s.listServerGroups),
		r(post, "/os-server-groups", write, s.createServerGroupHTTP),
		r(get, "/os-server-groups/{group_id}", read, s.getServerGroup),
		r(del, "/os-server-groups/{group_id}", write, s.deleteServerGroup),

		r(get, "/limits", read, s.getLimits),
		r(get, "/os-quota-sets/{project}", read, s.showQuotas(false)),
		r(get, "/os-quota-sets/{project}/detail", read, s.showQuotas(true)),
		r(get, "/os-quota-sets/{project}/defaults", read, s.quotaDefaults),
		r(put, "/os-quota-sets/{project}", admin, s.updateQuotas),
		r(del, "/os-quota-sets/{project}", admin, s.deleteQuotas),
		r(get, "/os-quota-class-sets/{class}", admin, s.getQuotaClass),
		r(put, "/os-quota-class-sets/{class}", admin, s.updateQuotaClass),

		r(get, "/os-aggregates", admin, s.listAggregates),
		r(post, "/os-aggregates", admin, s.createAggregate),
		r(get, "/os-aggregates/{aggregate_id}", admin, s.getAggregate),
		r(put, "/os-aggregates/{aggregate_id}", admin, s.updateAggregate),
		r(del, "/os-aggregates/{aggregate_id}", admin, s.deleteAggregate),
		r(post, "/os-aggregates/{aggregate_id}/action", admin, s.aggregateAction),
		r(get, "/os-services", admin, s.listServices),
		r(put, "/os-services/{service_id}", admin, s.updateService),
		r(del, "/os-services/{service_id}", admin, s.deleteService),
		r(get, "/os-hypervisors", admin, s.listHypervisors(false)),
		r(get, "/os-hypervisors/detail", admin, s.listHypervisors(true)),
		r(get, "/os-hypervisors/statistics", admin, s.hypervisorStats),
		r(get, "/os-hypervisors/{hypervisor_id}", admin, s.showHypervisor),
		r(get, "/os-hypervisors/{hypervisor_id}/uptime", admin, s.hypervisorUptime),
		r(get, "/os-hypervisors/{hypervisor_id}/search", admin, s.searchHypervisors(false)),
		r(get, "/os-hypervisors/{hypervisor_id}/servers", admin, s.searchHypervisors(true)),
		r(get, "/os-migrations", admin, s.listMigrations),
		r(get, "/servers/{server_id}/migrations", admin, s.listServerMigrations),
		r(get, "/servers/{server_id}/migrations/{migration_id}", admin, s.getServerMigration),
		r(get, "/servers/{server_id}/diagnostics", admin, s.serverDiagnostics),
		r(post, "/os-server-external-events", admin, s.externalEvent),
		r(get, "/os-simple-tenant-usage", admin, s.listTenantUsages),
		r(get, "/os-simple-tenant-usage/{tenant_id}", read, s.getTenantUsage),
		r(get, "/os-instance_usage_audit_log", admin, s.listAuditLogs),
		r(get, "/os-instance_usage_audit_log/{before}", admin, s.getAuditLog),
		r(get, "/extensions", read, s.listExtensions),
		r(get, "/extensions/{alias}", read, s.getExtension),
	}
}

// gatedRoutes are APIs Nova removed at a microversion: os-hosts from
// 2.43, the network proxies from 2.36.
func (s *Service) gatedRoutes() []httpapi.Route {
	read, admin := policy.ProjectReader, policy.Admin
	r := func(method, pattern string, rule policy.Rule, h httpapi.HandlerFunc) httpapi.Route {
		return httpapi.Route{Method: method, Pattern: pattern, Policy: rule, Handler: h}
	}
	get, post, put, del := http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete
	hosts := []httpapi.Route{
		r(get, "/os-hosts", admin, s.listHosts),
		r(get, "/os-hosts/{host}", admin, s.showHost),
		r(put, "/os-hosts/{host}", admin, s.updateHost),
		r(get, "/os-hosts/{host}/startup", admin, s.hostPowerAction),
		r(get, "/os-hosts/{host}/shutdown", admin, s.hostPowerAction),
		r(get, "/os-hosts/{host}/reboot", admin, s.hostPowerAction),
	}
	nets := []httpapi.Route{
		r(get, "/os-tenant-networks", read, s.listNetworks(false)),
		r(get, "/os-tenant-networks/{network_id}", read, s.showNetwork(false)),
		r(post, "/os-tenant-networks", read, s.networkGone),
		r(del, "/os-tenant-networks/{network_id}", read, s.networkGone),
		r(get, "/os-networks", read, s.listNetworks(true)),
		r(get, "/os-networks/{network_id}", read, s.showNetwork(true)),
		r(post, "/os-networks", admin, s.networkGone),
		r(del, "/os-networks/{network_id}", admin, s.networkGone),
		r(post, "/os-networks/{network_id}/action", admin, s.networkGone),
		r(post, "/os-networks/add", admin, s.networkGone),
	}
	return append(gated(42, hosts), gated(35, nets)...)
}

// proxyRoutes are Nova's proxies of the network service's security groups
// (404 from 2.36, as Nova).
func (s *Service) proxyRoutes() []httpapi.Route {
	read, write := policy.ProjectReader, policy.ProjectMember
	return []httpapi.Route{
		{Method: http.MethodGet, Pattern: "/os-security-groups", Policy: read, Handler: s.listSecGroups},
		{Method: http.MethodPost, Pattern: "/os-security-groups", Policy: write, Handler: s.createSecGroup},
		{Method: http.MethodGet, Pattern: "/os-security-groups/{group_id}", Policy: read, Handler: s.showSecGroup},
		{Method: http.MethodPut, Pattern: "/os-security-groups/{group_id}", Policy: write, Handler: s.updateSecGroup},
		{Method: http.MethodDelete, Pattern: "/os-security-groups/{group_id}", Policy: write, Handler: s.deleteSecGroup},
		{Method: http.MethodPost, Pattern: "/os-security-group-rules", Policy: write, Handler: s.createSecGroupRule},
		{Method: http.MethodDelete, Pattern: "/os-security-group-rules/{rule_id}", Policy: write, Handler: s.deleteSecGroupRule},
	}
}

// NotFound answers paths under the compute prefix that no route matches:
// 404 under a collection the API serves (an empty id, an unknown
// sub-resource), as Nova answers, and 501 for the APIs stratus does not
// serve yet.
func (s *Service) NotFound(w http.ResponseWriter, r *http.Request) error {
	rest := strings.TrimPrefix(r.URL.Path, "/compute/")
	parts := strings.Split(rest, "/")
	if len(parts) > 0 && (parts[0] == "v2" || parts[0] == "v1.1") && len(parts) > 1 {
		parts = parts[2:]
	} else if len(parts) > 0 {
		parts = parts[1:]
	}
	if len(parts) > 0 && s.collections()[parts[0]] {
		return fault.NotFoundf("The resource could not be found.")
	}
	return fault.NotImplementedf("The requested API is not implemented in stratus yet.")
}

// collections are the first path segments of the API's routes.
func (s *Service) collections() map[string]bool {
	out := map[string]bool{"images": true}
	for _, rt := range append(append(append(s.apiRoutes(), s.proxyRoutes()...), s.gatedRoutes()...), s.proxied...) {
		seg := strings.SplitN(strings.TrimPrefix(rt.Pattern, "/"), "/", 2)[0]
		out[seg] = true
	}
	return out
}
