package network

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/stratus-iaas/stratus/internal/fault"
)

// Neutron's field sizes (neutron_lib.db.constants).
const (
	nameSize        = 255
	descriptionSize = 255
	projectIDSize   = 255
	deviceIDSize    = 255
	deviceOwnerSize = 255
)

// attr is how an attribute of a resource may be written on the wire.
type attr struct {
	post, put, required bool
}

// attrMap is a resource's writable (and read-only) attributes, as in
// Neutron's RESOURCE_ATTRIBUTE_MAP.
type attrMap map[string]attr

// item is one resource object of a request body.
type item map[string]json.RawMessage

// readBody reads a request body: "" when empty.
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, err
	}
	if err != nil {
		return nil, badRequest("Body contains invalid data").WithCause(err)
	}
	return bytes.TrimSpace(b), nil
}

// decodeItems parses {"<resource>": {...}}, or on a create that allows it
// the bulk form {"<resource>s": [{...}, ...]}, with Neutron's messages.
func decodeItems(r *http.Request, resource string, allowBulk bool) (items []item, bulk bool, err error) {
	b, err := readBody(r)
	if err != nil {
		return nil, false, err
	}
	if len(b) == 0 {
		return nil, false, badRequest("Resource body required")
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(b, &body); err != nil || body == nil {
		return nil, false, badRequest("Body contains invalid data")
	}
	if raw, ok := body[resource+"s"]; ok {
		if !allowBulk {
			return nil, false, badRequest("Bulk operation not supported")
		}
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) != nil {
			return nil, false, badRequest("Body contains invalid data")
		}
		if len(list) == 0 {
			return nil, false, badRequest("Resources required")
		}
		out := make([]item, len(list))
		for i, x := range list {
			var it map[string]json.RawMessage
			if json.Unmarshal(x, &it) != nil || it == nil {
				return nil, false, badRequest("Object '%s' contains invalid data", resource)
			}
			if inner, ok := it[resource]; ok && len(it) == 1 {
				it = nil
				if json.Unmarshal(inner, &it) != nil || it == nil {
					return nil, false, badRequest("Object '%s' contains invalid data", resource)
				}
			}
			out[i] = it
		}
		return out, true, nil
	}
	raw, ok := body[resource]
	if !ok || string(raw) == "null" {
		return nil, false, badRequest("Unable to find '%s' in request body", resource)
	}
	var it map[string]json.RawMessage
	if json.Unmarshal(raw, &it) != nil || it == nil {
		return nil, false, badRequest("Object '%s' contains invalid data", resource)
	}
	return []item{it}, false, nil
}

// check applies Neutron's prepare_request_body rules: project_id and
// tenant_id agree, no unknown attribute, on a create only POST-able ones
// and every required one, on an update only PUT-able ones.
func (a attrMap) check(it item, create bool) error {
	if t, ok := it["tenant_id"]; ok {
		if p, ok := it["project_id"]; ok && !bytes.Equal(t, p) {
			return badRequest("'project_id' and 'tenant_id' do not match")
		}
	}
	var unknown []string
	for k := range it {
		if _, ok := a[k]; !ok && k != "tenant_id" && k != "project_id" {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return badRequest("Unrecognized attribute(s) '%s'", strings.Join(unknown, ", "))
	}
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		spec := a[k]
		_, present := it[k]
		switch {
		case create && present && !spec.post:
			return badRequest("Attribute '%s' not allowed in POST", k)
		case create && !present && spec.required:
			return badRequest("Failed to parse request. Required attribute '%s' not specified", k)
		case !create && present && !spec.put:
			return badRequest("Cannot update read-only attribute %s", k)
		}
	}
	if !create {
		for _, k := range []string{"tenant_id", "project_id"} {
			if _, ok := it[k]; ok {
				return badRequest("Cannot update read-only attribute %s", k)
			}
		}
	}
	return nil
}

// pyStr is how Python's str() prints a JSON value in Neutron's messages.
func pyStr(raw json.RawMessage) string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	return pyValue(v)
}

func pyValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case string:
		return x
	case float64:
		if x == float64(int64(x)) {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			if s, ok := e.(string); ok {
				parts[i] = "'" + s + "'"
			} else {
				parts[i] = pyValue(e)
			}
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			val := pyValue(x[k])
			if s, ok := x[k].(string); ok {
				val = "'" + s + "'"
			}
			parts[i] = "'" + k + "': " + val
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return ""
}

