package identity

import (
	"encoding/json"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// object is a decoded request entity ({"project": {...}} → the inner map).
// Keystone validates bodies with JSON schema; the messages below follow
// its wording.
type object map[string]any

// decodeEntity reads {"<key>": {...}}.
func decodeEntity(r *http.Request, key string) (object, error) {
	var body map[string]any
	if err := httpapi.DecodeJSON(r, &body); err != nil {
		return nil, err
	}
	inner, ok := body[key].(map[string]any)
	if !ok {
		return nil, fault.Invalidf("'%s' is a required property", key)
	}
	return object(inner), nil
}

func typeError(field string, v any, want string) *fault.Error {
	b, _ := json.Marshal(v)
	return fault.Invalidf("Invalid input for field '%s': %s is not of type '%s'", field, b, want)
}

// str returns a string field; ok is false when absent or null.
func (o object) str(field string) (v string, ok bool, err error) {
	raw, present := o[field]
	if !present || raw == nil {
		return "", false, nil
	}
	s, isStr := raw.(string)
	if !isStr {
		return "", false, typeError(field, raw, "string")
	}
	return s, true, nil
}

// Keystone's schema limits on "name", in characters (JSON schema maxLength
// counts code points): 64 for projects and domains (resource/schema.py),
// 255 for users and roles (parameter_types.name).
const (
	maxProjectName = 64
	maxName        = 255
)

// name returns a non-blank name of at most max characters; required makes
// an absent name an error.
func (o object) name(required bool, max int) (string, bool, error) {
	v, ok, err := o.str("name")
	if err != nil {
		return "", false, err
	}
	if !ok {
		if required {
			return "", false, fault.Invalidf("'name' is a required property")
		}
		return "", false, nil
	}
	if strings.TrimSpace(v) == "" {
		return "", false, fault.Invalidf("Invalid input for field 'name': %q is too short", v)
	}
	if utf8.RuneCountInString(v) > max {
		return "", false, fault.Invalidf("Invalid input for field 'name': %q is too long", v)
	}
	return v, true, nil
}

func (o object) boolean(field string) (v bool, ok bool, err error) {
	raw, present := o[field]
	if !present || raw == nil {
		return false, false, nil
	}
	b, isBool := raw.(bool)
	if !isBool {
		return false, false, typeError(field, raw, "boolean")
	}
	return b, true, nil
}

// queryBool parses ?enabled= as Keystone does: "0" and "false" (any
// case) are false, anything else is true.
func queryBool(v string) bool {
	l := strings.ToLower(v)
	return l != "0" && l != "false"
}

// conflict is the 409 of Keystone's SQL layer for a duplicate name.
func conflict(kind, name, domainID string) *fault.Error {
	if domainID == "" {
		return fault.Conflictf("Conflict occurred attempting to store %s - Duplicate entry found with name %s.", kind, name)
	}
	return fault.Conflictf("Conflict occurred attempting to store %s - Duplicate entry found with name %s at domain ID %s.", kind, name, domainID)
}

// projectConflict is Keystone's own message when creating a project with
// a taken name; domains are projects acting as domains there.
func projectConflict(p *Project) *fault.Error {
	return fault.Conflictf("Conflict occurred attempting to store project - it is not permitted to have two projects "+
		"with either the same name or same id in the same domain: name is %s, project id %s.", p.Name, p.ID)
}

func domainConflict(d *Domain) *fault.Error {
	return fault.Conflictf("Conflict occurred attempting to store project - it is not permitted to have two projects "+
		"acting as domains with the same name: %s.", d.Name)
}

func notFound(kind, id string) *fault.Error {
	return fault.NotFoundf("Could not find %s: %s.", kind, id)
}

func noContent(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// common sets the fields most entities share from o: name (required on
// create, at most max bytes), and description and enabled when the entity
// has them (nil pointers are skipped). Fields absent from o stay as they are.
func (o object) common(create bool, max int, name, description *string, enabled *bool) error {
	v, ok, err := o.name(create, max)
	if err != nil {
		return err
	} else if ok {
		*name = v
	}
	if description != nil {
		if v, ok, err = o.str("description"); err != nil {
			return err
		} else if ok {
			*description = v
		}
	}
	if enabled != nil {
		b, ok, err := o.boolean("enabled")
		if err != nil {
			return err
		} else if ok {
			*enabled = b
		}
	}
	return nil
}

// extra copies into dst the attributes of o that Keystone does not model
// (those not in modeled), as Keystone keeps them; a null removes one.
func (o object) extra(dst map[string]any, modeled map[string]bool) {
	for k, v := range o {
		if modeled[k] {
			continue
		}
		if v == nil {
			delete(dst, k)
			continue
		}
		dst[k] = v
	}
}

// withExtra starts a wire form from an entity's extra attributes; the
// caller then sets the modeled ones, which win.
func withExtra(extra map[string]any) map[string]any {
	m := make(map[string]any, len(extra)+8)
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// roleRefs reads a list of {"id": ...} or {"name": ...} role references.
func (o object) roleRefs(field string) ([]nameRef, error) {
	raw, present := o[field]
	if !present || raw == nil {
		return nil, nil
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, typeError(field, raw, "array")
	}
	var out []nameRef
	for _, v := range list {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, typeError(field, v, "object")
		}
		id, _, err := object(m).str("id")
		if err != nil {
			return nil, err
		}
		name, _, err := object(m).str("name")
		if err != nil {
			return nil, err
		}
		if id == "" && name == "" {
			return nil, validationError("id or name", "role")
		}
		out = append(out, nameRef{ID: id, Name: name})
	}
	return out, nil
}

// asInt reads a JSON integer (decoded as float64 or json.Number).
func asInt(v any) (int64, bool) {
	switch n := v.(type) {
	case float64:
		if n == float64(int64(n)) {
			return int64(n), true
		}
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}
