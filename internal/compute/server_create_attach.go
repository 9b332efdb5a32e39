package compute

import (
	"net/http"
	"net/netip"

	"github.com/stratus-iaas/stratus/internal/fault"
)

// What a new server is attached to, read from its create body: networks
// (ports), security groups and block device mappings.

func parseNetworks(r *http.Request, m map[string]any, c *createRequest) error {
	v, ok := m["networks"]
	if !ok {
		return nil
	}
	if s, isStr := v.(string); isStr && atLeast(r, 37) {
		if s != "auto" && s != "none" {
			return schemaErr("networks", v, pyRepr(v)+" is not valid under any of the given schemas")
		}
		c.NetworksMode = s
		return nil
	}
	list, isList := v.([]any)
	if !isList {
		return schemaErr("networks", v, pyRepr(v)+" is not of type 'array'")
	}
	ports := map[string]bool{}
	for _, item := range list {
		n, err := object("networks", item)
		if err != nil {
			return err
		}
		allowed := []string{"fixed_ip", "port", "uuid"}
		if atLeast(r, 42) || (atLeast(r, 32) && !atLeast(r, 37)) {
			allowed = append(allowed, "tag")
		}
		if err := only("networks", n, allowed...); err != nil {
			return err
		}
		var req PortRequest
		if req.FixedIP, _, err = str(n, "fixed_ip"); err != nil {
			return err
		}
		if req.FixedIP != "" {
			if _, perr := netip.ParseAddr(req.FixedIP); perr != nil {
				return schemaErr("fixed_ip", req.FixedIP, pyRepr(req.FixedIP)+" is not a 'ip-address'")
			}
		}
		if pv, ok := n["port"]; ok && pv != nil {
			ps, isStr := pv.(string)
			if !isStr || !isUUID(ps) {
				return schemaErr("port", pv, pyRepr(pv)+" is not a 'uuid'")
			}
			req.PortID = ps
		}
		if req.PortID != "" {
			if ports[req.PortID] {
				return fault.Invalidf("Port ID '%s' was specified twice: you cannot attach a port multiple times.", req.PortID)
			}
			if req.FixedIP != "" {
				return fault.Invalidf("Specified Fixed IP '%s' cannot be used with port '%s': the two cannot be specified together.", req.FixedIP, req.PortID)
			}
			ports[req.PortID] = true
		} else {
			u, present, err := str(n, "uuid")
			if err != nil {
				return err
			}
			if !present {
				return fault.Invalidf("Bad network format: missing 'uuid'")
			}
			if !isUUID(u) {
				return fault.Invalidf("Bad networks format: network uuid is not in proper format (%s)", u)
			}
			req.NetworkID = u
		}
		c.Networks = append(c.Networks, req)
	}
	return nil
}

func parseSecurityGroups(m map[string]any, c *createRequest) error {
	v, ok := m["security_groups"]
	if !ok {
		return nil
	}
	list, isList := v.([]any)
	if !isList {
		return schemaErr("security_groups", v, pyRepr(v)+" is not of type 'array'")
	}
	seen := map[string]bool{}
	for _, item := range list {
		g, err := object("security_groups", item)
		if err != nil {
			return err
		}
		if err := only("security_groups", g, "name"); err != nil {
			return err
		}
		n, _, err := str(g, "name")
		if err != nil {
			return err
		}
		if n != "" && !seen[n] {
			if err := name("name", n); err != nil {
				return err
			}
			seen[n] = true
			c.SecurityGroups = append(c.SecurityGroups, n)
		}
	}
	return nil
}

// noVolumes is the answer to block device mappings to volumes when no
// block storage is configured.
func noVolumes() *fault.Error {
	return fault.NotImplementedf("Block device mappings to volumes need block storage, which is not configured.")
}

// parseBDMs reads block device mappings: an image copied to the local
// root disk (source_type image, destination_type local, boot_index 0), and
// mappings to volumes (destination_type volume, the only kind K5 allows)
// of an existing volume or one made from an image, a snapshot or nothing.
func parseBDMs(m map[string]any, c *createRequest) error {
	legacy, hasLegacy := m["block_device_mapping"]
	v2, hasV2 := m["block_device_mapping_v2"]
	if hasLegacy && hasV2 {
		if l, _ := legacy.([]any); len(l) > 0 {
			if l2, _ := v2.([]any); len(l2) > 0 {
				return fault.Invalidf("Using different block_device_mapping syntaxes is not allowed in the same request.")
			}
		}
	}
	if hasLegacy {
		list, ok := legacy.([]any)
		if !ok {
			return schemaErr("block_device_mapping", legacy, pyRepr(legacy)+" is not of type 'array'")
		}
		for _, item := range list {
			b, err := object("block_device_mapping", item)
			if err != nil {
				return err
			}
			src, id := "volume", ""
			if id, _, err = str(b, "volume_id"); err != nil {
				return err
			}
			if id == "" {
				src = "snapshot"
				if id, _, err = str(b, "snapshot_id"); err != nil {
					return err
				}
			}
			if id == "" {
				return fault.Invalidf("Block Device Mapping is Invalid: Unrecognized legacy format.")
			}
			b["uuid"] = id
			m, err := parseVolumeBDM(b, src)
			if err != nil {
				return err
			}
			if dev := m.Device; dev == "/dev/vda" || dev == "" {
				m.BootIndex = 0 // the legacy mapping of the root device
			}
			c.Volumes = append(c.Volumes, m)
		}
	}
	if !hasV2 {
		return nil
	}
	list, ok := v2.([]any)
	if !ok {
		return schemaErr("block_device_mapping_v2", v2, pyRepr(v2)+" is not of type 'array'")
	}
	for _, item := range list {
		b, err := object("block_device_mapping_v2", item)
		if err != nil {
			return err
		}
		src, _, err := str(b, "source_type")
		if err != nil {
			return err
		}
		dst, _, err := str(b, "destination_type")
		if err != nil {
			return err
		}
		if dst == "volume" || src == "volume" || src == "snapshot" || src == "blank" {
			if dst != "volume" {
				return fault.Invalidf("Block Device Mapping is Invalid: Mapping %s to %s is not supported.", src, dst)
			}
			m, err := parseVolumeBDM(b, src)
			if err != nil {
				return err
			}
			if m.BootIndex == 0 && c.bootVolume() != nil {
				return fault.Invalidf("Block Device Mapping is Invalid: Boot sequence for the instance and image/block device mapping combination is not valid.")
			}
			c.Volumes = append(c.Volumes, m)
			continue
		}
		if src != "image" {
			return fault.NotImplementedf("Only a block device mapping of an image to the local root disk (source_type image, destination_type local, boot_index 0) is supported.")
		}
		id, _, err := str(b, "uuid")
		if err != nil {
			return err
		}
		if id == "" {
			id, _, _ = str(b, "image_id")
		}
		if id == "" {
			return fault.Invalidf("Block Device Mapping is Invalid: Missing device UUID.")
		}
		if c.ImageRef == "" {
			c.ImageRef = id
		}
		if c.ImageRef != id {
			return fault.Invalidf("Block Device Mapping is Invalid: Boot sequence for the instance and image/block device mapping combination is not valid.")
		}
	}
	return nil
}
