// Package catalog describes where each service is served, for the
// Keystone service catalog and for clouds.yaml.
package catalog

import "strings"

// Entry is one service endpoint. Path is relative to the public URL and
// may contain "{project_id}", replaced per token.
type Entry struct {
	Type string // "identity", "compute", "image", "volumev3", "object-store", ...
	Name string // "keystone", "nova", "glance", "cinderv3", "swift", ...
	Path string // "/image", "/compute/v2.1", "/object-store/v1/AUTH_{project_id}"
}

// URL is the entry's absolute URL for a project.
func (e Entry) URL(publicURL, projectID string) string {
	return strings.TrimRight(publicURL, "/") + strings.ReplaceAll(e.Path, "{project_id}", projectID)
}

// Service paths: one listener serves every service under its own prefix.
const (
	IdentityPrefix      = "/identity"
	ComputePrefix       = "/compute"
	ImagePrefix         = "/image"
	VolumePrefix        = "/volume"
	ObjectStorePrefix   = "/object-store"
	ImportPrefix        = "/import"        // K5 vmimport: /v1/imageimport, /v1/imageexport
	VirtualServerPrefix = "/virtualserver" // SCP virtualserver: /v1/images/{id}/import
	NetworkPrefix       = "/networking"    // devstack's path for Neutron
	// StratusPrefix holds stratus's own admin APIs (/stratus/v1/jobs).
	StratusPrefix = "/stratus"
)
