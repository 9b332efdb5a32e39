package imports

import (
	"bytes"
	"encoding/json"
	"net"
	"regexp"
	"strconv"
	"strings"
)

// importRequest is a validated K5 register-image request. Two parameter
// sets are accepted: seed 002's (conversion, user_name, password,
// domain_name, os_type keywords; id required) and seed 000's (location
// ending .vmdk, optional id, os_type by long name, kms). A request is of
// the older set when it carries any of conversion, user_name, password or
// domain_name, or an os_type keyword of that set (docs/decisions.md).
type importRequest struct {
	Name            string            `json:"name"`
	Location        string            `json:"location"`
	Source          objectRef         `json:"source"`
	ImageID         string            `json:"id"`
	Checksum        string            `json:"checksum,omitempty"` // SHA1, lower-case hex
	MinRAM          int64             `json:"min_ram"`
	MinDisk         int64             `json:"min_disk"`
	Properties      map[string]string `json:"properties"`
	OVFLocation     string            `json:"ovf_location,omitempty"`
	Conversion      bool              `json:"conversion"`
	OSType          string            `json:"os_type"`
	UserName        string            `json:"user_name,omitempty"`
	DomainName      string            `json:"domain_name,omitempty"`
	DiskFormat      string            `json:"disk_format"`
	ContainerFormat string            `json:"container_format"`
	KMS             *kmsSpec          `json:"kms,omitempty"`
	Legacy          bool              `json:"legacy"`

	password string // base64, checked at submission and never stored
}

type kmsSpec struct {
	ServerInfo string `json:"server_info,omitempty"`
	Activate   *bool  `json:"activate,omitempty"`
}

// OS types of seed 002 (keywords) and seed 000 (names).
var (
	legacyOSTypes = []string{"win2008SE", "win2008EE", "win2008R2SE", "win2008R2EE", "win2012SE", "win2012R2SE", "Rhel", "centos", "ubuntu"}
	osTypeNames   = []string{"Windows Server 2008 R2 SE", "Windows Server 2008 R2 EE", "Windows Server 2012 SE",
		"Windows Server 2012 R2 SE", "Windows Server 2016 SE (Japanese version)", "Windows Server 2016 SE (English version)",
		"Red Hat Enterprise Linux 6", "Red Hat Enterprise Linux 7"}
)

func legacyOSType(s string) bool {
	for _, k := range legacyOSTypes {
		if strings.EqualFold(s, k) {
			return true
		}
	}
	return false
}

func knownOSType(s string) bool {
	if legacyOSType(s) {
		return true
	}
	for _, n := range osTypeNames {
		if s == n {
			return true
		}
	}
	return false
}

func windows(osType string) bool { return strings.HasPrefix(strings.ToLower(osType), "win") }

