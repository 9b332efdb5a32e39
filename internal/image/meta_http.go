package image

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// versionsBody is Glance's version document; href points at the versioned
// endpoint the client should use.
func versionsBody(r *http.Request) map[string]any {
	base := httpapi.BaseURL(r) + "/image/v2/"
	var vs []map[string]any
	for minor := 17; minor >= 0; minor-- {
		status := "SUPPORTED"
		if minor == 17 {
			status = "CURRENT"
		}
		vs = append(vs, map[string]any{
			"id": fmt.Sprintf("v2.%d", minor), "status": status,
			"links": []map[string]string{{"rel": "self", "href": base}},
		})
	}
	return map[string]any{"versions": vs}
}

// listVersions answers the root with 300 Multiple Choices, as Glance does
// (keystoneauth discovery expects it); /versions answers 200.
func (s *Service) listVersions(w http.ResponseWriter, r *http.Request) error {
	return httpapi.WriteJSON(w, http.StatusMultipleChoices, versionsBody(r))
}

func (s *Service) versions(w http.ResponseWriter, r *http.Request) error {
	return httpapi.WriteJSON(w, http.StatusOK, versionsBody(r))
}

// metadefSchemasJSON holds Glance's metadata-definition schemas
// (GET /v2/schemas/metadefs/{name}), keyed by name. They were produced by
// running Glance's own get_schema()/get_collection_schema() functions
// (glance/api/v2/metadef_*.py, openstack/glance c76abb08e) and are served
// as they are: clients such as glanceclient read them even though stratus
// has no metadefs API (docs/compatibility.md).
//
//go:embed metadef_schemas.json
var metadefSchemasJSON []byte

var metadefSchemas = func() map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(metadefSchemasJSON, &m); err != nil {
		panic(err)
	}
	return m
}()

func (s *Service) schemaMetadef(w http.ResponseWriter, r *http.Request) error {
	sc, ok := metadefSchemas[r.PathValue("name")]
	if !ok {
		return fault.NotFoundf("The resource could not be found.")
	}
	return httpapi.WriteJSON(w, http.StatusOK, sc)
}

func (s *Service) schemaImage(w http.ResponseWriter, r *http.Request) error {
	return httpapi.WriteJSON(w, http.StatusOK, imageSchema())
}

func (s *Service) schemaImages(w http.ResponseWriter, r *http.Request) error {
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{
		"name":       "images",
		"properties": map[string]any{"images": map[string]any{"type": "array", "items": imageSchema()}, "schema": map[string]any{"type": "string"}, "first": map[string]any{"type": "string"}, "next": map[string]any{"type": "string"}},
		"links":      []map[string]string{{"rel": "first", "href": "{first}"}, {"rel": "next", "href": "{next}"}, {"rel": "describedby", "href": "{schema}"}},
	})
}

func (s *Service) schemaMember(w http.ResponseWriter, r *http.Request) error {
	return httpapi.WriteJSON(w, http.StatusOK, memberSchema())
}

func (s *Service) schemaMembers(w http.ResponseWriter, r *http.Request) error {
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{
		"name":       "members",
		"properties": map[string]any{"members": map[string]any{"type": "array", "items": memberSchema()}, "schema": map[string]any{"type": "string"}},
		"links":      []map[string]string{{"rel": "describedby", "href": "{schema}"}},
	})
}

func memberSchema() map[string]any {
	str := func(desc string) map[string]any { return map[string]any{"type": "string", "description": desc} }
	return map[string]any{
		"name": "member",
		"properties": map[string]any{
			"created_at": str("Date and time of image member creation"),
			"image_id":   map[string]any{"type": "string", "description": "An identifier for the image", "pattern": uuidPattern},
			"member_id":  str("An identifier for the image member (tenantId)"),
			"schema":     map[string]any{"type": "string", "readOnly": true},
			"status":     map[string]any{"type": "string", "description": "The status of this image member", "enum": []string{"pending", "accepted", "rejected"}},
			"updated_at": str("Date and time of last modification of image member"),
		},
	}
}

const uuidPattern = "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$"

func imageSchema() map[string]any {
	ro := func(t any, desc string) map[string]any {
		return map[string]any{"type": t, "readOnly": true, "description": desc}
	}
	nullable := func(enum []string, desc string) map[string]any {
		e := append([]any{nil}, toAny(enum)...)
		return map[string]any{"type": []any{"null", "string"}, "enum": e, "description": desc}
	}
	return map[string]any{
		"name":                 "image",
		"additionalProperties": map[string]any{"type": "string"},
		"properties": map[string]any{
			"id":               map[string]any{"type": "string", "pattern": uuidPattern, "description": "An identifier for the image"},
			"name":             map[string]any{"type": []string{"null", "string"}, "maxLength": 255, "description": "Descriptive name for the image"},
			"status":           map[string]any{"type": "string", "readOnly": true, "enum": []string{"queued", "saving", "active", "killed", "deleted", "uploading", "importing", "pending_delete", "deactivated"}, "description": "Status of the image"},
			"visibility":       map[string]any{"type": "string", "enum": visibilities, "description": "Scope of image accessibility"},
			"protected":        map[string]any{"type": "boolean", "description": "If true, image will not be deletable."},
			"os_hidden":        map[string]any{"type": "boolean", "description": "If true, image will not appear in default image list response."},
			"checksum":         ro([]string{"null", "string"}, "md5 hash of image contents."),
			"os_hash_algo":     ro([]string{"null", "string"}, "Algorithm to calculate the os_hash_value"),
			"os_hash_value":    ro([]string{"null", "string"}, "Hexdigest of the image contents using the algorithm specified by the os_hash_algo"),
			"owner":            map[string]any{"type": []string{"null", "string"}, "maxLength": 255, "description": "Owner of the image"},
			"size":             ro([]string{"null", "integer"}, "Size of image file in bytes"),
			"virtual_size":     ro([]string{"null", "integer"}, "Virtual size of image in bytes"),
			"container_format": nullable(ContainerFormats, "Format of the container"),
			"disk_format":      nullable(DiskFormats, "Format of the disk"),
			"created_at":       ro("string", "Date and time of image registration"),
			"updated_at":       ro("string", "Date and time of the last image modification"),
			"tags":             map[string]any{"type": "array", "items": map[string]any{"type": "string", "maxLength": 255}, "description": "List of strings related to the image"},
			"direct_url":       ro("string", "URL to access the image file kept in external store"),
			"min_ram":          map[string]any{"type": "integer", "description": "Amount of ram (in MB) required to boot image."},
			"min_disk":         map[string]any{"type": "integer", "description": "Amount of disk space (in GB) required to boot image."},
			"self":             ro("string", "An image self url"),
			"file":             ro("string", "An image file url"),
			"stores":           ro("string", "Store in which image data resides."),
			"schema":           ro("string", "An image schema url"),
			"locations":        map[string]any{"type": "array", "description": "A set of URLs to access the image file kept in external store"},
		},
		"links": []map[string]string{
			{"rel": "self", "href": "{self}"}, {"rel": "enclosure", "href": "{file}"}, {"rel": "describedby", "href": "{schema}"},
		},
	}
}

func toAny(v []string) []any {
	out := make([]any, len(v))
	for i, s := range v {
		out[i] = s
	}
	return out
}
