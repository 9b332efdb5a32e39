package image

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// Handlers of a namespace's objects, properties and tags.

// readObject decodes an object body: the object schema, and on create
// (as Glance's deserializer) each property against the property schema.
func readObject(r *http.Request, create bool) (MetadefObject, error) {
	b, err := readBody(r, "object")
	if err != nil {
		return MetadefObject{}, err
	}
	if props, ok := b.vals["properties"].(*jobject); ok && create {
		for _, k := range props.keys {
			if msg := validateSchema(bodySchemas()["object property"], props.vals[k]); msg != "" {
				return MetadefObject{}, schemaErr("property", msg)
			}
		}
	}
	return objectFrom(b)
}

func (s *Service) listObjectsHTTP(w http.ResponseWriter, r *http.Request) error {
	ns := r.PathValue("namespace")
	objs, err := s.Objects(r.Context(), principal(r), ns)
	if err != nil {
		return err
	}
	out := make([]objWire, len(objs))
	for i, o := range objs {
		out[i] = objToWire(ns, o)
	}
	// Glance's schema link here has no leading slash.
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"objects": out, "schema": "v2/schemas/metadefs/objects"})
}

func (s *Service) createObjectHTTP(w http.ResponseWriter, r *http.Request) error {
	o, err := readObject(r, true)
	if err != nil {
		return err
	}
	ns := r.PathValue("namespace")
	got, err := s.CreateObject(r.Context(), principal(r), ns, o)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusCreated, objToWire(ns, got))
}

func (s *Service) getObjectHTTP(w http.ResponseWriter, r *http.Request) error {
	ns := r.PathValue("namespace")
	o, err := s.Object(r.Context(), principal(r), ns, r.PathValue("object"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, objToWire(ns, o))
}

func (s *Service) updateObjectHTTP(w http.ResponseWriter, r *http.Request) error {
	o, err := readObject(r, false)
	if err != nil {
		return err
	}
	ns := r.PathValue("namespace")
	got, err := s.UpdateObject(r.Context(), principal(r), ns, r.PathValue("object"), o)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, objToWire(ns, got))
}

func (s *Service) deleteObjectHTTP(w http.ResponseWriter, r *http.Request) error {
	return noContent(w, s.DeleteObject(r.Context(), principal(r), r.PathValue("namespace"), r.PathValue("object")))
}

// --- properties ---

// readProperty decodes a property body (the property schema: name,
// title and type required).
func readProperty(r *http.Request) (MetadefProperty, error) {
	b, err := readBody(r, "property")
	if err != nil {
		return MetadefProperty{}, err
	}
	return MetadefProperty{Name: *strField(b, "name"), Schema: propertyType(b)}, nil
}

func (s *Service) listPropertiesHTTP(w http.ResponseWriter, r *http.Request) error {
	props, err := s.Properties(r.Context(), principal(r), r.PathValue("namespace"))
	if err != nil {
		return err
	}
	out := map[string]json.RawMessage{}
	for _, p := range props {
		out[p.Name] = p.Schema
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"properties": out})
}

func (s *Service) createPropertyHTTP(w http.ResponseWriter, r *http.Request) error {
	p, err := readProperty(r)
	if err != nil {
		return err
	}
	got, err := s.CreateProperty(r.Context(), principal(r), r.PathValue("namespace"), p)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusCreated, propertyWire(got))
}

func (s *Service) getPropertyHTTP(w http.ResponseWriter, r *http.Request) error {
	p, err := s.Property(r.Context(), principal(r), r.PathValue("namespace"), r.PathValue("property"), r.URL.Query().Get("resource_type"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, propertyWire(p))
}

func (s *Service) updatePropertyHTTP(w http.ResponseWriter, r *http.Request) error {
	p, err := readProperty(r)
	if err != nil {
		return err
	}
	got, err := s.UpdateProperty(r.Context(), principal(r), r.PathValue("namespace"), r.PathValue("property"), p)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, propertyWire(got))
}

func (s *Service) deletePropertyHTTP(w http.ResponseWriter, r *http.Request) error {
	return noContent(w, s.DeleteProperty(r.Context(), principal(r), r.PathValue("namespace"), r.PathValue("property")))
}

// --- tags ---

func (s *Service) listTagsHTTP(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	o := TagListOptions{Marker: q.Get("marker"), SortKey: q.Get("sort_key")}
	var err error
	if o.SortDir, err = sortDir(q); err != nil {
		return err
	}
	if v := q.Get("limit"); v != "" {
		if o.Limit, err = strconv.Atoi(v); err != nil {
			return fault.Invalidf("limit param must be an integer")
		}
		if o.Limit < 0 {
			return fault.Invalidf("limit param must be positive")
		}
	}
	tags, err := s.MetadefTags(r.Context(), principal(r), r.PathValue("namespace"), o)
	if err != nil {
		return err
	}
	out := make([]tagWire, len(tags))
	for i, t := range tags {
		out[i] = tagWire{Name: t.Name}
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"tags": out})
}

// createTagsHTTP is the bulk create: {"tags": [{"name": ...}, ...]}.
func (s *Service) createTagsHTTP(w http.ResponseWriter, r *http.Request) error {
	b, err := readBody(r, "tags")
	if err != nil {
		return err
	}
	var names []string
	out := []tagWire{}
	for _, t := range listOf(b, "tags") {
		names = append(names, *strField(t, "name"))
		out = append(out, tagWire{Name: *strField(t, "name")})
	}
	appending, _ := strconv.ParseBool(r.Header.Get("X-Openstack-Append"))
	if err := s.CreateMetadefTags(r.Context(), principal(r), r.PathValue("namespace"), names, appending); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusCreated, map[string]any{"tags": out})
}

func (s *Service) createTagHTTP(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("tag")
	// Glance validates the name in the path as a tag body.
	if msg := validateSchema(bodySchemas()["tag"], &jobject{keys: []string{"name"}, vals: map[string]any{"name": name}}); msg != "" {
		return schemaErr("tag", msg)
	}
	t, err := s.CreateMetadefTag(r.Context(), principal(r), r.PathValue("namespace"), name)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusCreated, tagToWire(t))
}

func (s *Service) getTagHTTP(w http.ResponseWriter, r *http.Request) error {
	t, err := s.MetadefTag(r.Context(), principal(r), r.PathValue("namespace"), r.PathValue("tag"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, tagToWire(t))
}

func (s *Service) updateTagHTTP(w http.ResponseWriter, r *http.Request) error {
	b, err := readBody(r, "tag")
	if err != nil {
		return err
	}
	t, err := s.UpdateMetadefTag(r.Context(), principal(r), r.PathValue("namespace"), r.PathValue("tag"), *strField(b, "name"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, tagToWire(t))
}

func (s *Service) deleteTagHTTP(w http.ResponseWriter, r *http.Request) error {
	return noContent(w, s.DeleteMetadefTag(r.Context(), principal(r), r.PathValue("namespace"), r.PathValue("tag")))
}
