package image

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
)

// Wire shapes of the metadefs API. Glance renders them with WSME, which
// sorts attributes by name and leaves out those that are unset, so the
// fields here are in alphabetical order and optional ones omit empty.

const (
	nsSchemaLink  = "/v2/schemas/metadefs/namespace"
	objSchemaLink = "/v2/schemas/metadefs/object"
)

type nsWire struct {
	CreatedAt   string                     `json:"created_at,omitempty"`
	Description *string                    `json:"description,omitempty"`
	DisplayName *string                    `json:"display_name,omitempty"`
	Namespace   string                     `json:"namespace"`
	Objects     []objWire                  `json:"objects,omitempty"`
	Owner       string                     `json:"owner,omitempty"`
	Properties  map[string]json.RawMessage `json:"properties,omitempty"`
	Protected   bool                       `json:"protected"`
	RTs         []rtWire                   `json:"resource_type_associations,omitempty"`
	Schema      string                     `json:"schema"`
	Self        string                     `json:"self"`
	Tags        []tagWire                  `json:"tags,omitempty"`
	UpdatedAt   string                     `json:"updated_at,omitempty"`
	Visibility  string                     `json:"visibility"`
}

type objWire struct {
	CreatedAt   string                     `json:"created_at,omitempty"`
	Description *string                    `json:"description,omitempty"`
	Name        string                     `json:"name"`
	Properties  map[string]json.RawMessage `json:"properties"`
	Required    []string                   `json:"required"`
	Schema      string                     `json:"schema,omitempty"`
	Self        string                     `json:"self,omitempty"`
	UpdatedAt   string                     `json:"updated_at,omitempty"`
}

type rtWire struct {
	CreatedAt        string  `json:"created_at,omitempty"`
	Name             string  `json:"name"`
	Prefix           *string `json:"prefix,omitempty"`
	PropertiesTarget *string `json:"properties_target,omitempty"`
	UpdatedAt        string  `json:"updated_at,omitempty"`
}

type tagWire struct {
	CreatedAt string `json:"created_at,omitempty"`
	Name      string `json:"name"`
	UpdatedAt string `json:"updated_at,omitempty"`
}

// isoTime is oslo's isotime: seconds, "Z".
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func isoTimePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return isoTime(*t)
}

func nsHref(name string) string { return "/v2/metadefs/namespaces/" + name }

func nsToWire(ns *Namespace) nsWire {
	return nsWire{CreatedAt: isoTime(ns.CreatedAt), Description: ns.Description, DisplayName: ns.DisplayName,
		Namespace: ns.Name, Owner: ns.Owner, Protected: ns.Protected, Schema: nsSchemaLink, Self: nsHref(ns.Name),
		UpdatedAt: isoTimePtr(ns.UpdatedAt), Visibility: ns.Visibility}
}

func objToWire(ns string, o *MetadefObject) objWire {
	props := o.Properties
	if props == nil {
		props = map[string]json.RawMessage{}
	}
	req := o.Required
	if req == nil {
		req = []string{}
	}
	return objWire{CreatedAt: isoTime(o.CreatedAt), Description: o.Description, Name: o.Name, Properties: props,
		Required: req, Schema: objSchemaLink, Self: nsHref(ns) + "/objects/" + o.Name, UpdatedAt: isoTimePtr(o.UpdatedAt)}
}

func rtToWire(a *RTAssociation) rtWire {
	return rtWire{CreatedAt: isoTime(a.CreatedAt), Name: a.Name, Prefix: a.Prefix, PropertiesTarget: a.PropertiesTarget,
		UpdatedAt: isoTimePtr(a.UpdatedAt)}
}

func tagToWire(t *MetadefTag) tagWire {
	return tagWire{CreatedAt: isoTime(t.CreatedAt), Name: t.Name, UpdatedAt: isoTimePtr(t.UpdatedAt)}
}

// propertyWire is a property definition as GET, POST and PUT of one
// property render it: its schema with its name.
func propertyWire(p *MetadefProperty) map[string]json.RawMessage {
	m := map[string]json.RawMessage{}
	json.Unmarshal(p.Schema, &m)
	name, _ := json.Marshal(p.Name)
	m["name"] = name
	return m
}