func (it item) has(k string) bool { _, ok := it[k]; return ok }

func (it item) isNull(k string) bool { return string(it[k]) == "null" }

// str reads a string attribute (validate_string with max_len).
func (it item) str(k string, max int) (*string, error) {
	raw, ok := it[k]
	if !ok {
		return nil, nil
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return nil, invalidAttr(k, "'"+pyStr(raw)+"' is not a valid string")
	}
	if max > 0 && len([]rune(s)) > max {
		return nil, invalidAttr(k, "'"+s+"' exceeds maximum length of "+strconv.Itoa(max))
	}
	return &s, nil
}

// strOrNull reads a string that may be null (null is "").
func (it item) strOrNull(k string, max int) (*string, error) {
	if it.isNull(k) {
		return ptrTo(""), nil
	}
	return it.str(k, max)
}

// boolean is convert_to_boolean.
func (it item) boolean(k string) (*bool, error) {
	raw, ok := it[k]
	if !ok {
		return nil, nil
	}
	var v any
	json.Unmarshal(raw, &v)
	switch x := v.(type) {
	case bool:
		return &x, nil
	case string:
		switch strings.ToLower(x) {
		case "true", "1":
			return ptrTo(true), nil
		case "false", "0":
			return ptrTo(false), nil
		}
	case float64:
		if x == 0 || x == 1 {
			return ptrTo(x == 1), nil
		}
	}
	return nil, invalidInput("'%s' cannot be converted to boolean", pyStr(raw))
}

// integer is convert_to_int.
func (it item) integer(k string) (*int, error) {
	raw, ok := it[k]
	if !ok {
		return nil, nil
	}
	var v any
	json.Unmarshal(raw, &v)
	switch x := v.(type) {
	case float64:
		if x == float64(int(x)) {
			n := int(x)
			return &n, nil
		}
	case string:
		if n, err := strconv.Atoi(strings.TrimSpace(x)); err == nil {
			return &n, nil
		}
	}
	return nil, invalidInput("'%s' is not an integer", pyStr(raw))
}

// project reads tenant_id / project_id.
func (it item) project() (*string, error) {
	for _, k := range []string{"project_id", "tenant_id"} {
		if it.has(k) {
			return it.str(k, projectIDSize)
		}
	}
	return nil, nil
}

// ipAddr reads an IP address attribute (validate_ip_address).
func (it item) ipAddr(k string) (netip.Addr, bool, error) {
	raw, ok := it[k]
	if !ok {
		return netip.Addr{}, false, nil
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return netip.Addr{}, true, invalidAttr(k, "'"+pyStr(raw)+"' is not a valid IP address")
	}
	a, msg := canonicalIP(s)
	if msg != "" {
		return netip.Addr{}, true, invalidAttr(k, msg)
	}
	return a, true, nil
}

// uuidList reads a list of UUIDs (validate_uuid_list).
func (it item) uuidList(k string) (*[]string, error) {
	raw, ok := it[k]
	if !ok {
		return nil, nil
	}
	if string(raw) == "null" {
		return &[]string{}, nil
	}
	var list []any
	if json.Unmarshal(raw, &list) != nil {
		return nil, invalidAttr(k, "'"+pyStr(raw)+"' is not a list")
	}
	out := []string{}
	for _, v := range list {
		s, ok := v.(string)
		if !ok || !isUUID(s) {
			return nil, invalidAttr(k, "'"+pyValue(v)+"' is not a valid UUID")
		}
		if containsStr(out, s) {
			return nil, invalidAttr(k, "Duplicate items in the list: '"+s+"'")
		}
		out = append(out, s)
	}
	return &out, nil
}

func isUUID(s string) bool {
	s = strings.ReplaceAll(strings.TrimPrefix(strings.TrimSuffix(s, "}"), "{"), "-", "")
	if len(s) != 32 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}

func ptrTo[T any](v T) *T { return &v }

// notImplemented is the 501 of an attribute or action stratus lacks.
func notImplemented(what string) *fault.Error {
	return neutronErr(fault.NotImplemented, "HTTPNotImplemented", nil, "%s is not implemented in stratus yet.", what)
}
