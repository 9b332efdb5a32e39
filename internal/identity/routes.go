package identity

import (
	"net/http"

	"github.com/stratus-iaas/stratus/internal/catalog"
	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// Group is the service's routes under catalog.IdentityPrefix.
func (s *Service) Group() httpapi.Group {
	return httpapi.Group{Name: "identity", Prefix: catalog.IdentityPrefix, Dialect: httpapi.Keystone, Routes: s.routes()}
}

// routes is the whole access policy of the identity API: the admin role
// for CRUD, except that a user may read itself, list its own projects and
// change its own password (selfOrAdmin), a project member may read
// its project (ProjectReader plus the {project_id} check in httpapi), and
// a token scoped to a domain or to a project in it may read that domain
// (domainReaderOrAdmin).
// The one object-level rule is on /v3/auth/tokens: any user may validate
// or revoke its own token, only an admin another's (subjectToken), since
// that depends on the X-Subject-Token rather than on the route.
func (s *Service) routes() []httpapi.Route {
	pub, authn, admin := policy.Public, policy.Authenticated, policy.Admin
	rt := func(method, pattern string, p policy.Rule, h httpapi.HandlerFunc) httpapi.Route {
		return httpapi.Route{Method: method, Pattern: pattern, Policy: p, Handler: h}
	}
	routes := []httpapi.Route{
		rt("GET", "", pub, s.versions),
		rt("GET", "/{$}", pub, s.versions),
		rt("GET", "/v3", pub, s.versionV3),
		rt("GET", "/v3/{$}", pub, s.versionV3),
		rt("GET", "/v2.0", pub, s.versionV2),
		rt("GET", "/v2.0/{$}", pub, s.versionV2),
		rt("POST", "/v2.0/tokens", pub, s.createTokenV2),
		rt("GET", "/v2.0/tokens/{token_id}", admin, s.validateTokenV2),
		rt("DELETE", "/v2.0/tokens/{token_id}", admin, s.revokeTokenV2),
		rt("GET", "/v2.0/tenants", authn, s.listTenantsV2),

		rt("POST", "/v3/auth/tokens", pub, s.createToken),
		rt("GET", "/v3/auth/tokens", authn, s.validateToken),
		rt("HEAD", "/v3/auth/tokens", authn, s.checkToken),
		rt("DELETE", "/v3/auth/tokens", authn, s.revokeToken),
		rt("GET", "/v3/auth/catalog", authn, s.authCatalog),
		rt("GET", "/v3/auth/projects", authn, s.authProjects),
		rt("GET", "/v3/auth/domains", authn, s.authDomains),
		rt("GET", "/v3/auth/system", authn, s.authSystem),

		rt("GET", "/v3/domains", admin, s.listDomains),
		rt("POST", "/v3/domains", admin, s.createDomain),
		rt("GET", "/v3/domains/{domain_id}", authn, domainReaderOrAdmin(domainKind.show(s))),
		rt("PATCH", "/v3/domains/{domain_id}", admin, domainKind.update(s)),
		rt("DELETE", "/v3/domains/{domain_id}", admin, domainKind.remove(s, s.deleteDomainRows)),

		rt("GET", "/v3/projects", admin, s.listProjects),
		rt("POST", "/v3/projects", admin, s.createProject),
		rt("GET", "/v3/projects/{project_id}", policy.ProjectReader, s.showProject),
		rt("PATCH", "/v3/projects/{project_id}", admin, s.updateProject),
		rt("DELETE", "/v3/projects/{project_id}", admin, s.deleteProject),
		rt("GET", "/v3/projects/{project_id}/tags", policy.ProjectReader, s.listProjectTags),
		rt("PUT", "/v3/projects/{project_id}/tags", admin, s.replaceProjectTags),
		rt("DELETE", "/v3/projects/{project_id}/tags", admin, s.clearProjectTags),
		rt("GET", "/v3/projects/{project_id}/tags/{tag}", policy.ProjectReader, s.checkProjectTag),
		rt("PUT", "/v3/projects/{project_id}/tags/{tag}", admin, s.addProjectTag),
		rt("DELETE", "/v3/projects/{project_id}/tags/{tag}", admin, s.removeProjectTag),

		rt("GET", "/v3/users", admin, s.listUsers),
		rt("POST", "/v3/users", admin, s.createUser),
		rt("GET", "/v3/users/{user_id}", authn, selfOrAdmin("get_user", userKind.show(s))),
		rt("PATCH", "/v3/users/{user_id}", admin, s.updateUser),
		rt("DELETE", "/v3/users/{user_id}", admin, userKind.remove(s, s.deleteUserRows)),
		rt("GET", "/v3/users/{user_id}/projects", authn, selfOrAdmin("list_user_projects", s.listUserProjects)),
		rt("GET", "/v3/users/{user_id}/groups", authn, selfOrAdmin("list_groups_for_user", s.listUserGroups)),
		rt("POST", "/v3/users/{user_id}/password", authn, selfOrAdmin("change_password", s.changePassword)),

		rt("GET", "/v3/groups", admin, s.listGroups),
		rt("POST", "/v3/groups", admin, s.createGroup),
		rt("GET", "/v3/groups/{group_id}", admin, groupKind.show(s)),
		rt("PATCH", "/v3/groups/{group_id}", admin, groupKind.update(s)),
		rt("DELETE", "/v3/groups/{group_id}", admin, groupKind.remove(s, deleteGroupRows)),
		rt("GET", "/v3/groups/{group_id}/users", admin, s.listGroupUsers),
		rt("PUT", "/v3/groups/{group_id}/users/{user_id}", admin, s.addGroupUser),
		rt("HEAD", "/v3/groups/{group_id}/users/{user_id}", admin, s.checkGroupUser),
		rt("GET", "/v3/groups/{group_id}/users/{user_id}", admin, s.checkGroupUser),
		rt("DELETE", "/v3/groups/{group_id}/users/{user_id}", admin, s.removeGroupUser),

		rt("GET", "/v3/roles", admin, s.listRoles),
		rt("POST", "/v3/roles", admin, s.createRole),
		rt("GET", "/v3/roles/{role_id}", admin, roleKind.show(s)),
		rt("PATCH", "/v3/roles/{role_id}", admin, roleKind.update(s)),
		rt("DELETE", "/v3/roles/{role_id}", admin, roleKind.remove(s, deleteRoleRows)),
		rt("GET", "/v3/roles/{role_id}/implies", admin, s.listImpliedRoles),
		rt("PUT", "/v3/roles/{role_id}/implies/{implied_role_id}", admin, s.putImpliedRole),
		rt("GET", "/v3/roles/{role_id}/implies/{implied_role_id}", admin, s.getImpliedRole),
		rt("HEAD", "/v3/roles/{role_id}/implies/{implied_role_id}", admin, s.getImpliedRole),
		rt("DELETE", "/v3/roles/{role_id}/implies/{implied_role_id}", admin, s.deleteImpliedRole),
		rt("GET", "/v3/role_inferences", admin, s.listRoleInferences),
		rt("GET", "/v3/role_assignments", admin, s.listRoleAssignments),

		rt("GET", "/v3/OS-TRUST/trusts", authn, s.listTrusts),
		rt("GET", "/v3/OS-TRUST/trusts/{$}", authn, s.listTrusts), // tempest's trusts client lists with a slash
		rt("POST", "/v3/OS-TRUST/trusts", authn, s.createTrust),
		rt("GET", "/v3/OS-TRUST/trusts/{trust_id}", authn, s.getTrust),
		rt("DELETE", "/v3/OS-TRUST/trusts/{trust_id}", authn, s.deleteTrust),
		rt("GET", "/v3/OS-TRUST/trusts/{trust_id}/roles", authn, s.listTrustRoles),
		rt("GET", "/v3/OS-TRUST/trusts/{trust_id}/roles/{role_id}", authn, s.getTrustRole),
		rt("HEAD", "/v3/OS-TRUST/trusts/{trust_id}/roles/{role_id}", authn, s.getTrustRole),

		rt("GET", "/v3/users/{user_id}/application_credentials", authn, s.listAppCreds),
		rt("POST", "/v3/users/{user_id}/application_credentials", authn, s.createAppCred),
		rt("GET", "/v3/users/{user_id}/application_credentials/{application_credential_id}", authn, s.getAppCred),
		rt("DELETE", "/v3/users/{user_id}/application_credentials/{application_credential_id}", authn, s.deleteAppCred),
		rt("GET", "/v3/users/{user_id}/access_rules", authn, s.listAccessRules),
		rt("GET", "/v3/users/{user_id}/access_rules/{access_rule_id}", authn, s.getAccessRule),
		rt("DELETE", "/v3/users/{user_id}/access_rules/{access_rule_id}", authn, s.deleteAccessRule),

		rt("GET", "/v3/credentials", authn, s.listCredentials),
		rt("POST", "/v3/credentials", authn, s.createCredential),
		rt("GET", "/v3/credentials/{credential_id}", authn, s.getCredential),
		rt("PATCH", "/v3/credentials/{credential_id}", authn, s.updateCredential),
		rt("DELETE", "/v3/credentials/{credential_id}", authn, s.deleteCredential),
		rt("GET", "/v3/users/{user_id}/credentials/OS-EC2", authn, selfOrAdmin("ec2_list_credentials", s.listEC2Credentials)),
		rt("POST", "/v3/users/{user_id}/credentials/OS-EC2", authn, selfOrAdmin("ec2_create_credential", s.createEC2Credential)),
		rt("GET", "/v3/users/{user_id}/credentials/OS-EC2/{credential_id}", authn, selfOrAdmin("ec2_get_credential", s.getEC2Credential)),
		rt("DELETE", "/v3/users/{user_id}/credentials/OS-EC2/{credential_id}", authn, selfOrAdmin("ec2_delete_credential", s.deleteEC2Credential)),

		rt("GET", "/v3/limits/model", authn, s.limitModel),
		rt("GET", "/v3/registered_limits", authn, s.listRegisteredLimits),
		rt("POST", "/v3/registered_limits", admin, s.createRegisteredLimits),
		rt("GET", "/v3/registered_limits/{registered_limit_id}", authn, s.getRegisteredLimit),
		rt("PATCH", "/v3/registered_limits/{registered_limit_id}", admin, s.updateRegisteredLimit),
		rt("DELETE", "/v3/registered_limits/{registered_limit_id}", admin, s.deleteRegisteredLimit),
		rt("GET", "/v3/limits", authn, s.listLimits),
		rt("POST", "/v3/limits", admin, s.createLimits),
		rt("GET", "/v3/limits/{limit_id}", authn, s.getLimit),
		rt("PATCH", "/v3/limits/{limit_id}", admin, s.updateLimit),
		rt("DELETE", "/v3/limits/{limit_id}", admin, s.deleteLimit),

		rt("POST", "/v3/ec2tokens", authn, s.ec2Tokens),
		rt("POST", "/v3/s3tokens", authn, s.s3Tokens),

		rt("GET", "/v3/services", authn, s.listServices),
		rt("POST", "/v3/services", admin, s.createService),
		rt("GET", "/v3/services/{service_id}", authn, s.serviceKind.show(s)),
		rt("PATCH", "/v3/services/{service_id}", admin, s.serviceKind.update(s)),
		rt("DELETE", "/v3/services/{service_id}", admin, s.serviceKind.remove(s, deleteServiceRows)),
		rt("GET", "/v3/endpoints", authn, s.listEndpoints),
		rt("POST", "/v3/endpoints", admin, s.createEndpoint),
		rt("GET", "/v3/endpoints/{endpoint_id}", authn, s.endpointKind.show(s)),
		rt("PATCH", "/v3/endpoints/{endpoint_id}", admin, s.endpointKind.update(s)),
		rt("DELETE", "/v3/endpoints/{endpoint_id}", admin, s.endpointKind.remove(s, deleteEndpointRows)),
		rt("GET", "/v3/regions", authn, s.listRegions),
		rt("POST", "/v3/regions", admin, s.createRegion),
		rt("GET", "/v3/regions/{region_id}", authn, s.regionKind.show(s)),
		rt("PUT", "/v3/regions/{region_id}", admin, s.createRegion),
		rt("PATCH", "/v3/regions/{region_id}", admin, s.regionKind.update(s)),
		rt("DELETE", "/v3/regions/{region_id}", admin, s.regionKind.remove(s, deleteRegionRows)),
		rt("GET", "/v3/OS-EP-FILTER/projects/{project_id}/endpoints", admin, s.listProjectEndpoints),
		rt("GET", "/v3/OS-EP-FILTER/endpoints/{endpoint_id}/projects", admin, s.listEndpointProjects),
		rt("PUT", "/v3/OS-EP-FILTER/projects/{project_id}/endpoints/{endpoint_id}", admin, s.addProjectEndpoint),
		rt("HEAD", "/v3/OS-EP-FILTER/projects/{project_id}/endpoints/{endpoint_id}", admin, s.checkProjectEndpoint),
		rt("GET", "/v3/OS-EP-FILTER/projects/{project_id}/endpoints/{endpoint_id}", admin, s.checkProjectEndpoint),
		rt("DELETE", "/v3/OS-EP-FILTER/projects/{project_id}/endpoints/{endpoint_id}", admin, s.removeProjectEndpoint),
		rt("GET", "/v3/OS-EP-FILTER/endpoint_groups", admin, s.listEndpointGroups),
		rt("POST", "/v3/OS-EP-FILTER/endpoint_groups", admin, s.createEndpointGroup),
		rt("GET", "/v3/OS-EP-FILTER/endpoint_groups/{endpoint_group_id}", admin, endpointGroupKind.show(s)),
		rt("HEAD", "/v3/OS-EP-FILTER/endpoint_groups/{endpoint_group_id}", admin, s.checkEndpointGroup),
		rt("PATCH", "/v3/OS-EP-FILTER/endpoint_groups/{endpoint_group_id}", admin, endpointGroupKind.update(s)),
		rt("DELETE", "/v3/OS-EP-FILTER/endpoint_groups/{endpoint_group_id}", admin, endpointGroupKind.remove(s, deleteEndpointGroupRows)),
		rt("GET", "/v3/OS-EP-FILTER/endpoint_groups/{endpoint_group_id}/endpoints", admin, s.listEndpointGroupEndpoints),
		rt("GET", "/v3/OS-EP-FILTER/endpoint_groups/{endpoint_group_id}/projects", admin, s.listEndpointGroupProjects),
		rt("PUT", "/v3/OS-EP-FILTER/endpoint_groups/{endpoint_group_id}/projects/{project_id}", admin, s.addProjectEndpointGroup),
		rt("HEAD", "/v3/OS-EP-FILTER/endpoint_groups/{endpoint_group_id}/projects/{project_id}", admin, s.checkProjectEndpointGroup),
		rt("GET", "/v3/OS-EP-FILTER/endpoint_groups/{endpoint_group_id}/projects/{project_id}", admin, s.checkProjectEndpointGroup),
		rt("DELETE", "/v3/OS-EP-FILTER/endpoint_groups/{endpoint_group_id}/projects/{project_id}", admin, s.removeProjectEndpointGroup),
		rt("GET", "/v3/OS-EP-FILTER/projects/{project_id}/endpoint_groups", admin, s.listProjectEndpointGroups),

		rt("GET", "/v3/policies", admin, s.listPolicyBlobs),
		rt("POST", "/v3/policies", admin, s.createPolicyBlob),
		rt("GET", "/v3/policies/{policy_id}", admin, policyBlobKind.show(s)),
		rt("PATCH", "/v3/policies/{policy_id}", admin, policyBlobKind.update(s)),
		rt("DELETE", "/v3/policies/{policy_id}", admin, policyBlobKind.remove(s, nil)),
	}
	routes = append(routes, s.grantRoutes()...)
	// Keystone APIs stratus does not implement answer 501.
	for _, coll := range notImplemented {
		for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			routes = append(routes, rt(m, coll, authn, notImplementedHandler), rt(m, coll+"/{rest...}", authn, notImplementedHandler))
		}
	}
	return routes
}

