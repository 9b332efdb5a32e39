package compute

import (
	"net/http"
	"sort"
	"strings"
)

// viewOpts say which parts of Nova's server view to build (views/servers.py
// show): GET shows everything, PUT and rebuild before 2.75 a subset.
type viewOpts struct {
	extendAddress, az, configDrive, keypair, srvUsg, secGroups, extStatus, extVolumes bool
	serverGroups, userData, extAttr                                                   bool
}

// fullView is what GET shows.
func fullView(r *http.Request) viewOpts {
	return viewOpts{true, true, true, true, true, true, true, true, atLeast(r, 71), true, true}
}

// updateView is what PUT and rebuild show: before 2.75 only the common
// attributes, from 2.75 the same as GET.
func updateView(r *http.Request) viewOpts {
	if atLeast(r, 75) {
		v := fullView(r)
		v.serverGroups = atLeast(r, 71)
		return v
	}
	return viewOpts{serverGroups: atLeast(r, 71)}
}

var progressStatuses = map[string]bool{"ACTIVE": true, "BUILD": true, "REBUILD": true, "RESIZE": true, "VERIFY_RESIZE": true, "MIGRATING": true}

// addresses are a server's fixed IPs by network name, as Nova's ips view.
func addresses(sv *Server, ports []Port, extend bool) map[string][]map[string]any {
	out := map[string][]map[string]any{}
	if sv.VMState == vmBuilding {
		return out
	}
	for _, p := range ports {
		label := p.NetworkName
		if label == "" {
			label = p.NetworkID
		}
		list := out[label]
		if list == nil {
			list = []map[string]any{}
		}
		for _, ip := range p.FixedIPs {
			ver := ip.Version
			if ver == 0 {
				ver = 4
				if strings.Contains(ip.IPAddress, ":") {
					ver = 6
				}
			}
			a := map[string]any{"addr": ip.IPAddress, "version": ver}
			if extend {
				a["OS-EXT-IPS:type"], a["OS-EXT-IPS-MAC:mac_addr"] = "fixed", p.MACAddress
			}
			list = append(list, a)
		}
		out[label] = list
	}
	return out
}

// securityGroups are the groups a server's ports are in, by name; a server
// without ports shows the groups it asked for (Nova reads them from its
// ports and shows none without).
func securityGroups(sv *Server, ports []Port) []map[string]string {
	seen := map[string]bool{}
	var names []string
	for _, p := range ports {
		for _, g := range p.SecurityGroups {
			if !seen[g] {
				seen[g] = true
				names = append(names, g)
			}
		}
	}
	if len(ports) == 0 {
		names = sv.SecurityGroups
		if len(names) == 0 {
			names = []string{"default"}
		}
	}
	sort.Strings(names)
	out := make([]map[string]string, len(names))
	for i, n := range names {
		out[i] = map[string]string{"name": n}
	}
	return out
}

// briefView is the index view: id, name, links.
func briefView(r *http.Request, sv *Server) map[string]any {
	return map[string]any{"id": sv.ID, "name": sv.Name, "links": selfLinks(r, "servers", sv.ID)}
}

