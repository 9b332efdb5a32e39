package image

import (
	"encoding/json"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// Glance's metadata definitions catalog (metadefs): namespaces of
// property, object and tag definitions, associated with resource types
// (OS::Glance::Image, OS::Nova::Flavor, ...). Reads follow a namespace's
// visibility (public, or private to its owner's project; admins see
// all); every write is admin-only, as Glance's default metadef policy
// ("metadef_admin"); a protected namespace refuses deletes of itself and
// of anything in it.

// Namespace is a metadef namespace.
type Namespace struct {
	ID          string
	Name        string // "namespace" on the wire
	DisplayName *string
	Description *string
	Visibility  string // public, private
	Protected   bool
	Owner       string // a project id, or "admin" for the seeded catalog
	CreatedAt   time.Time
	UpdatedAt   *time.Time // nil until changed (seeded namespaces)
}

// RTAssociation is a namespace's association with a resource type.
type RTAssociation struct {
	Name             string
	Prefix           *string
	PropertiesTarget *string
	CreatedAt        time.Time
	UpdatedAt        *time.Time
}

// ResourceType is a known resource type.
type ResourceType struct {
	Name      string
	CreatedAt time.Time
	UpdatedAt *time.Time
}

// MetadefObject is an object definition: a named group of properties.
type MetadefObject struct {
	ID          string
	Name        string
	Description *string
	Required    []string
	Properties  map[string]json.RawMessage // property definitions (propertyType)
	CreatedAt   time.Time
	UpdatedAt   *time.Time
}

// MetadefProperty is a property definition; Schema is its JSON
// (propertyType keys only).
type MetadefProperty struct {
	ID     string
	Name   string
	Schema json.RawMessage
}

// MetadefTag is a tag definition.
type MetadefTag struct {
	ID        string
	Name      string
	CreatedAt time.Time
	UpdatedAt *time.Time
}

// NamespaceFields are a namespace's settable attributes (create and the
// full replacement of update). Contents are created with the namespace.
type NamespaceFields struct {
	Name        string
	DisplayName *string
	Description *string
	Visibility  *string
	Protected   *bool
	Owner       *string
	RTs         []RTAssociation
	Objects     []MetadefObject
	Properties  []MetadefProperty
	Tags        []string
}

const (
	nsPublic  = "public"
	nsPrivate = "private"
)

// nsVisible is Glance's _is_namespace_visible: admins, public namespaces
// and the owner's project.
func nsVisible(p *policy.Principal, ns *Namespace) bool {
	return p.IsAdmin() || ns.Visibility == nsPublic || (p.ProjectID != "" && ns.Owner == p.ProjectID)
}

// mayWrite is Glance's metadef_admin rule, applied to a namespace the
// caller can see: a refusal names the policy action.
func mayWrite(p *policy.Principal, action string) error {
	if p.IsAdmin() {
		return nil
	}
	return notAuthorized(action)
}

// The messages of Glance's metadef exceptions.
func nsNotFound(name string) error { // the repository's wording (update, delete, contents)
	return fault.NotFoundf("Namespace %s not found", name)
}

func nsMissing(name string) error { // MetadefNamespaceNotFound
	return fault.NotFoundf("Metadata definition namespace=%s was not found.", name)
}

func nsProtected(name string) error {
	return fault.Forbiddenf("Metadata definition namespace %s is protected and cannot be deleted.", name)
}

// propertyTypeKeys are the attributes of Glance's PropertyType model:
// what a property definition keeps of the JSON it was given.
var propertyTypeKeys = map[string]bool{
	"name": true, "type": true, "title": true, "description": true, "operators": true, "default": true,
	"readonly": true, "minimum": true, "maximum": true, "enum": true, "pattern": true, "minLength": true,
	"maxLength": true, "confidential": true, "items": true, "uniqueItems": true, "minItems": true,
	"maxItems": true, "additionalItems": true,
}

// propertyType keeps the PropertyType attributes of a definition (items
// keeps type and enum, as ItemType), dropping what the model has not.
func propertyType(o *jobject) json.RawMessage {
	m := map[string]any{}
	for _, k := range o.keys {
		if !propertyTypeKeys[k] {
			continue
		}
		v := o.vals[k]
		if k == "items" {
			if it, ok := v.(*jobject); ok {
				items := map[string]any{}
				for _, ik := range []string{"type", "enum"} {
					if x, ok := it.vals[ik]; ok {
						items[ik] = plain(x)
					}
				}
				m[k] = items
				continue
			}
		}
		if v == nil {
			continue // WSME leaves unset what is null
		}
		m[k] = plain(v)
	}
	b, _ := json.Marshal(m)
	return b
}

// plain converts an ordered decode into maps and slices for encoding.
func plain(v any) any {
	switch x := v.(type) {
	case *jobject:
		m := make(map[string]any, len(x.keys))
		for _, k := range x.keys {
			m[k] = plain(x.vals[k])
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e)
		}
		return out
	}
	return v
}
