package volume

import (
	"net/http"

	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// NovaRoutes are Nova's volume extension (os-volumes, os-snapshots), with
// patterns relative to a compute API prefix: the compute service serves
// them under /v2.1, K5's /v2/{tenant_id} and /v1.1/{tenant_id} (K5
// 2.1.6.7–2.1.6.16), with Nova's camelCase bodies.
func (s *Service) NovaRoutes() []httpapi.Route {
	read, write := policy.ProjectReader, policy.ProjectMember
	return []httpapi.Route{
		{Method: http.MethodGet, Pattern: "/os-volumes", Policy: read, Handler: s.novaListVolumes},
		{Method: http.MethodGet, Pattern: "/os-volumes/detail", Policy: read, Handler: s.novaListVolumes},
		{Method: http.MethodPost, Pattern: "/os-volumes", Policy: write, Handler: s.novaCreateVolume},
		{Method: http.MethodGet, Pattern: "/os-volumes/{volume_id}", Policy: read, Handler: s.novaShowVolume},
		{Method: http.MethodDelete, Pattern: "/os-volumes/{volume_id}", Policy: write, Handler: s.novaDeleteVolume},
		{Method: http.MethodGet, Pattern: "/os-snapshots", Policy: read, Handler: s.novaListSnapshots(false)},
		{Method: http.MethodGet, Pattern: "/os-snapshots/detail", Policy: read, Handler: s.novaListSnapshots(true)},
		{Method: http.MethodPost, Pattern: "/os-snapshots", Policy: write, Handler: s.novaCreateSnapshot},
		{Method: http.MethodGet, Pattern: "/os-snapshots/{snapshot_id}", Policy: read, Handler: s.novaShowSnapshot},
		{Method: http.MethodDelete, Pattern: "/os-snapshots/{snapshot_id}", Policy: write, Handler: s.novaDeleteSnapshot},
	}
}

type novaAttachment struct {
	ID       string `json:"id"`
	VolumeID string `json:"volumeId"`
	ServerID string `json:"serverId"`
	Device   string `json:"device"`
}

// novaVolume is Nova's volume view (_translate_volume_detail_view).
type novaVolume struct {
	ID                 string            `json:"id"`
	Status             string            `json:"status"`
	Size               int64             `json:"size"`
	AvailabilityZone   string            `json:"availabilityZone"`
	CreatedAt          string            `json:"createdAt"`
	Attachments        []novaAttachment  `json:"attachments"`
	DisplayName        *string           `json:"displayName"`
	DisplayDescription *string           `json:"displayDescription"`
	VolumeType         *string           `json:"volumeType"`
	SnapshotID         *string           `json:"snapshotId"`
	Metadata           map[string]string `json:"metadata"`
}

func novaVolumeView(v *Volume) novaVolume {
	w := novaVolume{ID: v.ID, Status: v.Status, Size: v.Size, AvailabilityZone: v.AvailabilityZone,
		CreatedAt: stamp(v.CreatedAt), Attachments: []novaAttachment{}, DisplayName: v.Name,
		DisplayDescription: v.Description, SnapshotID: ptr(v.SnapshotID), Metadata: v.Metadata}
	if v.Type != nil {
		w.VolumeType = &v.Type.Name
	}
	for _, a := range v.Attachments {
		if a.Status == Attached {
			w.Attachments = append(w.Attachments, novaAttachment{ID: v.ID, VolumeID: v.ID, ServerID: a.ServerID, Device: a.Mountpoint})
		}
	}
	return w
}

// novaSnapshot is Nova's snapshot view; K5 adds availability_zone to the
// detail list and show (2.1.6.14, 2.1.6.15).
type novaSnapshot struct {
	ID                 string  `json:"id"`
	DisplayName        *string `json:"displayName"`
	DisplayDescription *string `json:"displayDescription"`
	VolumeID           string  `json:"volumeId"`
	Status             string  `json:"status"`
	Size               int64   `json:"size"`
	CreatedAt          string  `json:"createdAt"`
	AvailabilityZone   string  `json:"availability_zone,omitempty"`
}

func novaSnapshotView(sn *Snapshot, detail bool) novaSnapshot {
	w := novaSnapshot{ID: sn.ID, DisplayName: sn.Name, DisplayDescription: sn.Description, VolumeID: sn.VolumeID,
		Status: sn.Status, Size: sn.Size, CreatedAt: stamp(sn.CreatedAt)}
	if detail {
		w.AvailabilityZone = sn.AvailabilityZone
	}
	return w
}

func (s *Service) novaListVolumes(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseListQuery(r.URL.Query(), volumeSortKeys)
	if err != nil {
		return err
	}
	vs, err := s.ListVolumes(r.Context(), principal(r), lq)
	if err != nil {
		return err
	}
	out := make([]novaVolume, 0, len(vs))
	for _, v := range vs {
		out = append(out, novaVolumeView(v))
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"volumes": out})
}

