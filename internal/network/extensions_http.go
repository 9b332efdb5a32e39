package network

import (
	"net/http"

	"github.com/stratus-iaas/stratus/internal/httpapi"
)

type extensionWire struct {
	Name        string     `json:"name"`
	Alias       string     `json:"alias"`
	Description string     `json:"description"`
	Updated     string     `json:"updated"`
	Links       []linkWire `json:"links"`
}

// extensions are the Neutron API extensions stratus serves, each in full
// (docs/compatibility.md).
var extensions = []extensionWire{
	{Name: "Allowed Address Pairs", Alias: "allowed-address-pairs", Description: "Provides allowed address pairs"},
	{Name: "Port Binding", Alias: "binding", Description: "Expose port bindings of a virtual port to external application"},
	{Name: "Empty String Filtering Extension", Alias: "empty-string-filtering", Description: "Allow filtering by attributes with empty string value"},
	{Name: "Neutron L3 Configurable external gateway mode", Alias: "ext-gw-mode", Description: "Extension of the router abstraction for specifying whether SNAT should occur on the external gateway"},
	{Name: "Neutron external network", Alias: "external-net", Description: "Adds external network attribute to network resource."},
	{Name: "Neutron Extra Route", Alias: "extraroute", Description: "Extra routes configuration for L3 router"},
	{Name: "Filter parameters validation", Alias: "filter-validation", Description: "Provides validation on filter parameters."},
	{Name: "IP address substring filtering", Alias: "ip-substring-filtering", Description: "Provides IP address substring filtering when listing ports"},
	{Name: "Network MTU", Alias: "net-mtu", Description: "Provides MTU attribute for a network resource."},
	{Name: "Network MTU (writable)", Alias: "net-mtu-writable", Description: "Provides a writable MTU attribute for a network resource."},
	{Name: "Pagination support", Alias: "pagination", Description: "Extension that indicates that pagination is enabled."},
	{Name: "Port Security", Alias: "port-security", Description: "Provides port security"},
	{Name: "project_id field enabled", Alias: "project-id", Description: "Extension that indicates that project_id field is enabled."},
	{Name: "Quota management support", Alias: "quotas", Description: "Expose functions for quotas management per project"},
	{Name: "Quota details management support", Alias: "quota_details", Description: "Expose functions for quotas usage statistics per project"},
	{Name: "Neutron L3 Router", Alias: "router", Description: "Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway."},
	{Name: "security-group", Alias: "security-group", Description: "The security groups extension."},
	{Name: "Security group normalized CIDR", Alias: "security-groups-normalized-cidr", Description: "Add new field with normalized remote_ip_prefix cidr in SG rule"},
	{Name: "Sorting support", Alias: "sorting", Description: "Extension that indicates that sorting is enabled."},
	{Name: "standard-attr-description", Alias: "standard-attr-description", Description: "Extension to add descriptions to standard attributes"},
	{Name: "Resource revision numbers", Alias: "standard-attr-revisions", Description: "This extension will display the revision number of neutron resources."},
	{Name: "Tag support for resources with standard attribute: subnet, router, network, port, security_group, floatingip", Alias: "standard-attr-tag", Description: "Enables to set tag on resources with standard attribute."},
	{Name: "Resource timestamps", Alias: "standard-attr-timestamp", Description: "Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes."},
	{Name: "Stateful security group", Alias: "stateful-security-group", Description: "Indicates if the security group is stateful or not"},
	{Name: "Tag support", Alias: "tag", Description: "Enables to set tag on resources."},
}

func init() {
	for i := range extensions {
		extensions[i].Updated = "2013-02-03T10:00:00-00:00"
		extensions[i].Links = []linkWire{}
	}
}

func listExtensions(w http.ResponseWriter, r *http.Request) error {
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"extensions": extensions})
}

func getExtension(w http.ResponseWriter, r *http.Request) error {
	alias := r.PathValue("alias")
	for _, e := range extensions {
		if e.Alias == alias {
			return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"extension": e})
		}
	}
	return notFoundErr("HTTPNotFound", "Extension with alias %s does not exist", alias)
}