var notImplemented = []string{
	"/v3/OS-FEDERATION", "/v3/OS-OAUTH1", "/v3/OS-ENDPOINT-POLICY", "/v3/policies/{policy_id}/OS-ENDPOINT-POLICY",
	"/v3/OS-REVOKE", "/v3/OS-SIMPLE-CERT",
	"/v3/auth/OS-FEDERATION",
	// Domain-specific configuration (per-domain identity drivers). The
	// per-group defaults, /v3/domains/config/{group}[/{option}]/default,
	// cannot be routed beside /v3/domains/{domain_id}/... without a mux
	// conflict and stay 404.
	"/v3/domains/{domain_id}/config", "/v3/domains/config/default",
}

func notImplementedHandler(w http.ResponseWriter, r *http.Request) error {
	return fault.NotImplementedf("The action you have requested has not been implemented.")
}

// domainReaderOrAdmin is Keystone's default identity:get_domain rule
// without system scope: admin, or token.domain.id or token.project.domain.id
// equal to the target domain. Clients read the domain of their own project
// this way (tempest's test_default_domain_exists, openstacksdk resolving a
// project's domain). The ids are compared before any lookup, so a
// non-admin learns nothing about other domains' existence.
func domainReaderOrAdmin(h httpapi.HandlerFunc) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p := policy.FromContext(r.Context())
		target := r.PathValue("domain_id")
		if !p.IsAdmin() && (target == "" || (p.DomainID != target && p.ProjectDomain != target)) {
			return fault.Forbiddenf("You are not authorized to perform the requested action: identity:get_domain.")
		}
		return h(w, r)
	}
}

// selfOrAdmin lets a user act on its own /v3/users/{user_id} resources.
func selfOrAdmin(action string, h httpapi.HandlerFunc) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p := policy.FromContext(r.Context())
		if !p.IsAdmin() && p.UserID != r.PathValue("user_id") {
			return fault.Forbiddenf("You are not authorized to perform the requested action: identity:%s.", action)
		}
		return h(w, r)
	}
}
