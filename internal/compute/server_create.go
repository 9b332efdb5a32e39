package compute

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/netip"
	"regexp"
	"strings"

	"github.com/stratus-iaas/stratus/internal/fault"
)

// createRequest is a validated POST /servers body.
type createRequest struct {
	Name              string
	ImageRef          string
	FlavorRef         string
	AdminPass         string
	Metadata          map[string]string
	Networks          []PortRequest
	NetworksMode      string // "" (a list or none given), "auto" or "none" (2.37)
	DiskConfig        string
	AccessIPv4        string
	AccessIPv6        string
	Zone              string
	KeyName           *string
	ConfigDrive       bool
	MinCount          int64
	MaxCount          int64
	ReturnReservation bool
	SecurityGroups    []string
	UserData          *string
	Description       *string
	Tags              []string
	Volumes           []bdmVolume // block device mappings to volumes
	Hints             map[string]any
	Host              string
}

var metadataKeyRE = regexp.MustCompile(`^[a-zA-Z0-9-_:. ]{1,255}$`)

// parseMetadata checks server metadata as Nova's parameter_types.metadata:
// keys of [a-zA-Z0-9-_:. ] (1-255), string values of at most 255.
func parseMetadata(path string, v any) (map[string]string, error) {
	m, err := object(path, v)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(m))
	for k, val := range m {
		if !metadataKeyRE.MatchString(k) {
			return nil, schemaErr(path, m, fmt.Sprintf("Additional properties are not allowed ('%s' was unexpected)", k))
		}
		sv, ok := val.(string)
		if !ok {
			return nil, schemaErr(k, val, pyRepr(val)+" is not of type 'string'")
		}
		if len([]rune(sv)) > 255 {
			return nil, schemaErr(k, val, pyRepr(val)+" is too long")
		}
		out[k] = sv
	}
	return out, nil
}

func createAllowed(r *http.Request) []string {
	a := []string{"name", "imageRef", "flavorRef", "adminPass", "metadata", "networks", "OS-DCF:diskConfig",
		"accessIPv4", "accessIPv6", "availability_zone", "block_device_mapping", "block_device_mapping_v2",
		"config_drive", "key_name", "min_count", "max_count", "return_reservation_id", "security_groups", "user_data",
		"OS-EXT-IPS-MAC:mac_addr"} // the last is K5's (1.2.6.35), accepted and not used
	if !atLeast(r, 57) {
		a = append(a, "personality")
	}
	if atLeast(r, 19) {
		a = append(a, "description")
	}
	if atLeast(r, 52) {
		a = append(a, "tags")
	}
	if atLeast(r, 63) {
		a = append(a, "trusted_image_certificates")
	}
	if atLeast(r, 74) {
		a = append(a, "host", "hypervisor_hostname")
	}
	return a
}

