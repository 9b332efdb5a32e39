package volume

import (
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
)

// Volume statuses, as Cinder names them.
const (
	StatusCreating       = "creating"
	StatusAvailable      = "available"
	StatusAttaching      = "attaching"
	StatusInUse          = "in-use"
	StatusDetaching      = "detaching"
	StatusUploading      = "uploading"
	StatusExtending      = "extending"
	StatusReverting      = "reverting"
	StatusDeleting       = "deleting"
	StatusError          = "error"
	StatusErrorDeleting  = "error_deleting"
	StatusErrorExtending = "error_extending"
	StatusErrorRestoring = "error_restoring"
	StatusMaintenance    = "maintenance"
)

// volumeStatuses are the statuses os-reset_status accepts (Cinder's
// VolumeStatus field).
var volumeStatuses = []string{"creating", "available", "deleting", "error", "error_deleting", "error_managing",
	"managing", "attaching", "in-use", "detaching", "maintenance", "restoring-backup", "error_restoring",
	"reserved", "awaiting-transfer", "backing-up", "error_backing-up", "error_extending", "downloading",
	"uploading", "retyping", "extending"}

// Attach statuses.
const (
	Detached  = "detached"
	Attached  = "attached"
	Attaching = "attaching"
	Detaching = "detaching"
)

// GiB is the unit of volume sizes.
const GiB = int64(1) << 30

// MaxSizeGB is K5's cap on a volume (§2.1.6.9: "The upper limit for the
// volume size is 16 TB").
const MaxSizeGB = 16 * 1024

// Volume is the domain record of one volume.
type Volume struct {
	ID               string
	ProjectID        string
	UserID           string
	Name             *string
	Description      *string
	Size             int64 // GiB
	Status           string
	PreviousStatus   string
	AttachStatus     string
	AvailabilityZone string
	TypeID           string
	SnapshotID       string
	SourceVolID      string
	ImageID          string
	Bootable         bool
	// AdminMetadata holds readonly and attached_mode, which Cinder shows
	// among the metadata once set.
	AdminMetadata   map[string]string
	Metadata        map[string]string
	ImageMetadata   map[string]string // volume_image_metadata; nil when none
	Host            string
	Node            string
	StoreKey        string
	MigrationStatus string
	CreatedAt       time.Time
	UpdatedAt       time.Time

	// Loaded for views.
	Attachments []*Attachment
	Type        *VolumeType
}

// Attachment is one attachment of a volume to a server.
type Attachment struct {
	ID         string
	VolumeID   string
	ServerID   string
	HostName   string
	Mountpoint string
	Mode       string // rw or ro
	Status     string // attaching, attached, detaching
	AttachedAt time.Time
	CreatedAt  time.Time
	// DeleteOnTermination: the volume is deleted with its server (set by
	// the compute service, Nova's block device mapping flag).
	DeleteOnTermination bool
}

// Snapshot is the domain record of one snapshot.
type Snapshot struct {
	ID          string
	ProjectID   string
	UserID      string
	VolumeID    string
	Name        *string
	Description *string
	Size        int64 // GiB
	Status      string
	Progress    int
	Metadata    map[string]string
	StoreKey    string
	CreatedAt   time.Time
	UpdatedAt   time.Time

	AvailabilityZone string // the volume's, for K5's views
}

// Snapshot statuses.
const (
	SnapCreating  = "creating"
	SnapAvailable = "available"
	SnapDeleting  = "deleting"
	SnapError     = "error"
	SnapRestoring = "restoring"
	SnapErrorDel  = "error_deleting"
)

var snapshotStatuses = []string{"creating", "available", "deleting", "error", "error_deleting", "backing-up",
	"restoring", "unmanaging"}

func newID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func volumeKey(id string) string   { return "volume-" + id }
func snapshotKey(id string) string { return "snapshot-" + id }

// isUUID accepts a UUID with or without dashes, as oslo's is_uuid_like.
func isUUID(s string) bool {
	h := strings.ReplaceAll(s, "-", "")
	if len(h) != 32 || (len(s) != 32 && len(s) != 36) {
		return false
	}
	for _, c := range h {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// orStr joins statuses with " or " (Cinder's utils.build_or_str).
func orStr(s ...string) string { return strings.Join(s, " or ") }

func volumeNotFound(id string) error {
	return fault.NotFoundf("Volume %s could not be found.", id)
}

func snapshotNotFound(id string) error {
	return fault.NotFoundf("Snapshot %s could not be found.", id)
}

func invalidVolume(format string, args ...any) error {
	return fault.Invalidf("Invalid volume: "+format, args...)
}

func invalidInput(format string, args ...any) error {
	return fault.Invalidf("Invalid input received: "+format, args...)
}

// validation is Cinder's jsonschema error: "Invalid input for
// field/attribute <path>. Value: <value>. <reason>".
func validation(path string, value any, reason string) error {
	return fault.Invalidf("Invalid input for field/attribute %s. Value: %v. %s", path, value, reason)
}

func (v *Volume) attached() bool { return v.AttachStatus == Attached || len(v.activeAttachments()) > 0 }

func (v *Volume) activeAttachments() []*Attachment {
	var out []*Attachment
	for _, a := range v.Attachments {
		if a.Status == Attached || a.Status == Detaching {
			out = append(out, a)
		}
	}
	return out
}
