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
