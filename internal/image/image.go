package image

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
)

// Status is a Glance image status.
type Status string

const (
	StatusQueued      Status = "queued"
	StatusSaving      Status = "saving"
	StatusActive      Status = "active"
	StatusKilled      Status = "killed"
	StatusDeactivated Status = "deactivated"
	StatusImporting   Status = "importing"
	StatusUploading   Status = "uploading"
	StatusDeleted     Status = "deleted"
)

// Visibility values.
const (
	VisibilityPublic    = "public"
	VisibilityCommunity = "community"
	VisibilityShared    = "shared"
	VisibilityPrivate   = "private"
)

// Member statuses.
const (
	MemberPending  = "pending"
	MemberAccepted = "accepted"
	MemberRejected = "rejected"
)

// DiskFormats and ContainerFormats are Glance's defaults (glance-api.conf
// [image_format]).
var (
	DiskFormats      = []string{"ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop"}
	ContainerFormats = []string{"ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed"}
	visibilities     = []string{VisibilityPublic, VisibilityCommunity, VisibilityShared, VisibilityPrivate}
)

// Image is the domain record of one image.
type Image struct {
	ID              string
	Name            *string
	Status          Status
	Visibility      string
	Protected       bool
	Hidden          bool // os_hidden
	Owner           string
	DiskFormat      *string
	ContainerFormat *string
	MinRAM          int64
	MinDisk         int64
	Size            *int64
	VirtualSize     *int64
	Checksum        *string
	HashAlgo        *string
	HashValue       *string
	BlobKey         string // "" when no data
	Properties      map[string]string
	Tags            []string
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Member is one project an image is shared with.
type Member struct {
	ImageID   string
	Member    string
	Status    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// readOnly attributes are computed by the service: setting them is 403
// "Attribute '%s' is read-only." as in Glance.
var readOnly = []string{"id", "status", "checksum", "os_hash_algo", "os_hash_value", "size", "virtual_size",
	"created_at", "updated_at", "self", "file", "schema", "direct_url", "stores"}

// reserved names may not be used as extra properties: 403
// "Attribute '%s' is reserved."
var reserved = []string{"owner", "location", "deleted", "deleted_at", "locations"}

// base attributes that are not extra properties.
var baseAttrs = []string{"name", "visibility", "protected", "os_hidden", "disk_format", "container_format",
	"min_ram", "min_disk", "tags"}

func isBaseAttr(k string) bool {
	return slices.Contains(baseAttrs, k) || slices.Contains(readOnly, k) || slices.Contains(reserved, k)
}

func readOnlyErr(k string) error {
	return &attrError{fault.Forbiddenf("Attribute '%s' is read-only.", k)}
}

func reservedErr(k string) error {
	return &attrError{fault.Forbiddenf("Attribute '%s' is reserved.", k)}
}

// attrError is a 403 about an attribute no client may set: the caller's
// mistake, not a role it lacks (K5 answers the latter with a 500).
type attrError struct{ fe *fault.Error }

func (e *attrError) Error() string { return e.fe.Error() }
func (e *attrError) Unwrap() error { return e.fe }

// checkWritable refuses attributes a client may never set.
func checkWritable(k string, isAdmin bool) error {
	switch {
	case slices.Contains(readOnly, k):
		return readOnlyErr(k)
	case k == "owner" && isAdmin:
		return nil
	case slices.Contains(reserved, k):
		return reservedErr(k)
	case isReservedProperty(k):
		return reservedErr(k)
	}
	return nil
}

// isReservedProperty reports whether k is in Glance's reserved os_glance
// namespace, which only the service sets, through either API.
func isReservedProperty(k string) bool { return strings.HasPrefix(k, "os_glance") }

// validate checks the fields a client can set.
func (im *Image) validate() error {
	if im.Name != nil && len(*im.Name) > 255 {
		return schemaErr("image", fmt.Sprintf("'%s' is too long", *im.Name))
	}
	if !slices.Contains(visibilities, im.Visibility) {
		return fault.Invalidf("Invalid visibility value: %s", im.Visibility)
	}
	if im.DiskFormat != nil && !slices.Contains(DiskFormats, *im.DiskFormat) {
		return schemaErr("image", fmt.Sprintf("'%s' is not one of %s", *im.DiskFormat, pyList(DiskFormats)))
	}
	if im.ContainerFormat != nil && !slices.Contains(ContainerFormats, *im.ContainerFormat) {
		return schemaErr("image", fmt.Sprintf("'%s' is not one of %s", *im.ContainerFormat, pyList(ContainerFormats)))
	}
	if im.MinRAM < 0 || im.MinDisk < 0 {
		return schemaErr("image", "-1 is less than the minimum of 0")
	}
	if len(im.Tags) > 128 {
		return fault.OverLimitf("Maximum number of tags exceeded")
	}
	for _, t := range im.Tags {
		if len(t) > 255 {
			return schemaErr("image", fmt.Sprintf("'%s' is too long", t))
		}
	}
	for k, v := range im.Properties {
		if len(k) > 255 || len(v) > 65535 {
			return schemaErr("image", fmt.Sprintf("'%s' is too long", clip(k, 64)))
		}
	}
	if len(im.Properties) > 128 {
		return fault.OverLimitf("Maximum number of image properties exceeded")
	}
	return nil
}

func schemaErr(schema, detail string) error {
	return fault.Invalidf("Provided object does not match schema '%s': %s", schema, detail)
}

func pyList(v []string) string {
	q := make([]string, len(v))
	for i, s := range v {
		q[i] = "'" + s + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// hasData reports whether bytes are attached to the image.
func (im *Image) hasData() bool { return im.BlobKey != "" && im.Size != nil }

// addTag adds t once and reports whether it was new.
func (im *Image) addTag(t string) bool {
	if slices.Contains(im.Tags, t) {
		return false
	}
	im.Tags = append(im.Tags, t)
	return true
}

var uuidRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$`)

// validID reports whether s is a UUID (with or without hyphens, as
// Glance's schema accepts).
func validID(s string) bool { return uuidRe.MatchString(s) }

// newID returns a random UUID (version 4).
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// canonicalID lowercases and hyphenates a UUID the way Glance stores it.
func canonicalID(s string) string {
	s = strings.ToLower(strings.ReplaceAll(s, "-", ""))
	if len(s) != 32 {
		return s
	}
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:32]
}

// blobKey is where an image's bytes live in the blob store when one
// writer alone puts them there (image.DataKey).
func blobKey(id string) string { return "images/" + id }

// uploadKey is a fresh key for one upload of image id's bytes: an upload
// that lost its lease (its node was presumed dead and another took over)
// must not overwrite, or delete on its way out, the winner's bytes.
func uploadKey(id string) string {
	var b [8]byte
	rand.Read(b[:])
	return blobKey(id) + "." + hex.EncodeToString(b[:])
}
