package image

import (
	"net/http"

	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// Routes are the Glance v2 routes, mounted under catalog.ImagePrefix.
func (s *Service) Routes() []httpapi.Route {
	read, write := policy.ProjectReader, policy.ProjectMember
	const ns, ns1 = "/v2/metadefs/namespaces", "/v2/metadefs/namespaces/{namespace}"
	return []httpapi.Route{
		{Method: http.MethodGet, Pattern: "", Policy: policy.Public, Handler: s.listVersions},
		{Method: http.MethodGet, Pattern: "/{$}", Policy: policy.Public, Handler: s.listVersions},
		{Method: http.MethodGet, Pattern: "/versions", Policy: policy.Public, Handler: s.versions},
		{Method: http.MethodGet, Pattern: "/v2/{$}", Policy: policy.Public, Handler: s.listVersions},

		{Method: http.MethodGet, Pattern: "/v2/schemas/image", Policy: read, Handler: s.schemaImage},
		{Method: http.MethodGet, Pattern: "/v2/schemas/images", Policy: read, Handler: s.schemaImages},
		{Method: http.MethodGet, Pattern: "/v2/schemas/member", Policy: read, Handler: s.schemaMember},
		{Method: http.MethodGet, Pattern: "/v2/schemas/members", Policy: read, Handler: s.schemaMembers},
		{Method: http.MethodGet, Pattern: "/v2/schemas/metadefs/{name}", Policy: read, Handler: s.schemaMetadef},

		// Metadata definitions: reads as each namespace's visibility allows,
		// writes admin-only (decided by the service, after the namespace is
		// found, as Glance's policy: a private namespace of another project is 404).
		{Method: http.MethodGet, Pattern: "/v2/metadefs/resource_types", Policy: read, Handler: s.listResourceTypesHTTP},
		{Method: http.MethodGet, Pattern: ns, Policy: read, Handler: s.listNamespacesHTTP},
		{Method: http.MethodPost, Pattern: ns, Policy: read, Handler: s.createNamespaceHTTP},
		{Method: http.MethodGet, Pattern: ns1, Policy: read, Handler: s.getNamespaceHTTP},
		{Method: http.MethodPut, Pattern: ns1, Policy: read, Handler: s.updateNamespaceHTTP},
		{Method: http.MethodDelete, Pattern: ns1, Policy: read, Handler: s.deleteNamespaceHTTP},
		{Method: http.MethodGet, Pattern: ns1 + "/resource_types", Policy: read, Handler: s.listAssociationsHTTP},
		{Method: http.MethodPost, Pattern: ns1 + "/resource_types", Policy: read, Handler: s.associateHTTP},
		{Method: http.MethodDelete, Pattern: ns1 + "/resource_types/{resource_type}", Policy: read, Handler: s.dissociateHTTP},
		{Method: http.MethodGet, Pattern: ns1 + "/objects", Policy: read, Handler: s.listObjectsHTTP},
		{Method: http.MethodPost, Pattern: ns1 + "/objects", Policy: read, Handler: s.createObjectHTTP},
		{Method: http.MethodDelete, Pattern: ns1 + "/objects", Policy: read, Handler: s.deleteContentsHTTP(ContentObjects)},
		{Method: http.MethodGet, Pattern: ns1 + "/objects/{object}", Policy: read, Handler: s.getObjectHTTP},
		{Method: http.MethodPut, Pattern: ns1 + "/objects/{object}", Policy: read, Handler: s.updateObjectHTTP},
		{Method: http.MethodDelete, Pattern: ns1 + "/objects/{object}", Policy: read, Handler: s.deleteObjectHTTP},
		{Method: http.MethodGet, Pattern: ns1 + "/properties", Policy: read, Handler: s.listPropertiesHTTP},
		{Method: http.MethodPost, Pattern: ns1 + "/properties", Policy: read, Handler: s.createPropertyHTTP},
		{Method: http.MethodDelete, Pattern: ns1 + "/properties", Policy: read, Handler: s.deleteContentsHTTP(ContentProperties)},
		{Method: http.MethodGet, Pattern: ns1 + "/properties/{property}", Policy: read, Handler: s.getPropertyHTTP},
		{Method: http.MethodPut, Pattern: ns1 + "/properties/{property}", Policy: read, Handler: s.updatePropertyHTTP},
		{Method: http.MethodDelete, Pattern: ns1 + "/properties/{property}", Policy: read, Handler: s.deletePropertyHTTP},
		{Method: http.MethodGet, Pattern: ns1 + "/tags", Policy: read, Handler: s.listTagsHTTP},
		{Method: http.MethodPost, Pattern: ns1 + "/tags", Policy: read, Handler: s.createTagsHTTP},
		{Method: http.MethodDelete, Pattern: ns1 + "/tags", Policy: read, Handler: s.deleteContentsHTTP(ContentTags)},
		{Method: http.MethodGet, Pattern: ns1 + "/tags/{tag}", Policy: read, Handler: s.getTagHTTP},
		{Method: http.MethodPost, Pattern: ns1 + "/tags/{tag}", Policy: read, Handler: s.createTagHTTP},
		{Method: http.MethodPut, Pattern: ns1 + "/tags/{tag}", Policy: read, Handler: s.updateTagHTTP},
		{Method: http.MethodDelete, Pattern: ns1 + "/tags/{tag}", Policy: read, Handler: s.deleteTagHTTP},

		{Method: http.MethodPost, Pattern: "/v2/images", Policy: write, Handler: s.createImage},
		{Method: http.MethodGet, Pattern: "/v2/images", Policy: read, Handler: s.listImages},
		{Method: http.MethodGet, Pattern: "/v2/images/{image_id}", Policy: read, Handler: s.getImage},
		{Method: http.MethodPatch, Pattern: "/v2/images/{image_id}", Policy: write, Handler: s.updateImage},
		{Method: http.MethodDelete, Pattern: "/v2/images/{image_id}", Policy: write, Handler: s.deleteImage},
		{Method: http.MethodPost, Pattern: "/v2/images/{image_id}/actions/deactivate", Policy: write, Handler: s.deactivateImage},
		{Method: http.MethodPost, Pattern: "/v2/images/{image_id}/actions/reactivate", Policy: write, Handler: s.reactivateImage},
		{Method: http.MethodPut, Pattern: "/v2/images/{image_id}/tags/{tag}", Policy: write, Handler: s.addTag},
		{Method: http.MethodDelete, Pattern: "/v2/images/{image_id}/tags/{tag}", Policy: write, Handler: s.deleteTag},

		{Method: http.MethodPut, Pattern: "/v2/images/{image_id}/file", Policy: write, Handler: s.uploadImageData, Streaming: true},
		{Method: http.MethodGet, Pattern: "/v2/images/{image_id}/file", Policy: read, Handler: s.downloadImageData},

		{Method: http.MethodGet, Pattern: "/v2/info/import", Policy: read, Handler: s.importInfo},
		{Method: http.MethodPut, Pattern: "/v2/images/{image_id}/stage", Policy: write, Handler: s.stageImageData, Streaming: true},
		{Method: http.MethodPost, Pattern: "/v2/images/{image_id}/import", Policy: write, Handler: s.importImage},
		{Method: http.MethodGet, Pattern: "/v2/images/{image_id}/tasks", Policy: read, Handler: s.listImageTasks},
		{Method: http.MethodGet, Pattern: "/v2/tasks", Policy: read, Handler: s.listTasks},
		{Method: http.MethodGet, Pattern: "/v2/tasks/{task_id}", Policy: read, Handler: s.getTask},

		{Method: http.MethodPost, Pattern: "/v2/images/{image_id}/members", Policy: write, Handler: s.createMember},
		{Method: http.MethodGet, Pattern: "/v2/images/{image_id}/members", Policy: read, Handler: s.listMembers},
		{Method: http.MethodGet, Pattern: "/v2/images/{image_id}/members/{member_id}", Policy: read, Handler: s.getMember},
		{Method: http.MethodPut, Pattern: "/v2/images/{image_id}/members/{member_id}", Policy: write, Handler: s.updateMember},
		{Method: http.MethodDelete, Pattern: "/v2/images/{image_id}/members/{member_id}", Policy: write, Handler: s.deleteMember},
	}
}