var (
	uuidRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	sha1Re = regexp.MustCompile(`^[0-9a-fA-F]{40}$`)
	fqdnRe = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$`)
)

// body is a decoded JSON object whose members are read one by one, so
// that each parameter's type error gets its own code.
type body map[string]json.RawMessage

func (b body) has(k string) bool {
	v, ok := b[k]
	return ok && !bytes.Equal(bytes.TrimSpace(v), []byte("null"))
}

// str returns member k as a string; ok is false when it is not one.
func (b body) str(k string) (string, bool) {
	var s string
	err := json.Unmarshal(b[k], &s)
	return s, err == nil
}

// nonNegInt reads member k as a whole number ≥ 0 (JSON numbers only).
func (b body) nonNegInt(k string) (int64, bool) {
	raw := bytes.TrimSpace(b[k])
	n, err := strconv.ParseInt(string(raw), 10, 64)
	return n, err == nil && n >= 0 && len(raw) > 0 && raw[0] != '"'
}

func decodeBody(raw []byte) (body, bool) {
	var b body
	if err := json.Unmarshal(raw, &b); err != nil || b == nil {
		return nil, false
	}
	return b, true
}

// parseImportRequest validates a register-image body; errors are K5's
// detailed errors, in the order of their codes.
func parseImportRequest(raw []byte) (*importRequest, error) {
	b, ok := decodeBody(raw)
	if !ok {
		return nil, errImportNotJSON
	}
	req := &importRequest{Properties: map[string]string{}, DiskFormat: "raw", ContainerFormat: "bare", Conversion: true}
	if !b.has("name") {
		return nil, errNoName
	}
	if req.Name, ok = b.str("name"); !ok || req.Name == "" || len(req.Name) > 255 {
		return nil, errBadName
	}
	if !b.has("location") {
		return nil, errNoLocation
	}
	if req.Location, ok = b.str("location"); !ok {
		return nil, errBadLocation
	}
	if req.Source, ok = parseLocation(req.Location, false); !ok {
		return nil, errBadLocation
	}
	osType, _ := b.str("os_type")
	req.Legacy = b.has("conversion") || b.has("user_name") || b.has("password") || b.has("domain_name") || legacyOSType(osType)
	if !req.Legacy && !strings.HasSuffix(strings.ToLower(req.Source.Object), ".vmdk") {
		return nil, errBadLocation
	}
	if err := req.parseIdentity(b); err != nil {
		return nil, err
	}
	return req, req.parseOptional(b)
}

// parseIdentity reads id, conversion, os_type and the older set's
// credentials (40003–40009 and their invalid-value codes).
func (req *importRequest) parseIdentity(b body) error {
	var ok bool
	switch {
	case b.has("id"):
		if req.ImageID, ok = b.str("id"); !ok || !uuidRe.MatchString(req.ImageID) {
			return errBadID
		}
		req.ImageID = strings.ToLower(req.ImageID)
	case req.Legacy:
		return errNoID
	}
	switch {
	case b.has("conversion"):
		if string(bytes.TrimSpace(b["conversion"])) != "true" {
			return errBadConversion
		}
	case req.Legacy:
		return errNoConversion
	}
	if !b.has("os_type") {
		return errNoOSType
	}
	if req.OSType, ok = b.str("os_type"); !ok || !knownOSType(req.OSType) {
		return errBadOSType
	}
	if !req.Legacy {
		return nil
	}
	for _, f := range []struct {
		key  string
		dst  *string
		errs [2]error
	}{
		{"user_name", &req.UserName, [2]error{errNoUserName, errBadCredentials}},
		{"password", &req.password, [2]error{errNoPassword, errBadCredentials}},
		{"domain_name", &req.DomainName, [2]error{errNoDomainName, errBadCredentials}},
	} {
		if !b.has(f.key) {
			return f.errs[0]
		}
		if *f.dst, ok = b.str(f.key); !ok || *f.dst == "" {
			return f.errs[1]
		}
	}
	return nil
}

// parseOptional reads the optional parameters.
func (req *importRequest) parseOptional(b body) error {
	var ok bool
	if b.has("disk_format") {
		if req.DiskFormat, ok = b.str("disk_format"); !ok || req.DiskFormat != "raw" {
			return errBadDiskFormat
		}
	}
	if b.has("container_format") {
		if req.ContainerFormat, ok = b.str("container_format"); !ok || req.ContainerFormat != "bare" {
			return errBadContainerFmt
		}
	}
	if b.has("checksum") {
		if req.Checksum, ok = b.str("checksum"); !ok || !sha1Re.MatchString(req.Checksum) {
			return errBadChecksum
		}
		req.Checksum = strings.ToLower(req.Checksum)
	}
	if b.has("min_ram") {
		if req.MinRAM, ok = b.nonNegInt("min_ram"); !ok || req.MinRAM > 1<<31 {
			return errBadMinRAM
		}
	}
	if b.has("min_disk") {
		if req.MinDisk, ok = b.nonNegInt("min_disk"); !ok || req.MinDisk > 1<<31 {
			return errBadMinDisk
		}
	}
	if b.has("kms") && windows(req.OSType) {
		kms, err := parseKMS(b["kms"])
		if err != nil {
			return err
		}
		req.KMS = kms
	}
	if b.has("ovf_location") {
		loc, ok := b.str("ovf_location")
		if _, valid := parseLocation(loc, false); !ok || !valid {
			return errBadOVFLocation
		}
		req.OVFLocation = loc
	}
	return req.parseProperties(b)
}

// parseKMS reads {"server_info": "FQDN:port", "activate": true}: at least
// one of the two, activate only true.
func parseKMS(raw json.RawMessage) (*kmsSpec, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || len(m) == 0 {
		return nil, errBadKMS
	}
	k := &kmsSpec{}
	for key, v := range m {
		switch key {
		case "server_info":
			if err := json.Unmarshal(v, &k.ServerInfo); err != nil || !validServerInfo(k.ServerInfo) {
				return nil, errBadKMS
			}
		case "activate":
			if string(bytes.TrimSpace(v)) != "true" {
				return nil, errBadKMS
			}
			t := true
			k.Activate = &t
		default:
			return nil, errBadKMS
		}
	}
	return k, nil
}

// validServerInfo accepts "FQDN:port" (the seed prints "FQDN: Port
// number"; a space after the colon is tolerated).
func validServerInfo(s string) bool {
	host, port, err := net.SplitHostPort(strings.Replace(s, ": ", ":", 1))
	if err != nil || host == "" || len(host) > 253 || !fqdnRe.MatchString(host) {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 1 && n <= 65535
}

// parseProperties reads property-<key> members: strings, numbers and
// booleans become the image property <key>.
func (req *importRequest) parseProperties(b body) error {
	for k, v := range b {
		key, ok := strings.CutPrefix(k, "property-")
		if !ok {
			continue
		}
		if key == "" || len(key) > 255 || strings.HasPrefix(key, "os_glance") {
			return errBadProperty(k)
		}
		var val any
		if err := json.Unmarshal(v, &val); err != nil {
			return errBadProperty(k)
		}
		switch x := val.(type) {
		case string:
			req.Properties[key] = x
		case float64, bool:
			req.Properties[key] = strings.TrimSpace(string(v))
		default:
			return errBadProperty(k)
		}
		if len(req.Properties[key]) > 65535 {
			return errBadProperty(k)
		}
	}
	if len(req.Properties) > 120 {
		return errBadProperty("property-*")
	}
	return nil
}
