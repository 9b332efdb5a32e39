package volume

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// object is a JSON object of a request body, with the path of its key for
// Cinder's jsonschema messages.
type object struct {
	path string
	m    map[string]json.RawMessage
}

// decodeBody reads {"key": {...}} (jsonschema: key required, an object).
func decodeBody(r *http.Request, key string) (object, error) {
	var top map[string]json.RawMessage
	if err := httpapi.DecodeJSON(r, &top); err != nil {
		return object{}, err
	}
	raw, ok := top[key]
	if !ok {
		return object{}, fault.Invalidf("'%s' is a required property", key)
	}
	return toObject(key, raw)
}

func toObject(path string, raw json.RawMessage) (object, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return object{}, validation(path, string(raw), string(raw)+" is not of type 'object'")
	}
	return object{path: path, m: m}, nil
}

func (o object) has(k string) bool { _, ok := o.m[k]; return ok }

func isNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }

// only refuses keys outside allowed (additionalProperties: False).
func (o object) only(allowed ...string) error {
	for k := range o.m {
		found := false
		for _, a := range allowed {
			if a == k {
				found = true
			}
		}
		if !found {
			return validation(o.path, o.raw(), "Additional properties are not allowed ('"+k+"' was unexpected)")
		}
	}
	return nil
}

func (o object) raw() string {
	b, _ := json.Marshal(o.m)
	return string(b)
}

// str reads a string or null field; present reports the key was there.
func (o object) str(k string) (s *string, present bool, err error) {
	raw, ok := o.m[k]
	if !ok || isNull(raw) {
		return nil, ok, nil
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, true, validation(o.path+"/"+k, string(raw), string(raw)+" is not of type 'string', 'null'")
	}
	return &v, true, nil
}

// text reads a name or description: trimmed, at most 255 characters.
func (o object) text(keys ...string) (*string, error) {
	for _, k := range keys {
		s, present, err := o.str(k)
		if err != nil || !present {
			if err != nil {
				return nil, err
			}
			continue
		}
		if s != nil {
			t := strings.TrimSpace(*s)
			if n := utf8.RuneCountInString(t); n > 255 {
				name := strings.TrimPrefix(k, "display_")
				return nil, invalidInput("%s has %d characters, more than 255.", name, n)
			}
			s = &t
		}
		return s, nil
	}
	return nil, nil
}

// metadata reads a {string: string} object (or null).
func (o object) metadata(k string) (map[string]string, error) {
	raw, ok := o.m[k]
	if !ok || isNull(raw) {
		return nil, nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, validation(o.path+"/"+k, string(raw), string(raw)+" is not of type 'object'")
	}
	out := make(map[string]string, len(m))
	for key, v := range m {
		s, ok := v.(string)
		if !ok {
			return nil, validation(o.path+"/"+k+"/"+key, v, jsonRepr(v)+" is not of type 'string'")
		}
		if !specKeyRe.MatchString(key) {
			return nil, validation(o.path+"/"+k, string(raw), "Additional properties are not allowed ('"+key+"' was unexpected)")
		}
		if len(s) > 255 {
			return nil, validation(o.path+"/"+k+"/"+key, s, "'"+s+"' is too long")
		}
		out[key] = s
	}
	return out, nil
}

func jsonRepr(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// boolean reads Cinder's parameter_types.boolean: true/false or one of
// oslo's boolean strings.
func (o object) boolean(k string) (val, present bool, err error) {
	raw, ok := o.m[k]
	if !ok || isNull(raw) {
		return false, false, nil
	}
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return b, true, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if b, ok := parseBool(s); ok {
			return b, true, nil
		}
	}
	return false, true, validation(o.path+"/"+k, string(raw), string(raw)+" is not one of [True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', 'y', 't', False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no', 'n', 'f']")
}

// size reads a size in GiB: an integer or a string of digits, at least 1
// (parameter_types.volume_size); present is false for absent or null.
func (o object) size(k string) (n int64, present bool, err error) {
	raw, ok := o.m[k]
	if !ok || isNull(raw) {
		return 0, false, nil
	}
	path := o.path + "/" + k
	var s string
	if json.Unmarshal(raw, &s) == nil {
		for _, c := range s {
			if c < '0' || c > '9' {
				return 0, true, validation(path, s, "'"+s+"' does not match '^[0-9]+$'")
			}
		}
		if s == "" {
			return 0, true, validation(path, s, "'' does not match '^[0-9]+$'")
		}
	} else {
		var num json.Number
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if d.Decode(&num) != nil || strings.ContainsAny(num.String(), ".eE") {
			return 0, true, validation(path, string(raw), string(raw)+" is not of type 'integer', 'string'")
		}
		s = num.String()
	}
	v, perr := strconv.ParseInt(s, 10, 64)
	if perr != nil || v > 2147483647 {
		return 0, true, validation(path, s, s+" is greater than the maximum of 2147483647")
	}
	if v < 1 {
		return 0, true, validation(path, s, s+" is less than the minimum of 1")
	}
	return v, true, nil
}

// decodeBodyRaw reads a JSON object body.
func decodeBodyRaw(r *http.Request) (map[string]json.RawMessage, error) {
	var top map[string]json.RawMessage
	if err := httpapi.DecodeJSON(r, &top); err != nil {
		return nil, err
	}
	if top == nil {
		return nil, fault.Invalidf("Malformed request body")
	}
	return top, nil
}
