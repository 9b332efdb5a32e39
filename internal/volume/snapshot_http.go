package volume

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

var snapshotSortKeys = []string{"created_at", "updated_at", "id", "status", "size", "volume_id", "name", "display_name", "project_id"}

var snapshotFilters = []string{"name", "status", "volume_id", "metadata", "availability_zone"}

func snapshotField(sn *Snapshot, k string) any {
	switch k {
	case "id":
		return sn.ID
	case "created_at":
		return sn.CreatedAt
	case "updated_at":
		return sn.UpdatedAt
	case "status":
		return sn.Status
	case "size":
		return sn.Size
	case "volume_id":
		return sn.VolumeID
	case "name", "display_name":
		return deref(sn.Name)
	case "project_id":
		return sn.ProjectID
	}
	return ""
}

// ListSnapshots lists the snapshots p may see, filtered and paged.
func (s *Service) ListSnapshots(ctx context.Context, p *policy.Principal, lq listQuery) ([]*Snapshot, error) {
	project := p.ProjectID
	allowed := snapshotFilters
	if p.IsAdmin() {
		if v, ok := take(lq.filters, "all_tenants"); ok && v != "0" && v != "false" && v != "False" {
			project = ""
		}
		allowed = append(allowed[:len(allowed):len(allowed)], "project_id")
	}
	all, err := listSnapshots(ctx, s.r, project)
	if err != nil {
		return nil, err
	}
	var out []*Snapshot
	for _, sn := range all {
		ok := true
		for _, k := range allowed {
			if _, set := lq.filters[k]; !set {
				continue
			}
			want := lq.filters.Get(k)
			switch k {
			case "metadata":
				m, good := metadataFilter(want)
				ok = ok && good && hasAll(sn.Metadata, m)
			case "availability_zone":
				ok = ok && sn.AvailabilityZone == want
			default:
				ok = ok && snapshotField(sn, k) == any(want)
			}
		}
		if ok {
			out = append(out, sn)
		}
	}
	var marker *Snapshot
	if lq.marker != "" {
		m, err := getSnapshot(ctx, s.r, project, lq.marker)
		if errors.Is(err, store.ErrNotFound) {
			return nil, snapshotNotFound(lq.marker)
		}
		if err != nil {
			return nil, err
		}
		marker = m
	}
	return paginate(out, lq, marker, marker != nil, snapshotField), nil
}

func (s *Service) listSnapshotsHTTP(detail bool) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		lq, err := parseListQuery(r.URL.Query(), snapshotSortKeys)
		if err != nil {
			return err
		}
		sns, err := s.ListSnapshots(r.Context(), principal(r), lq)
		if err != nil {
			return err
		}
		out := make([]snapshotWire, 0, len(sns))
		for _, sn := range sns {
			out = append(out, snapshotView(r, sn, detail))
		}
		body := map[string]any{"snapshots": out}
		if len(sns) > 0 && len(sns) == lq.limit {
			body["snapshots_links"] = nextLink(r, collection("snapshots", detail), sns[len(sns)-1].ID)
		}
		return httpapi.WriteJSON(w, http.StatusOK, body)
	}
}

func (s *Service) createSnapshotHTTP(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeBody(r, "snapshot")
	if err != nil {
		return err
	}
	var opts SnapshotOpts
	vid, present, err := o.str("volume_id")
	if err != nil {
		return err
	}
	if !present {
		return validation("snapshot", o.raw(), "'volume_id' is a required property")
	}
	if vid == nil {
		return volumeNotFound("None") // Cinder looks the null id up
	}
	opts.VolumeID = *vid
	if opts.Name, err = o.text("name", "display_name"); err != nil {
		return err
	}
	if opts.Description, err = o.text("description", "display_description"); err != nil {
		return err
	}
	if opts.Force, _, err = o.boolean("force"); err != nil {
		return err
	}
	if opts.Metadata, err = o.metadata("metadata"); err != nil {
		return err
	}
	sn, err := s.CreateSnapshot(r.Context(), principal(r), opts)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusAccepted, map[string]any{"snapshot": snapshotView(r, sn, false)})
}

func (s *Service) showSnapshotHTTP(w http.ResponseWriter, r *http.Request) error {
	sn, err := s.Snapshot(r.Context(), principal(r), r.PathValue("snapshot_id"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"snapshot": snapshotView(r, sn, true)})
}

func (s *Service) updateSnapshotHTTP(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeBody(r, "snapshot")
	if err != nil {
		return err
	}
	if err := o.only("name", "description", "display_name", "display_description"); err != nil {
		return err
	}
	var u SnapshotUpdate
	if u.Name, err = o.text("name", "display_name"); err != nil {
		return err
	}
	if u.Description, err = o.text("description", "display_description"); err != nil {
		return err
	}
	if len(o.m) == 0 {
		return fault.Invalidf("Invalid input for field/attribute snapshot. Value: {}. {} does not have enough properties")
	}
	sn, err := s.UpdateSnapshot(r.Context(), principal(r), r.PathValue("snapshot_id"), u)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"snapshot": snapshotView(r, sn, false)})
}

func (s *Service) deleteSnapshotHTTP(w http.ResponseWriter, r *http.Request) error {
	if err := s.DeleteSnapshot(r.Context(), principal(r), r.PathValue("snapshot_id"), false); err != nil {
		return err
	}
	return accepted(w)
}

// snapshotActionHTTP serves K5's fcx-restore and Cinder's snapshot
// actions (os-reset_status and os-force_delete for admins).
func (s *Service) snapshotActionHTTP(w http.ResponseWriter, r *http.Request) error {
	name, raw, err := decodeAction(r)
	if err != nil {
		return err
	}
	id, p := r.PathValue("snapshot_id"), principal(r)
	switch name {
	case "fcx-restore":
		if err := s.RestoreSnapshot(r.Context(), p, id); err != nil {
			return err
		}
		return accepted(w)
	case "os-update_snapshot_status":
		o, st, err := statusBody(name, raw)
		if err != nil {
			return err
		}
		progress, _, err := o.str("progress")
		if err != nil {
			return err
		}
		if err := s.UpdateSnapshotStatus(r.Context(), p, id, st, deref(progress)); err != nil {
			return err
		}
		return accepted(w)
	case "os-reset_status", "os-force_delete":
		if !p.IsAdmin() {
			return fault.Forbiddenf("Policy doesn't allow volume_extension:snapshot_admin_actions:%s to be performed.", name[3:])
		}
	default:
		return fault.Invalidf("There is no such action: %s", name)
	}
	if name == "os-force_delete" {
		if err := s.DeleteSnapshot(r.Context(), p, id, true); err != nil {
			return err
		}
		return accepted(w)
	}
	_, st, err := statusBody(name, raw)
	if err != nil {
		return err
	}
	if err := s.ResetSnapshotStatus(r.Context(), p, id, st); err != nil {
		return err
	}
	return accepted(w)
}

// statusBody reads a snapshot status action's body, whose "status" is
// required.
func statusBody(name string, raw json.RawMessage) (object, string, error) {
	o, err := toObject(name, raw)
	if err != nil {
		return object{}, "", err
	}
	st, _, err := o.str("status")
	if err != nil {
		return object{}, "", err
	}
	if st == nil {
		return object{}, "", validation(name, o.raw(), "'status' is a required property")
	}
	return o, *st, nil
}