// serverView is Nova's show view of sv for the request's microversion.
func serverView(r *http.Request, sv *Server, ports []Port, groups []string, o viewOpts) map[string]any {
	p := principal(r)
	admin := p.IsAdmin()
	v := map[string]any{
		"id": sv.ID, "name": sv.Name, "status": sv.Status(), "tenant_id": sv.ProjectID, "user_id": sv.UserID,
		"metadata": sv.Metadata, "hostId": sv.HostID(), "created": isotime(sv.CreatedAt), "updated": isotime(sv.UpdatedAt),
		"accessIPv4": sv.AccessIPv4, "accessIPv6": sv.AccessIPv6, "links": selfLinks(r, "servers", sv.ID),
		"addresses": addresses(sv, ports, o.extendAddress), "OS-DCF:diskConfig": "MANUAL",
	}
	if sv.AutoDiskConfig {
		v["OS-DCF:diskConfig"] = "AUTO"
	}
	if sv.ImageID != "" {
		v["image"] = map[string]any{"id": sv.ImageID, "links": bookmarkLink(r, "images", sv.ImageID)}
	} else {
		v["image"] = ""
	}
	if atLeast(r, 47) {
		v["flavor"] = map[string]any{"vcpus": sv.Flavor.VCPUs, "ram": sv.Flavor.MemoryMB, "disk": sv.Flavor.RootGB,
			"ephemeral": sv.Flavor.EphemeralGB, "swap": sv.Flavor.Swap, "original_name": sv.Flavor.Name, "extra_specs": sv.Flavor.ExtraSpecs}
	} else {
		v["flavor"] = map[string]any{"id": sv.Flavor.ID, "links": bookmarkLink(r, "flavors", sv.Flavor.ID)}
	}
	status := v["status"].(string)
	// As Nova, a fault shows on an ERROR or DELETED server; also on one
	// whose VM died (SHUTOFF, power state CRASHED) until it runs again.
	if (status == "ERROR" || status == "DELETED" || status == "SHUTOFF" && sv.PowerState == powerCrashed) && sv.Fault != nil {
		f := map[string]any{"code": sv.Fault.Code, "created": isotime(sv.Fault.Created), "message": sv.Fault.Message}
		if sv.Fault.Details != "" && (admin || sv.Fault.Code != 500) {
			f["details"] = sv.Fault.Details
		}
		v["fault"] = f
	}
	if progressStatuses[status] {
		v["progress"] = sv.Progress
	}
	if o.az {
		z := ""
		if sv.Zone != nil {
			z = *sv.Zone
		}
		v["OS-EXT-AZ:availability_zone"] = z
	}
	if o.configDrive {
		v["config_drive"] = sv.ConfigDrive
	}
	if o.keypair {
		v["key_name"] = sv.KeyName
	}
	if o.srvUsg {
		v["OS-SRV-USG:launched_at"], v["OS-SRV-USG:terminated_at"] = nil, nil
		if sv.LaunchedAt != nil {
			v["OS-SRV-USG:launched_at"] = naiveTime(*sv.LaunchedAt)
		}
		if sv.TerminatedAt != nil {
			v["OS-SRV-USG:terminated_at"] = naiveTime(*sv.TerminatedAt)
		}
	}
	if o.secGroups {
		// Nova adds the key only when the server has groups.
		if g := securityGroups(sv, ports); len(g) > 0 {
			v["security_groups"] = g
		}
	}
	if admin && o.extAttr {
		v["OS-EXT-SRV-ATTR:host"], v["OS-EXT-SRV-ATTR:hypervisor_hostname"] = sv.Host, sv.Node
		v["OS-EXT-SRV-ATTR:instance_name"] = sv.InstanceName()
		if atLeast(r, 3) {
			v["OS-EXT-SRV-ATTR:hostname"], v["OS-EXT-SRV-ATTR:kernel_id"], v["OS-EXT-SRV-ATTR:ramdisk_id"] = sv.Hostname, "", ""
			v["OS-EXT-SRV-ATTR:launch_index"], v["OS-EXT-SRV-ATTR:reservation_id"] = sv.LaunchIndex, sv.ReservationID
			v["OS-EXT-SRV-ATTR:root_device_name"] = sv.RootDevice
			if o.userData {
				v["OS-EXT-SRV-ATTR:user_data"] = sv.UserData
			}
		}
	}
	if o.extStatus {
		v["OS-EXT-STS:task_state"], v["OS-EXT-STS:vm_state"], v["OS-EXT-STS:power_state"] = sv.TaskState, sv.VMState, sv.PowerState
	}
	if o.extVolumes {
		vols := []map[string]any{}
		for _, a := range sv.Volumes {
			m := map[string]any{"id": a.VolumeID}
			if atLeast(r, 3) {
				m["delete_on_termination"] = a.DeleteOnTermination
			}
			vols = append(vols, m)
		}
		v["os-extended-volumes:volumes_attached"] = vols
	}
	if atLeast(r, 9) {
		v["locked"] = sv.LockedBy != nil
	}
	if atLeast(r, 16) && admin && o.extAttr {
		v["host_status"] = ""
		if sv.Host != nil {
			v["host_status"] = "UP"
		}
	}
	if atLeast(r, 19) {
		v["description"] = sv.Description
	}
	if atLeast(r, 26) {
		v["tags"] = sv.Tags
	}
	if atLeast(r, 63) {
		v["trusted_image_certificates"] = nil
	}
	if o.serverGroups {
		if groups == nil {
			groups = []string{}
		}
		v["server_groups"] = groups
	}
	if atLeast(r, 73) {
		v["locked_reason"] = sv.LockedReason
	}
	if dedicatedHint(jsonText(sv.SchedulerHints)) {
		// K5 1.3: a dedicated instance shows its hint.
		v["OS-SCH-HNT:scheduler_hints"] = map[string]string{"fcx.dedicated": "True"}
	}
	return v
}
