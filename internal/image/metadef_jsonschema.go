package image

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The metadefs API validates request bodies against Glance's own schema
// documents (metadef_schemas.json) the way Glance does, with Python's
// jsonschema (Draft 4): the first error best_match picks becomes the
// detail of "Provided object does not match schema '<name>': <detail>".
// Messages are jsonschema's, with Python's repr of the values. Objects
// keep their key order (an ordered decode), because jsonschema walks the
// schema's keywords in order and reports the first shallowest error.

// jobject is a JSON object with its keys in document order.
type jobject struct {
	keys []string
	vals map[string]any
}

func (o *jobject) get(k string) (any, bool) {
	v, ok := o.vals[k]
	return v, ok
}

// decodeOrdered decodes one JSON value: objects as *jobject, arrays as
// []any, numbers as json.Number, strings, bools and nil.
func decodeOrdered(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	v, err := decodeValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after JSON value")
	}
	return v, nil
}

// maxJSONDepth bounds nesting, so a hostile body cannot recurse deeply.
const maxJSONDepth = 64

func decodeValue(dec *json.Decoder, depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, errors.New("JSON nested too deeply")
	}
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch d := t.(type) {
	case json.Delim:
		switch d {
		case '{':
			o := &jobject{vals: map[string]any{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				if _, dup := o.vals[k]; !dup {
					o.keys = append(o.keys, k)
				}
				o.vals[k] = v // the last duplicate wins, as Python's json
			}
			_, err := dec.Token()
			return o, err
		case '[':
			a := []any{}
			for dec.More() {
				v, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			_, err := dec.Token()
			return a, err
		}
		return nil, fmt.Errorf("unexpected %v", d)
	default:
		return t, nil
	}
}

// schemaError is one jsonschema ValidationError: its message and the
// length of its instance path (best_match prefers shallow errors).
type schemaError struct {
	msg   string
	depth int
}

// validateSchema validates v against schema (root holds its definitions)
// and returns best_match's message, or "" when v is valid.
func validateSchema(root *jobject, v any) string {
	var best *schemaError
	for _, e := range schemaErrors(root, root, v, 0) {
		if best == nil || e.depth < best.depth {
			best = &e
		}
	}
	if best == nil {
		return ""
	}
	return best.msg
}

// schemaErrors is iter_errors: every error of v against s, in the order
// of s's keywords; a $ref replaces the other keywords (Draft 4).
func schemaErrors(root, s *jobject, v any, depth int) []schemaError {
	if ref, ok := s.get("$ref"); ok {
		target := resolveRef(root, ref)
		if target == nil {
			return nil
		}
		return schemaErrors(root, target, v, depth)
	}
	var out []schemaError
	add := func(format string, args ...any) {
		out = append(out, schemaError{fmt.Sprintf(format, args...), depth})
	}
	for _, k := range s.keys {
		sv := s.vals[k]
		switch k {
		case "type":
			if !matchesType(v, sv) {
				add("%s is not of type %s", pyRepr(v), typeList(sv))
			}
		case "enum":
			if opts, ok := sv.([]any); ok && !inEnum(v, opts) {
				add("%s is not one of %s", pyRepr(v), pyRepr(opts))
			}
		case "maxLength", "minLength":
			str, ok := v.(string)
			n, nok := intOf(sv)
			if ok && nok {
				l := int64(utf8.RuneCountInString(str))
				if k == "maxLength" && l > n {
					add("%s is too long", pyRepr(v))
				} else if k == "minLength" && l < n {
					add("%s is too short", pyRepr(v))
				}
			}
		case "maxItems", "minItems":
			a, ok := v.([]any)
			n, nok := intOf(sv)
			if ok && nok {
				if k == "maxItems" && int64(len(a)) > n {
					add("%s is too long", pyRepr(v))
				} else if k == "minItems" && int64(len(a)) < n {
					add("%s is too short", pyRepr(v))
				}
			}
		case "minimum", "maximum":
			x, ok := numberOf(v)
			lim, lok := numberOf(sv)
			if ok && lok {
				if k == "minimum" && x < lim {
					add("%s is less than the minimum of %s", pyRepr(v), pyRepr(sv))
				} else if k == "maximum" && x > lim {
					add("%s is greater than the maximum of %s", pyRepr(v), pyRepr(sv))
				}
			}
		case "uniqueItems":
			if a, ok := v.([]any); ok && sv == true && !unique(a) {
				add("%s has non-unique elements", pyRepr(v))
			}
		case "required":
			o, ok := v.(*jobject)
			names, _ := sv.([]any)
			for _, n := range names {
				if name, _ := n.(string); ok && name != "" {
					if _, has := o.get(name); !has {
						add("%s is a required property", pyRepr(name))
					}
				}
			}
		case "properties":
			o, ok := v.(*jobject)
			props, pok := sv.(*jobject)
			if ok && pok {
				for _, name := range props.keys {
					if iv, has := o.get(name); has {
						if sub, ok := props.vals[name].(*jobject); ok {
							out = append(out, schemaErrors(root, sub, iv, depth+1)...)
						}
					}
				}
			}
		case "additionalProperties":
			o, ok := v.(*jobject)
			if !ok {
				continue
			}
			props, _ := s.vals["properties"].(*jobject)
			var extras []string
			for _, name := range o.keys {
				if props == nil || props.vals[name] == nil {
					extras = append(extras, name)
				}
			}
			switch a := sv.(type) {
			case bool:
				if !a && len(extras) > 0 {
					add("Additional properties are not allowed (%s)", extrasMsg(extras))
				}
			case *jobject:
				for _, name := range extras {
					out = append(out, schemaErrors(root, a, o.vals[name], depth+1)...)
				}
			}
		case "items":
			a, ok := v.([]any)
			sub, sok := sv.(*jobject)
			if ok && sok {
				for _, item := range a {
					out = append(out, schemaErrors(root, sub, item, depth+1)...)
				}
			}
		case "allOf":
			subs, _ := sv.([]any)
			for _, x := range subs {
				if sub, ok := x.(*jobject); ok {
					out = append(out, schemaErrors(root, sub, v, depth)...)
				}
			}
		}
	}
	return out
}

// resolveRef finds "#/definitions/<name>" in root.
func resolveRef(root *jobject, ref any) *jobject {
	r, _ := ref.(string)
	name, ok := strings.CutPrefix(r, "#/definitions/")
	if !ok {
		return nil
	}
	defs, _ := root.vals["definitions"].(*jobject)
	if defs == nil {
		return nil
	}
	t, _ := defs.vals[name].(*jobject)
	return t
}

func matchesType(v, t any) bool {
	switch tt := t.(type) {
	case string:
		return isType(v, tt)
	case []any:
		for _, x := range tt {
			if s, ok := x.(string); ok && isType(v, s) {
				return true
			}
		}
		return false
	}
	return true
}

// isType is Draft 4's type check: a boolean is not a number, and an
// integer is a number without a fraction or exponent in its text.
func isType(v any, t string) bool {
	switch t {
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "null":
		return v == nil
	case "object":
		_, ok := v.(*jobject)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "number":
		_, ok := v.(json.Number)
		return ok
	case "integer":
		n, ok := v.(json.Number)
		return ok && !strings.ContainsAny(n.String(), ".eE")
	}
	return true // unknown types do not constrain
}

func typeList(t any) string {
	switch tt := t.(type) {
	case []any:
		parts := make([]string, len(tt))
		for i, x := range tt {
			parts[i] = pyRepr(x)
		}
		return strings.Join(parts, ", ")
	}
	return pyRepr(t)
}

func inEnum(v any, opts []any) bool {
	for _, o := range opts {
		if jsonEqual(v, o) {
			return true
		}
	}
	return false
}

func unique(a []any) bool {
	for i := range a {
		for j := i + 1; j < len(a); j++ {
			if jsonEqual(a[i], a[j]) {
				return false
			}
		}
	}
	return true
}

// jsonEqual compares decoded values as Python compares them (1 == 1.0).
func jsonEqual(a, b any) bool {
	switch x := a.(type) {
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		fx, ex := x.Float64()
		fy, ey := y.Float64()
		return ex == nil && ey == nil && fx == fy
	case *jobject:
		y, ok := b.(*jobject)
		if !ok || len(x.keys) != len(y.keys) {
			return false
		}
		for _, k := range x.keys {
			yv, has := y.vals[k]
			if !has || !jsonEqual(x.vals[k], yv) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return a == b
}

func intOf(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}

func numberOf(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil && !math.IsInf(f, 0)
}

// extrasMsg is jsonschema's extras_msg: "'a' was unexpected" or
// "'a', 'b' were unexpected".
func extrasMsg(extras []string) string {
	parts := make([]string, len(extras))
	for i, e := range extras {
		parts[i] = pyRepr(e)
	}
	verb := "was"
	if len(extras) > 1 {
		verb = "were"
	}
	return strings.Join(parts, ", ") + " " + verb + " unexpected"
}

// pyRepr is Python's repr() of a decoded JSON value, as jsonschema's
// messages print them.
func pyRepr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case string:
		return pyStr(x)
	case json.Number:
		s := x.String()
		if !strings.ContainsAny(s, ".eE") {
			if i, err := strconv.ParseInt(s, 10, 64); err == nil {
				return strconv.FormatInt(i, 10)
			}
			return s
		}
		f, err := x.Float64()
		if err != nil {
			return s
		}
		r := strconv.FormatFloat(f, 'g', -1, 64)
		if !strings.ContainsAny(r, ".eInN") {
			r += ".0"
		}
		return r
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = pyRepr(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case *jobject:
		parts := make([]string, len(x.keys))
		for i, k := range x.keys {
			parts[i] = pyStr(k) + ": " + pyRepr(x.vals[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}

// pyStr is Python 3's repr of a str: single quotes unless the text holds
// a single quote and no double quote; escapes for the non-printable.
func pyStr(s string) string {
	q := byte('\'')
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == rune(q):
			b.WriteByte('\\')
			b.WriteByte(q)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			fmt.Fprintf(&b, `\x%02x`, r)
		case r == utf8.RuneError || !unicode.IsPrint(r) && r != ' ':
			if r <= 0xffff {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				fmt.Fprintf(&b, `\U%08x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
	return b.String()
}