// The schemas request bodies are validated against: Glance's documents
// (metadef_schemas.json) decoded in order, plus the two Glance builds
// for its own use and does not serve (a property inside an object, which
// needs no name, and the body of a bulk tag create).
var bodySchemas = sync.OnceValue(func() map[string]*jobject {
	out := map[string]*jobject{}
	for _, name := range []string{"namespace", "object", "property", "tag", "resource_type"} {
		v, err := decodeOrdered(metadefSchemas[name])
		if err != nil {
			panic(err)
		}
		out[name] = v.(*jobject)
	}
	prop, _ := decodeOrdered(metadefSchemas["property"])
	p := prop.(*jobject)
	p.vals["required"] = []any{"type", "title"}
	out["object property"] = p
	tags, err := decodeOrdered([]byte(`{"name": "tags", "properties": {"tags": {"type": "array", "items": {"type": "object",
		"properties": {"name": {"type": "string"}}, "required": ["name"], "additionalProperties": false}}},
		"additionalProperties": false}`))
	if err != nil {
		panic(err)
	}
	out["tags"] = tags.(*jobject)
	return out
})

// readOnly is each resource's _disallowed_properties, in Glance's order.
var metadefReadOnly = map[string][]string{
	"namespace": {"self", "schema", "created_at", "updated_at"},
	"object":    {"self", "schema", "created_at", "updated_at"},
}

// decodeBody reads a metadef request body, refuses read-only attributes
// (403) and validates it against the named schema (400), as Glance's
// deserializers do before the controller runs.
func decodeBody(raw []byte, schema string) (*jobject, error) {
	if len(raw) == 0 {
		return nil, fault.Invalidf("Body expected in request.")
	}
	v, err := decodeOrdered(raw)
	if err != nil {
		return nil, fault.Invalidf("Malformed JSON in request body.").WithCause(err)
	}
	o, ok := v.(*jobject)
	if !ok {
		return nil, fault.Invalidf("Body expected in request.")
	}
	ro, ok := metadefReadOnly[schema]
	if !ok {
		ro = []string{"created_at", "updated_at"}
	}
	for _, k := range ro {
		if _, has := o.get(k); has {
			return nil, fault.Forbiddenf("Attribute '%s' is read-only.", k)
		}
	}
	sc := bodySchemas()[schema]
	if msg := validateSchema(sc, o); msg != "" {
		name, _ := sc.vals["name"].(string)
		return nil, schemaErr(name, msg)
	}
	return o, nil
}

func strField(o *jobject, k string) *string {
	if s, ok := o.vals[k].(string); ok {
		return &s
	}
	return nil
}

func strList(v any) []string {
	a, _ := v.([]any)
	out := []string{}
	for _, x := range a {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// objectFrom reads an object definition (validated) into o.
func objectFrom(b *jobject) (MetadefObject, error) {
	o := MetadefObject{Description: strField(b, "description"), Required: strList(b.vals["required"]),
		Properties: map[string]json.RawMessage{}}
	name := strField(b, "name")
	if name == nil {
		return o, schemaErr("object", "'name' is a required property")
	}
	o.Name = *name
	if props, ok := b.vals["properties"].(*jobject); ok {
		for _, k := range props.keys {
			if p, ok := props.vals[k].(*jobject); ok {
				o.Properties[k] = propertyType(p)
			}
		}
	}
	return o, nil
}

// namespaceFrom reads a validated namespace body.
func namespaceFrom(b *jobject) (NamespaceFields, error) {
	f := NamespaceFields{DisplayName: strField(b, "display_name"), Description: strField(b, "description"),
		Visibility: strField(b, "visibility"), Owner: strField(b, "owner")}
	if n := strField(b, "namespace"); n != nil {
		f.Name = *n
	}
	if v, ok := b.vals["protected"].(bool); ok {
		f.Protected = &v
	}
	for _, x := range listOf(b, "resource_type_associations") {
		name := strField(x, "name")
		if name == nil {
			return f, schemaErr("namespace", "'name' is a required property")
		}
		f.RTs = append(f.RTs, RTAssociation{Name: *name, Prefix: strField(x, "prefix"), PropertiesTarget: strField(x, "properties_target")})
	}
	for _, x := range listOf(b, "objects") {
		o, err := objectFrom(x)
		if err != nil {
			return f, err
		}
		f.Objects = append(f.Objects, o)
	}
	if props, ok := b.vals["properties"].(*jobject); ok {
		for _, k := range props.keys {
			if p, ok := props.vals[k].(*jobject); ok {
				f.Properties = append(f.Properties, MetadefProperty{Name: k, Schema: propertyType(p)})
			}
		}
	}
	for _, x := range listOf(b, "tags") {
		name := strField(x, "name")
		if name == nil {
			return f, schemaErr("namespace", "'name' is a required property")
		}
		f.Tags = append(f.Tags, *name)
	}
	return f, nil
}

func listOf(b *jobject, k string) []*jobject {
	a, _ := b.vals[k].([]any)
	var out []*jobject
	for _, x := range a {
		if o, ok := x.(*jobject); ok {
			out = append(out, o)
		}
	}
	return out
}