// parseCreate validates a create body as Nova's schema and controller.
func parseCreate(r *http.Request, top, m map[string]any) (*createRequest, error) {
	need := []string{"name", "flavorRef"}
	if atLeast(r, 37) {
		need = append(need, "networks")
	}
	if err := required("server", m, need...); err != nil {
		return nil, err
	}
	if err := only("server", m, createAllowed(r)...); err != nil {
		return nil, err
	}
	c := &createRequest{MinCount: 1}
	var err error
	if c.Name, _, err = str(m, "name"); err != nil {
		return nil, err
	}
	if err := name("name", c.Name); err != nil {
		return nil, err
	}
	if c.ImageRef, _, err = str(m, "imageRef"); err != nil {
		return nil, err
	}
	switch f := m["flavorRef"].(type) {
	case string:
		if f == "" {
			return nil, schemaErr("flavorRef", f, "'' is too short")
		}
		c.FlavorRef = idFromHref(f)
	default:
		if s := pyRepr(f); isNumber(f) {
			c.FlavorRef = s
		} else {
			return nil, schemaErr("flavorRef", f, s+" is not of type 'string', 'integer'")
		}
	}
	if c.AdminPass, _, err = str(m, "adminPass"); err != nil {
		return nil, err
	}
	if v, ok := m["metadata"]; ok {
		if c.Metadata, err = parseMetadata("metadata", v); err != nil {
			return nil, err
		}
	}
	if err := parseNetworks(r, m, c); err != nil {
		return nil, err
	}
	if v, ok, err := str(m, "OS-DCF:diskConfig"); err != nil {
		return nil, err
	} else if ok {
		if v != "AUTO" && v != "MANUAL" {
			return nil, schemaErr("OS-DCF:diskConfig", v, pyRepr(v)+" is not one of ['AUTO', 'MANUAL']")
		}
		c.DiskConfig = v
	}
	for key, dst := range map[string]*string{"accessIPv4": &c.AccessIPv4, "accessIPv6": &c.AccessIPv6} {
		v, ok, err := str(m, key)
		if err != nil {
			return nil, err
		}
		if ok {
			a, perr := netip.ParseAddr(v)
			if perr != nil || (key == "accessIPv4") != a.Is4() {
				return nil, schemaErr(key, v, fmt.Sprintf("%s is not a '%s'", pyRepr(v), map[string]string{"accessIPv4": "ipv4", "accessIPv6": "ipv6"}[key]))
			}
			*dst = a.String() // Nova stores addresses normalized (netaddr)
		}
	}
	if c.Zone, _, err = str(m, "availability_zone"); err != nil {
		return nil, err
	}
	if v, ok, err := str(m, "key_name"); err != nil {
		return nil, err
	} else if ok {
		if err := name("key_name", v); err != nil {
			return nil, err
		}
		c.KeyName = &v
	}
	if v, ok := m["config_drive"]; ok {
		if c.ConfigDrive, err = boolValue("config_drive", v); err != nil {
			return nil, err
		}
	}
	if c.MinCount, err = intField(m, "min_count", 1, 1); err != nil {
		return nil, err
	}
	if c.MaxCount, err = intField(m, "max_count", 1, c.MinCount); err != nil {
		return nil, err
	}
	if c.MinCount > c.MaxCount {
		return nil, fault.Invalidf("min_count must be <= max_count")
	}
	if v, ok := m["return_reservation_id"]; ok {
		if c.ReturnReservation, err = boolValue("return_reservation_id", v); err != nil {
			return nil, err
		}
	}
	if err := parseSecurityGroups(m, c); err != nil {
		return nil, err
	}
	if v, ok, err := str(m, "user_data"); err != nil {
		return nil, err
	} else if ok {
		if len(v) > 65535 {
			return nil, schemaErr("user_data", v, "'...' is too long")
		}
		if _, derr := base64.StdEncoding.DecodeString(v); derr != nil {
			return nil, schemaErr("user_data", v, pyRepr(v)+" is not a 'base64'")
		}
		c.UserData = &v
	}
	if v, ok := m["description"]; ok && v != nil {
		d, isStr := v.(string)
		if !isStr {
			return nil, schemaErr("description", v, pyRepr(v)+" is not of type 'string', 'null'")
		}
		if err := length("description", d, 0, 255); err != nil {
			return nil, err
		}
		c.Description = &d
	}
	if v, ok := m["tags"]; ok {
		if c.Tags, err = parseTags("tags", v); err != nil {
			return nil, err
		}
	}
	if c.Host, _, err = str(m, "host"); err != nil {
		return nil, err
	}
	if err := parseBDMs(m, c); err != nil {
		return nil, err
	}
	if c.ImageRef == "" && c.bootVolume() == nil {
		return nil, fault.Invalidf("Missing imageRef attribute")
	}
	for _, key := range []string{"os:scheduler_hints", "OS-SCH-HNT:scheduler_hints"} {
		if v, ok := top[key]; ok {
			h, err := object(key, v)
			if err != nil {
				return nil, err
			}
			c.Hints = h
			break
		}
	}
	if g, ok := c.Hints["group"]; ok {
		if gs, isStr := g.(string); !isStr || !isUUID(gs) {
			if list, isList := g.([]any); !isList || len(list) != 1 {
				return nil, schemaErr("group", g, pyRepr(g)+" is not valid under any of the given schemas")
			}
		}
	}
	return c, nil
}

func isNumber(v any) bool {
	s := pyRepr(v)
	return s != "" && strings.Trim(s, "0123456789") == ""
}

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

var tagRE = regexp.MustCompile(`^[^,/]*$`)

// parseTags checks server tags (2.26): at most 50, each 1-60 characters
// without "/" or ",".
func parseTags(path string, v any) ([]string, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, schemaErr(path, v, pyRepr(v)+" is not of type 'array'")
	}
	if len(list) > 50 {
		return nil, schemaErr(path, v, pyRepr(v)+" is too long")
	}
	out := []string{}
	seen := map[string]bool{}
	for _, item := range list {
		t, isStr := item.(string)
		if !isStr {
			return nil, schemaErr(path, item, pyRepr(item)+" is not of type 'string'")
		}
		if err := length(path, t, 1, 60); err != nil {
			return nil, err
		}
		if !tagRE.MatchString(t) {
			return nil, schemaErr(path, t, pyRepr(t)+" does not match '^[^,/]*$'")
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out, nil
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