// novaCreateVolume is POST os-volumes: Nova's body (display_name,
// display_description, size, volume_type, metadata, availability_zone,
// snapshot_id), 200 with the volume as it is created.
func (s *Service) novaCreateVolume(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeBody(r, "volume")
	if err != nil {
		return err
	}
	opts, err := createOpts(o)
	if err != nil {
		return err
	}
	if opts.Size == 0 && opts.SnapshotID == "" {
		return validation("volume", o.raw(), "'size' is a required property")
	}
	v, err := s.CreateVolume(r.Context(), principal(r), opts)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"volume": novaVolumeView(v)})
}

func (s *Service) novaShowVolume(w http.ResponseWriter, r *http.Request) error {
	v, err := s.Volume(r.Context(), principal(r), r.PathValue("volume_id"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"volume": novaVolumeView(v)})
}

func (s *Service) novaDeleteVolume(w http.ResponseWriter, r *http.Request) error {
	if err := s.DeleteVolume(r.Context(), principal(r), r.PathValue("volume_id"), false, false); err != nil {
		return err
	}
	return accepted(w)
}

func (s *Service) novaListSnapshots(detail bool) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		lq, err := parseListQuery(r.URL.Query(), snapshotSortKeys)
		if err != nil {
			return err
		}
		sns, err := s.ListSnapshots(r.Context(), principal(r), lq)
		if err != nil {
			return err
		}
		out := make([]novaSnapshot, 0, len(sns))
		for _, sn := range sns {
			out = append(out, novaSnapshotView(sn, detail))
		}
		return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"snapshots": out})
	}
}

func (s *Service) novaCreateSnapshot(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeBody(r, "snapshot")
	if err != nil {
		return err
	}
	var opts SnapshotOpts
	vid, _, err := o.str("volume_id")
	if err != nil {
		return err
	}
	if vid == nil {
		return validation("snapshot", o.raw(), "'volume_id' is a required property")
	}
	opts.VolumeID = *vid
	if opts.Name, err = o.text("display_name", "name"); err != nil {
		return err
	}
	if opts.Description, err = o.text("display_description", "description"); err != nil {
		return err
	}
	if opts.Force, _, err = o.boolean("force"); err != nil {
		return err
	}
	sn, err := s.CreateSnapshot(r.Context(), principal(r), opts)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"snapshot": novaSnapshotView(sn, false)})
}

func (s *Service) novaShowSnapshot(w http.ResponseWriter, r *http.Request) error {
	sn, err := s.Snapshot(r.Context(), principal(r), r.PathValue("snapshot_id"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"snapshot": novaSnapshotView(sn, true)})
}

func (s *Service) novaDeleteSnapshot(w http.ResponseWriter, r *http.Request) error {
	if err := s.DeleteSnapshot(r.Context(), principal(r), r.PathValue("snapshot_id"), false); err != nil {
		return err
	}
	return accepted(w)
}
