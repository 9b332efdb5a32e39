package volume

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/stratus-iaas/stratus/internal/catalog"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// stamp is Cinder's timestamp format (isoformat of a naive UTC datetime).
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000") }

func stampOrNil(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := stamp(t)
	return &s
}

type link struct {
	Href string `json:"href"`
	Rel  string `json:"rel"`
}

// links are Cinder's self and bookmark links of a resource.
func links(r *http.Request, collection, id string) []link {
	base := httpapi.BaseURL(r) + catalog.VolumePrefix
	project := r.PathValue("project_id")
	ver := "/v3"
	if apiVersion(r).major == 2 {
		ver = "/v2"
	}
	return []link{
		{Href: base + ver + "/" + project + "/" + collection + "/" + id, Rel: "self"},
		{Href: base + "/" + project + "/" + collection + "/" + id, Rel: "bookmark"},
	}
}

type attachmentWire struct {
	ID           string  `json:"id"`
	AttachmentID string  `json:"attachment_id"`
	VolumeID     string  `json:"volume_id"`
	ServerID     *string `json:"server_id"`
	HostName     *string `json:"host_name"`
	Device       *string `json:"device"`
	AttachedAt   *string `json:"attached_at"`
}

func ptr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func attachmentsWire(v *Volume, p *policy.Principal) []attachmentWire {
	out := []attachmentWire{}
	for _, a := range v.Attachments {
		if a.Status != Attached {
			continue
		}
		w := attachmentWire{ID: v.ID, AttachmentID: a.ID, VolumeID: v.ID, ServerID: ptr(a.ServerID),
			Device: ptr(a.Mountpoint), AttachedAt: stampOrNil(a.AttachedAt)}
		if p.IsAdmin() {
			w.HostName = ptr(a.HostName)
		}
		out = append(out, w)
	}
	return out
}

type volumeSummary struct {
	ID    string  `json:"id"`
	Links []link  `json:"links"`
	Name  *string `json:"name"`
}

// volumeWire is a volume's detailed view: Cinder's fields, its extension
// attributes (K5 2.1.6.4/2.1.6.5 list them) and the microversioned ones.
type volumeWire struct {
	ID                 string            `json:"id"`
	Status             string            `json:"status"`
	Size               int64             `json:"size"`
	AvailabilityZone   string            `json:"availability_zone"`
	CreatedAt          string            `json:"created_at"`
	UpdatedAt          *string           `json:"updated_at"`
	Name               *string           `json:"name"`
	Description        *string           `json:"description"`
	VolumeType         *string           `json:"volume_type"`
	SnapshotID         *string           `json:"snapshot_id"`
	SourceVolID        *string           `json:"source_volid"`
	Metadata           map[string]string `json:"metadata"`
	Links              []link            `json:"links"`
	UserID             string            `json:"user_id"`
	Bootable           string            `json:"bootable"`
	Encrypted          bool              `json:"encrypted"`
	ReplicationStatus  *string           `json:"replication_status"`
	ConsistencyGroupID *string           `json:"consistencygroup_id"`
	Multiattach        bool              `json:"multiattach"`
	Attachments        []attachmentWire  `json:"attachments"`
	MigrationStatus    json.RawMessage   `json:"migration_status,omitempty"` // admins only, may be null
	// Extension attributes: on show and detail only (Cinder adds them with
	// @wsgi.extends to those two, not to create or update).
	Host          json.RawMessage   `json:"os-vol-host-attr:host,omitempty"`
	TenantID      string            `json:"os-vol-tenant-attr:tenant_id,omitempty"`
	MigStat       json.RawMessage   `json:"os-vol-mig-status-attr:migstat,omitempty"`
	NameID        json.RawMessage   `json:"os-vol-mig-status-attr:name_id,omitempty"`
	ImageMetadata map[string]string `json:"volume_image_metadata,omitempty"`
}

// visibleMetadata is the metadata with readonly and attached_mode, which
// Cinder adds from the admin metadata (add_visible_admin_metadata).
func visibleMetadata(v *Volume) map[string]string {
	m := make(map[string]string, len(v.Metadata)+2)
	for k, val := range v.Metadata {
		m[k] = val
	}
	for _, k := range []string{"readonly", "attached_mode"} {
		if val, ok := v.AdminMetadata[k]; ok {
			m[k] = val
		}
	}
	return m
}

