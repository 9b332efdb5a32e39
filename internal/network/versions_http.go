package network

import (
	"net/http"
	"strings"

	"github.com/stratus-iaas/stratus/internal/catalog"
	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

type linkWire struct {
	Rel  string `json:"rel"`
	Href string `json:"href"`
}

type versionWire struct {
	ID     string     `json:"id"`
	Status string     `json:"status"`
	Links  []linkWire `json:"links"`
}

func base(r *http.Request) string { return httpapi.BaseURL(r) + catalog.NetworkPrefix }

// listVersions is Neutron's root: the one API version, v2.0.
func listVersions(w http.ResponseWriter, r *http.Request) error {
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"versions": []versionWire{
		{ID: "v2.0", Status: "CURRENT", Links: []linkWire{{Rel: "self", Href: base(r) + "/v2.0/"}}},
	}})
}

type resourceWire struct {
	Name       string     `json:"name"`
	Collection string     `json:"collection"`
	Links      []linkWire `json:"links"`
}

// v2Root lists the core resources, as Neutron's V2Controller does.
func v2Root(w http.ResponseWriter, r *http.Request) error {
	var out []resourceWire
	for _, c := range [][2]string{{"network", "networks"}, {"subnet", "subnets"}, {"subnetpool", "subnetpools"}, {"port", "ports"}} {
		out = append(out, resourceWire{Name: c[0], Collection: c[1], Links: []linkWire{{Rel: "self", Href: base(r) + "/v2.0/" + c[1]}}})
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"resources": out})
}

// unbuiltCollections are Neutron resources stratus does not serve: they
// answer 501 (docs/compatibility.md), anything else unknown 404.
var unbuiltCollections = map[string]bool{
	"subnetpools": true, "address-scopes": true, "address-groups": true, "rbac-policies": true,
	"network-ip-availabilities": true, "qos": true, "trunks": true, "segments": true, "network_segment_ranges": true,
	"auto-allocated-topology": true, "availability_zones": true, "service-providers": true, "flavors": true,
	"service_profiles": true, "metering": true, "log": true, "logs": true, "loggable-resources": true, "fwaas": true,
	"lbaas": true, "vpn": true, "bgp-speakers": true, "bgp-peers": true, "ndp-proxies": true, "local-ips": true,
	"conntrack_helpers": true, "port_forwardings": true, "default-security-group-rules": true, "local_ips": true,
	"bgpvpn": true, "sfc": true, "taas": true, "floatingip-pools": true, "port-bindings": true,
}

// notFound answers requests matching no route: 501 for Neutron APIs not
// built, Neutron's 404 otherwise.
func notFound(w http.ResponseWriter, r *http.Request) error {
	rest := strings.TrimPrefix(r.URL.Path, catalog.NetworkPrefix+"/v2.0/")
	if rest != r.URL.Path {
		first, _, _ := strings.Cut(rest, "/")
		first = strings.TrimSuffix(first, ".json")
		if unbuiltCollections[first] {
			return neutronErr(fault.NotImplemented, "HTTPNotImplemented", nil, "The requested API is not implemented in stratus yet.")
		}
	}
	return neutronErr(fault.NotFound, "HTTPNotFound", nil, "The resource could not be found.")
}

// listAgents: stratus runs no Neutron agents (DHCP, L3, OVS), so the list
// is empty, for admins and others alike.
func listAgents(w http.ResponseWriter, r *http.Request) error {
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"agents": []any{}})
}

func getAgent(w http.ResponseWriter, r *http.Request) error {
	return notFoundErr("AgentNotFound", "Agent %s could not be found.", r.PathValue("id"))
}
