package compute

import (
	"net/http"
	"sort"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// The extensions API (/extensions): the fixed list of the v2.1 API's
// extensions Nova still answers with.

var extensionList = [][3]string{
	{"AccessIPs", "os-access-ips", "Access IPs support."},
	{"AdminActions", "os-admin-actions", "Enable admin-only server actions\n\n    Actions include: resetNetwork, injectNetworkInfo, os-resetState\n    "},
	{"AdminPassword", "os-admin-password", "Admin password management support."},
	{"Aggregates", "os-aggregates", "Admin-only aggregate administration."},
	{"AvailabilityZone", "os-availability-zone", "1. Add availability_zone to the Create Server API.\n       2. Add availability zones describing.\n    "},
	{"BlockDeviceMappingV2Boot", "os-block-device-mapping-v2-boot", "Allow boot with the new BDM data format."},
	{"ConfigDrive", "os-config-drive", "Config Drive Extension."},
	{"ConsoleOutput", "os-console-output", "Console log output support, with tailing ability."},
	{"Consoles", "os-consoles", "Interactive Console support."},
	{"CreateBackup", "os-create-backup", "Create a backup of a server."},
	{"DeferredDelete", "os-deferred-delete", "Instance deferred delete."},
	{"DiskConfig", "OS-DCF", "Disk Management Extension."},
	{"ExtendedAvailabilityZone", "OS-EXT-AZ", "Extended Availability Zone support."},
	{"ExtendedIps", "OS-EXT-IPS", "Adds type parameter to the ip list."},
	{"ExtendedIpsMac", "OS-EXT-IPS-MAC", "Adds mac address parameter to the ip list."},
	{"ExtendedServerAttributes", "OS-EXT-SRV-ATTR", "Extended Server Attributes support."},
	{"ExtendedStatus", "OS-EXT-STS", "Extended Status support."},
	{"ExtendedVolumes", "os-extended-volumes", "Extended Volumes support."},
	{"ExtraSpecs", "os-flavor-extra-specs", "Flavors extra specs support."},
	{"FlavorAccess", "os-flavor-access", "Flavor access support."},
	{"FlavorExtraData", "OS-FLV-EXT-DATA", "Provide additional data for flavors."},
	{"FlavorManage", "os-flavor-manage", "Flavor create/delete API support."},
	{"FlavorRxtx", "os-flavor-rxtx", "Support to show the rxtx status of a flavor."},
	{"Flavors", "flavors", "Flavors Extension."},
	{"Hosts", "os-hosts", "Admin-only host administration."},
	{"Hypervisors", "os-hypervisors", "Admin-only hypervisor administration."},
	{"Images", "images", "Image support."},
	{"InstanceActions", "os-instance-actions", "View a log of actions and events taken on an instance."},
	{"InstanceUsageAuditLog", "os-instance-usage-audit-log", "Admin-only Task Log Monitoring."},
	{"Keypairs", "os-keypairs", "Keypair Support."},
	{"Limits", "limits", "Limits support."},
	{"LockServer", "os-lock-server", "Enable lock/unlock server actions."},
	{"Migrations", "os-migrations", "Provide data on migrations."},
	{"MultipleCreate", "os-multiple-create", "Allow multiple create in the Create Server v2.1 API."},
	{"PauseServer", "os-pause-server", "Enable pause/unpause server actions."},
	{"QuotaClasses", "os-quota-class-sets", "Quota classes management support."},
	{"Quotas", "os-quota-sets", "Quotas management support."},
	{"RemoteConsoles", "os-remote-consoles", "Interactive Console support."},
	{"SchedulerHints", "OS-SCH-HNT", "Pass arbitrary key/value pairs to the scheduler."},
	{"SecurityGroups", "os-security-groups", "Security group support."},
	{"ServerDiagnostics", "os-server-diagnostics", "Allow Admins to view server diagnostics through server action."},
	{"ServerExternalEvents", "os-server-external-events", "Server External Event Triggers."},
	{"ServerGroups", "os-server-groups", "Server group support."},
	{"ServerMetadata", "server-metadata", "Server metadata Support."},
	{"ServerPassword", "os-server-password", "Server password support."},
	{"ServerUsage", "OS-SRV-USG", "Adds launched_at and terminated_at on Servers."},
	{"Servers", "servers", "Servers."},
	{"Services", "os-services", "Services support."},
	{"Shelve", "os-shelve", "Instance shelve mode."},
	{"SimpleTenantUsage", "os-simple-tenant-usage", "Simple tenant usage extension."},
	{"SuspendServer", "os-suspend-server", "Enable suspend/resume server actions."},
	{"TenantNetworks", "os-tenant-networks", "Tenant-based Network Management Extension."},
	{"Versions", "versions", "API Version information."},
	{"VirtualInterfaces", "os-virtual-interfaces", "Virtual interface support."},
	{"Volumes", "os-volumes", "Volumes support."},
}

func extensionView(e [3]string) map[string]any {
	return map[string]any{"name": e[0], "alias": e[1], "description": e[2], "links": []any{},
		"namespace": "http://docs.openstack.org/compute/ext/fake_xml", "updated": "2014-12-03T00:00:00Z"}
}

func (s *Service) listExtensions(w http.ResponseWriter, r *http.Request) error {
	out := make([]map[string]any, 0, len(extensionList))
	for _, e := range extensionList {
		out = append(out, extensionView(e))
	}
	sort.Slice(out, func(i, j int) bool { return out[i]["alias"].(string) < out[j]["alias"].(string) })
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"extensions": out})
}

func (s *Service) getExtension(w http.ResponseWriter, r *http.Request) error {
	alias := r.PathValue("alias")
	for _, e := range extensionList {
		if e[1] == alias {
			return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"extension": extensionView(e)})
		}
	}
	return fault.NotFoundf("Extension %s could not be found.", alias)
}