// volumeDetail is the view of create and update; volumeShow adds the
// extension attributes for show and the detailed list.
func volumeDetail(r *http.Request, v *Volume) volumeWire {
	p := policy.FromContext(r.Context())
	w := volumeWire{ID: v.ID, Status: v.Status, Size: v.Size, AvailabilityZone: v.AvailabilityZone,
		CreatedAt: stamp(v.CreatedAt), UpdatedAt: stampOrNil(v.UpdatedAt), Name: v.Name, Description: v.Description,
		SnapshotID: ptr(v.SnapshotID), SourceVolID: ptr(v.SourceVolID), Metadata: visibleMetadata(v),
		Links: links(r, "volumes", v.ID), UserID: v.UserID, Bootable: map[bool]string{true: "true", false: "false"}[v.Bootable],
		Attachments: attachmentsWire(v, p)}
	if v.Type != nil {
		w.VolumeType = &v.Type.Name
	} else if v.TypeID != "" {
		w.VolumeType = &v.TypeID
	}
	if p.IsAdmin() {
		w.MigrationStatus, _ = json.Marshal(ptr(v.MigrationStatus))
	}
	return w
}

func volumeShow(r *http.Request, v *Volume) volumeWire {
	w := volumeDetail(r, v)
	raw := func(s string) json.RawMessage {
		b, _ := json.Marshal(ptr(s))
		return b
	}
	w.Host, w.TenantID, w.MigStat, w.NameID = raw(v.Host), v.ProjectID, raw(v.MigrationStatus), raw("")
	if len(v.ImageMetadata) > 0 {
		w.ImageMetadata = v.ImageMetadata
	}
	return w
}

// typeWire is a volume type; K5 adds availability_zone on the v2 show.
type typeWire struct {
	ID               string            `json:"id"`
	Name             string            `json:"name"`
	Description      *string           `json:"description"`
	IsPublic         bool              `json:"is_public"`
	AccessIsPublic   bool              `json:"os-volume-type-access:is_public"`
	ExtraSpecs       map[string]string `json:"extra_specs"`
	QoSSpecsID       json.RawMessage   `json:"qos_specs_id,omitempty"`
	AvailabilityZone string            `json:"availability_zone,omitempty"`
}

func (s *Service) typeView(r *http.Request, t *VolumeType, withZone bool) typeWire {
	w := typeWire{ID: t.ID, Name: t.Name, Description: t.Description, IsPublic: t.IsPublic, AccessIsPublic: t.IsPublic}
	// Cinder shows extra specs to admins (and user-visible ones to all);
	// stratus has no sensitive specs, so every caller sees them.
	w.ExtraSpecs = t.ExtraSpecs
	if w.ExtraSpecs == nil {
		w.ExtraSpecs = map[string]string{}
	}
	if withZone && apiVersion(r).major == 2 {
		w.AvailabilityZone = s.zone
	}
	return w
}

type snapshotWire struct {
	ID               string            `json:"id"`
	CreatedAt        string            `json:"created_at"`
	UpdatedAt        *string           `json:"updated_at"`
	Name             *string           `json:"name"`
	Description      *string           `json:"description"`
	VolumeID         string            `json:"volume_id"`
	Status           string            `json:"status"`
	Size             int64             `json:"size"`
	Metadata         map[string]string `json:"metadata"`
	Progress         *string           `json:"os-extended-snapshot-attributes:progress,omitempty"`
	ProjectID        *string           `json:"os-extended-snapshot-attributes:project_id,omitempty"`
	AvailabilityZone string            `json:"availability_zone,omitempty"`
}

// snapshotView is Cinder's snapshot; detail adds the extended attributes
// and, on K5's v2, availability_zone (2.4.6.2, .3).
func snapshotView(r *http.Request, sn *Snapshot, detail bool) snapshotWire {
	w := snapshotWire{ID: sn.ID, CreatedAt: stamp(sn.CreatedAt), UpdatedAt: stampOrNil(sn.UpdatedAt), Name: sn.Name,
		Description: sn.Description, VolumeID: sn.VolumeID, Status: sn.Status, Size: sn.Size, Metadata: sn.Metadata}
	if w.Metadata == nil {
		w.Metadata = map[string]string{}
	}
	if detail {
		progress := itoa(sn.Progress) + "%"
		project := sn.ProjectID
		w.Progress, w.ProjectID = &progress, &project
		if apiVersion(r).major == 2 {
			w.AvailabilityZone = sn.AvailabilityZone
		}
	}
	return w
}

// collection is the name of a list in its next link ("volumes/detail").
func collection(name string, detail bool) string {
	if detail {
		return name + "/detail"
	}
	return name
}

// nextLink is Cinder's collection link: present when the page is full.
func nextLink(r *http.Request, collection, lastID string) []link {
	q := r.URL.Query()
	q.Set("marker", lastID)
	base := httpapi.BaseURL(r) + catalog.VolumePrefix
	path := strings.TrimPrefix(r.URL.Path, catalog.VolumePrefix)
	i := strings.LastIndex(path, "/"+collection)
	if i >= 0 {
		path = path[:i+1+len(collection)]
	}
	return []link{{Href: base + path + "?" + q.Encode(), Rel: "next"}}
}
