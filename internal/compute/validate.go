package compute

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// Nova validates request bodies with JSON schemas and words failures as
// its validator does: "Invalid input for field/attribute <name>. Value:
// <python repr>. <jsonschema message>", or the bare message at the top.
// These helpers check decoded bodies (map[string]any with json.Number)
// and produce the same words.

// schemaErr is a validation failure at field path (its last key) whose
// value is value; path "" is the body itself.
func schemaErr(path string, value any, msg string) *fault.Error {
	if path == "" {
		return fault.Invalidf("%s", msg)
	}
	return fault.Invalidf("Invalid input for field/attribute %s. Value: %s. %s", path, pyRepr(value), msg)
}

// queryErr is a failure of a query parameter.
func queryErr(name, value, msg string) *fault.Error {
	return fault.Invalidf("Invalid input for query parameters %s. Value: %s. %s", name, value, msg)
}

// decodeBody decodes a JSON request body into a generic value.
func decodeBody(r *http.Request) (any, error) {
	var v any
	if err := httpapi.DecodeJSON(r, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// decodeObject decodes a request body that must be a JSON object.
func decodeObject(r *http.Request) (map[string]any, error) {
	v, err := decodeBody(r)
	if err != nil {
		return nil, err
	}
	return object("", v)
}

// body decodes a request body that must be an object holding key (an
// object too), allowing no other top-level keys except extra.
func body(r *http.Request, key string, extra ...string) (map[string]any, map[string]any, error) {
	v, err := decodeBody(r)
	if err != nil {
		return nil, nil, err
	}
	top, err := object("", v)
	if err != nil {
		return nil, nil, err
	}
	if err := required("", top, key); err != nil {
		return nil, nil, err
	}
	if err := only("", top, append([]string{key}, extra...)...); err != nil {
		return nil, nil, err
	}
	inner, err := object(key, top[key])
	return top, inner, err
}

func object(path string, v any) (map[string]any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, schemaErr(path, v, pyRepr(v)+" is not of type 'object'")
	}
	return m, nil
}

// required checks that m (at path) holds every key.
func required(path string, m map[string]any, keys ...string) error {
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			return schemaErr(path, m, fmt.Sprintf("'%s' is a required property", k))
		}
	}
	return nil
}

// only checks that m (at path) holds no key but allowed.
func only(path string, m map[string]any, allowed ...string) error {
	var extra []string
	for k := range m {
		ok := false
		for _, a := range allowed {
			ok = ok || a == k
		}
		if !ok {
			extra = append(extra, "'"+k+"'")
		}
	}
	if len(extra) == 0 {
		return nil
	}
	sort.Strings(extra)
	verb := "was"
	if len(extra) > 1 {
		verb = "were"
	}
	return schemaErr(path, m, fmt.Sprintf("Additional properties are not allowed (%s %s unexpected)", strings.Join(extra, ", "), verb))
}

// str reads an optional string field; ok is false when absent.
func str(m map[string]any, key string) (s string, ok bool, err error) {
	v, present := m[key]
	if !present {
		return "", false, nil
	}
	s, isStr := v.(string)
	if !isStr {
		return "", true, schemaErr(key, v, pyRepr(v)+" is not of type 'string'")
	}
	return s, true, nil
}

// length checks a string's length in characters.
func length(key, s string, minLen, maxLen int) error {
	n := len([]rune(s))
	if n < minLen {
		return schemaErr(key, s, pyRepr(s)+" is too short")
	}
	if maxLen > 0 && n > maxLen {
		return schemaErr(key, s, pyRepr(s)+" is too long")
	}
	return nil
}

// name checks Nova's 'name' format: 1-255 printable characters, not
// starting or ending with whitespace.
func name(key, s string) error {
	if err := length(key, s, 1, 255); err != nil {
		return err
	}
	for _, c := range s {
		if !unicode.IsPrint(c) && c != ' ' {
			return fault.Invalidf("An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.")
		}
	}
	if strings.TrimSpace(s) != s {
		return fault.Invalidf("An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.")
	}
	return nil
}

// intField reads an optional integer given as a number or a digit string
// (Nova's positive_integer / non_negative_integer); def when absent.
func intField(m map[string]any, key string, minimum, def int64) (int64, error) {
	v, ok := m[key]
	if !ok {
		return def, nil
	}
	var n int64
	var err error
	switch t := v.(type) {
	case json.Number:
		n, err = t.Int64()
		if err != nil {
			return 0, schemaErr(key, v, pyRepr(v)+" is not of type 'integer', 'string'")
		}
	case string:
		if t == "" {
			return 0, schemaErr(key, v, pyRepr(v)+" is too short")
		}
		n, err = strconv.ParseInt(t, 10, 64)
		if err != nil {
			return 0, schemaErr(key, v, fmt.Sprintf("%s does not match '^[0-9]*$'", pyRepr(v)))
		}
	default:
		return 0, schemaErr(key, v, pyRepr(v)+" is not of type 'integer', 'string'")
	}
	if n < minimum {
		return 0, schemaErr(key, v, fmt.Sprintf("%s is less than the minimum of %d", pyRepr(v), minimum))
	}
	return n, nil
}

// boolValue parses Nova's parameter_types.boolean (a JSON boolean or one
// of the strings bool_from_string knows).
func boolValue(key string, v any) (bool, error) {
	switch t := v.(type) {
	case bool:
		return t, nil
	case string:
		switch t {
		case "True", "TRUE", "true", "1", "ON", "On", "on", "YES", "Yes", "yes":
			return true, nil
		case "False", "FALSE", "false", "0", "OFF", "Off", "off", "NO", "No", "no":
			return false, nil
		}
	}
	return false, schemaErr(key, v, fmt.Sprintf("%s is not one of [True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no']", pyRepr(v)))
}

// strictBool is oslo's bool_from_string(strict=True) for query values.
func strictBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "t", "true", "on", "y", "yes":
		return true, true
	case "0", "f", "false", "off", "n", "no":
		return false, true
	}
	return false, false
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$`)

// isUUID is oslo's is_uuid_like.
func isUUID(s string) bool { return uuidRE.MatchString(s) }

// pyRepr renders a decoded JSON value as Python's repr would, which is how
// Nova's messages show values.
func pyRepr(v any) string {
	switch t := v.(type) {
	case nil:
		return "None"
	case bool:
		if t {
			return "True"
		}
		return "False"
	case json.Number:
		return t.String()
	case float64:
		return strconv.FormatFloat(t, 'g', -1, 64)
	case string:
		if strings.Contains(t, "'") && !strings.Contains(t, `"`) {
			return `"` + t + `"`
		}
		return "'" + strings.ReplaceAll(strings.ReplaceAll(t, `\`, `\\`), "'", `\'`) + "'"
	case []any:
		parts := make([]string, len(t))
		for i, e := range t {
			parts[i] = pyRepr(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = pyRepr(k) + ": " + pyRepr(t[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}
