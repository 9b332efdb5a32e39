package volume

import (
	"net/http"

	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
)

func principal(r *http.Request) *policy.Principal { return policy.FromContext(r.Context()) }

// createOpts reads a create body. The source volume has three spellings
// in K5 2.1.6.17 (source_volid in its example, source_vol_id in its table,
// source_volume_id in its response table): all are accepted.
func createOpts(o object) (CreateOpts, error) {
	var c CreateOpts
	var err error
	if c.Name, err = o.text("name", "display_name"); err != nil {
		return c, err
	}
	if c.Description, err = o.text("description", "display_description"); err != nil {
		return c, err
	}
	if c.Size, _, err = o.size("size"); err != nil {
		return c, err
	}
	if c.Metadata, err = o.metadata("metadata"); err != nil {
		return c, err
	}
	strs := []struct {
		dst  *string
		keys []string
	}{
		{&c.VolumeType, []string{"volume_type"}},
		{&c.AvailabilityZone, []string{"availability_zone"}},
		{&c.SnapshotID, []string{"snapshot_id"}},
		{&c.SourceVolID, []string{"source_volid", "source_vol_id", "source_volume_id"}},
		{&c.ImageRef, []string{"imageRef", "image_id"}},
	}
	for _, f := range strs {
		for _, k := range f.keys {
			s, _, err := o.str(k)
			if err != nil {
				return c, err
			}
			if s != nil && *s != "" {
				*f.dst = *s
				break
			}
		}
	}
	for _, k := range []string{"snapshot_id", "source_volid"} {
		if s, _, _ := o.str(k); s != nil && !isUUID(*s) {
			return c, validation(o.path+"/"+k, *s, "'"+*s+"' is not a 'uuid'")
		}
	}
	if multi, _, err := o.boolean("multiattach"); err != nil || multi {
		if err != nil {
			return c, err
		}
		return c, invalidInput("multiattach parameter has been removed. The default behavior is to use multiattach " +
			"enabled volume types. Contact your administrator to create a multiattach enabled volume type and use it to create multiattach volumes.")
	}
	return c, nil
}

func (s *Service) createVolumeHTTP(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeBody(r, "volume")
	if err != nil {
		return err
	}
	opts, err := createOpts(o)
	if err != nil {
		return err
	}
	v, err := s.CreateVolume(r.Context(), principal(r), opts)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusAccepted, map[string]any{"volume": volumeDetail(r, v)})
}

func (s *Service) showVolumeHTTP(w http.ResponseWriter, r *http.Request) error {
	v, err := s.Volume(r.Context(), principal(r), r.PathValue("volume_id"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"volume": volumeShow(r, v)})
}

func (s *Service) listVolumesHTTP(detail bool) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		lq, err := parseListQuery(r.URL.Query(), volumeSortKeys)
		if err != nil {
			return err
		}
		vs, err := s.ListVolumes(r.Context(), principal(r), lq)
		if err != nil {
			return err
		}
		body := map[string]any{}
		if detail {
			out := make([]volumeWire, 0, len(vs))
			for _, v := range vs {
				out = append(out, volumeShow(r, v))
			}
			body["volumes"] = out
		} else {
			out := make([]volumeSummary, 0, len(vs))
			for _, v := range vs {
				out = append(out, volumeSummary{ID: v.ID, Links: links(r, "volumes", v.ID), Name: v.Name})
			}
			body["volumes"] = out
		}
		if len(vs) > 0 && len(vs) == lq.limit {
			body["volumes_links"] = nextLink(r, collection("volumes", detail), vs[len(vs)-1].ID)
		}
		return httpapi.WriteJSON(w, http.StatusOK, body)
	}
}

func (s *Service) updateVolumeHTTP(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeBody(r, "volume")
	if err != nil {
		return err
	}
	if err := o.only("name", "description", "display_name", "display_description", "metadata"); err != nil {
		return err
	}
	var u VolumeUpdate
	if u.Name, err = o.text("name", "display_name"); err != nil {
		return err
	}
	if u.Description, err = o.text("description", "display_description"); err != nil {
		return err
	}
	if u.Metadata, err = o.metadata("metadata"); err != nil {
		return err
	}
	v, err := s.UpdateVolume(r.Context(), principal(r), r.PathValue("volume_id"), u)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"volume": volumeDetail(r, v)})
}

func (s *Service) deleteVolumeHTTP(w http.ResponseWriter, r *http.Request) error {
	cascade, _ := parseBool(r.URL.Query().Get("cascade"))
	if err := s.DeleteVolume(r.Context(), principal(r), r.PathValue("volume_id"), false, cascade); err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}
