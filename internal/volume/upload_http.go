package volume

import (
	"context"
	"database/sql"
	"net/http"
	"slices"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// cinderDiskFormats is the enum of Cinder's upload schema.
var cinderDiskFormats = []string{"raw", "vmdk", "vdi", "qcow2", "vhd", "vhdx", "ploop"}

// uploadTypeWire is the volume type in K5's upload response (2.1.6.19).
type uploadTypeWire struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Description *string           `json:"description"`
	IsPublic    bool              `json:"is_public"`
	QoSSpecsID  *string           `json:"qos_specs_id"`
	Deleted     bool              `json:"deleted"`
	CreatedAt   string            `json:"created_at"`
	UpdatedAt   *string           `json:"updated_at"`
	DeletedAt   *string           `json:"deleted_at"`
	ExtraSpecs  map[string]string `json:"extra_specs"`
}

type uploadWire struct {
	ID                 string          `json:"id"`
	UpdatedAt          *string         `json:"updated_at"`
	Status             string          `json:"status"`
	DisplayDescription *string         `json:"display_description"`
	Size               int64           `json:"size"`
	VolumeType         *uploadTypeWire `json:"volume_type"`
	ImageID            string          `json:"image_id"`
	ContainerFormat    *string         `json:"container_format"`
	DiskFormat         *string         `json:"disk_format"`
	ImageName          *string         `json:"image_name"`
	Protected          bool            `json:"protected"`
	Visibility         string          `json:"visibility"`
}

func (s *Service) uploadAction(w http.ResponseWriter, r *http.Request, id string, o object) error {
	if err := o.only("image_name", "force", "disk_format", "container_format"); err != nil {
		return err
	}
	name, _, err := o.str("image_name")
	if err != nil {
		return err
	}
	if name == nil || *name == "" || len(*name) > 255 {
		if !o.has("image_name") {
			return validation(o.path, o.raw(), "'image_name' is a required property")
		}
		return validation(o.path+"/image_name", deref(name), "'"+deref(name)+"' is too short or too long")
	}
	opts := UploadOpts{ImageName: *name}
	if opts.Force, _, err = o.boolean("force"); err != nil {
		return err
	}
	for k, dst := range map[string]*string{"disk_format": &opts.DiskFormat, "container_format": &opts.ContainerFormat} {
		v, _, err := o.str(k)
		if err != nil {
			return err
		}
		*dst = deref(v)
	}
	if opts.DiskFormat != "" && !slices.Contains(cinderDiskFormats, opts.DiskFormat) {
		return validation(o.path+"/disk_format", opts.DiskFormat, "'"+opts.DiskFormat+"' is not one of ['raw', 'vmdk', 'vdi', 'qcow2', 'vhd', 'vhdx', 'ploop']")
	}
	up, err := s.UploadToImage(r.Context(), principal(r), id, opts)
	if err != nil {
		return err
	}
	v, im := up.Volume, up.Image
	out := uploadWire{ID: v.ID, UpdatedAt: stampOrNil(v.UpdatedAt), Status: StatusUploading,
		DisplayDescription: v.Description, Size: v.Size, ImageID: im.ID, ContainerFormat: im.ContainerFormat,
		DiskFormat: im.DiskFormat, ImageName: im.Name, Protected: im.Protected, Visibility: im.Visibility}
	if t := v.Type; t != nil {
		out.VolumeType = &uploadTypeWire{ID: t.ID, Name: t.Name, Description: t.Description, IsPublic: t.IsPublic,
			CreatedAt: stamp(t.CreatedAt), UpdatedAt: stampOrNil(t.UpdatedAt), ExtraSpecs: t.ExtraSpecs}
	}
	return httpapi.WriteJSON(w, http.StatusAccepted, map[string]any{"os-volume_upload_image": out})
}

// ImageMetadata changes a volume's volume_image_metadata: set merges
// (unset "" ), unset removes one key (404 when absent).
func (s *Service) ImageMetadata(ctx context.Context, p *policy.Principal, id string, set map[string]string, unset string) (map[string]string, error) {
	if err := checkMetadata(set); err != nil {
		return nil, err
	}
	v, err := s.change(ctx, p, id, func(tx *sql.Tx, v *Volume) error {
		if unset != "" {
			if _, ok := v.ImageMetadata[unset]; !ok {
				return fault.NotFoundf("Glance metadata for volume/snapshot %s cannot be found.", id)
			}
			delete(v.ImageMetadata, unset)
		}
		if len(set) > 0 {
			if v.Status == StatusMaintenance {
				return invalidVolume("Updating volume metadata is not allowed for volumes in maintenance status.")
			}
			if v.ImageMetadata == nil {
				v.ImageMetadata = map[string]string{}
			}
			for k, val := range set {
				v.ImageMetadata[k] = val
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if v.ImageMetadata == nil {
		return map[string]string{}, nil
	}
	return v.ImageMetadata, nil
}

func (s *Service) setImageMetadataAction(w http.ResponseWriter, r *http.Request, id string, o object) error {
	if !o.has("metadata") {
		return validation(o.path, o.raw(), "'metadata' is a required property")
	}
	m, err := o.metadata("metadata")
	if err != nil {
		return err
	}
	all, err := s.ImageMetadata(r.Context(), principal(r), id, m, "")
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"metadata": all})
}

func (s *Service) unsetImageMetadataAction(w http.ResponseWriter, r *http.Request, id string, o object) error {
	key, _, err := o.str("key")
	if err != nil {
		return err
	}
	if key == nil || *key == "" {
		return validation(o.path, o.raw(), "'key' is a required property")
	}
	if _, err := s.ImageMetadata(r.Context(), principal(r), id, nil, *key); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Service) showImageMetadataAction(w http.ResponseWriter, r *http.Request, id string, o object) error {
	v, err := s.Volume(r.Context(), principal(r), id)
	if err != nil {
		return err
	}
	m := v.ImageMetadata
	if m == nil {
		m = map[string]string{}
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"metadata": m})
}
