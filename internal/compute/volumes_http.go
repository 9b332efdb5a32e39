package compute

import (
	"net/http"
	"strconv"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// tagged is the view of 2.70 on (tag, always null here: stratus keeps no
// device tags).
func attachmentBody(r *http.Request, serverID string, a AttachedVolume) map[string]any {
	v := volumeAttachmentView(serverID, a, atLeast(r, 79))
	if atLeast(r, 70) {
		v["tag"] = nil
	}
	return v
}

func (s *Service) listVolumeAttachments(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("server_id")
	list, err := s.VolumeAttachments(r.Context(), principal(r), id)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if o, err := strconv.Atoi(q.Get("offset")); err == nil && o > 0 {
		list = list[min(o, len(list)):]
	}
	if l, err := strconv.Atoi(q.Get("limit")); err == nil && l >= 0 && l < len(list) {
		list = list[:l]
	}
	out := make([]map[string]any, 0, len(list))
	for _, a := range list {
		out = append(out, attachmentBody(r, id, a))
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"volumeAttachments": out})
}

func (s *Service) getVolumeAttachment(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("server_id")
	a, err := s.VolumeAttachment(r.Context(), principal(r), id, r.PathValue("volume_id"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"volumeAttachment": attachmentBody(r, id, *a)})
}

// attachVolume is POST /servers/{id}/os-volume_attachments: volumeId,
// device (null or K5's "auto" for the next free one), delete_on_termination (2.79).
func (s *Service) attachVolume(w http.ResponseWriter, r *http.Request) error {
	_, m, err := body(r, "volumeAttachment")
	if err != nil {
		return err
	}
	allowed := []string{"volumeId", "device"}
	if atLeast(r, 49) {
		allowed = append(allowed, "tag")
	}
	if atLeast(r, 79) {
		allowed = append(allowed, "delete_on_termination")
	}
	if err := required("volumeAttachment", m, "volumeId"); err != nil {
		return err
	}
	if err := only("volumeAttachment", m, allowed...); err != nil {
		return err
	}
	vid, _, err := str(m, "volumeId")
	if err != nil {
		return err
	}
	if !isUUID(vid) {
		return schemaErr("volumeId", vid, pyRepr(vid)+" is not a 'uuid'")
	}
	device := ""
	if d, ok := m["device"]; ok && d != nil {
		if device, _, err = str(m, "device"); err != nil {
			return err
		}
		if device == "auto" {
			device = ""
		}
	}
	if t, ok := m["tag"]; ok && t != nil {
		return fault.Invalidf("Tagged volume attachment is not supported for this server instance.")
	}
	dot := false
	if v, ok := m["delete_on_termination"]; ok {
		if dot, err = boolValue("delete_on_termination", v); err != nil {
			return err
		}
	}
	id := r.PathValue("server_id")
	a, err := s.AttachVolume(r.Context(), principal(r), id, vid, device, dot, httpapi.RequestID(r.Context()))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"volumeAttachment": attachmentBody(r, id, *a)})
}

// updateVolumeAttachment is PUT: from 2.85 it changes
// delete_on_termination; swapping volumes (a different volumeId, or any
// PUT before 2.85) is an admin API that stratus does not implement.
func (s *Service) updateVolumeAttachment(w http.ResponseWriter, r *http.Request) error {
	_, m, err := body(r, "volumeAttachment")
	if err != nil {
		return err
	}
	id, vid := r.PathValue("server_id"), r.PathValue("volume_id")
	newID, _, err := str(m, "volumeId")
	if err != nil {
		return err
	}
	if !atLeast(r, 85) || newID != vid {
		return s.SwapVolume(r.Context(), principal(r), id, vid, newID)
	}
	if s.vols == nil {
		return noBlockStorage()
	}
	a, err := s.VolumeAttachment(r.Context(), principal(r), id, vid)
	if err != nil {
		return err
	}
	for k, want := range map[string]string{"id": vid, "serverId": id, "device": a.Device} {
		if v, ok := m[k]; ok && v != want {
			return fault.Invalidf("The %s property is not mutable", k)
		}
	}
	if v, ok := m["delete_on_termination"]; ok {
		dot, err := boolValue("delete_on_termination", v)
		if err != nil {
			return err
		}
		if err := s.SetAttachmentDeleteOnTermination(r.Context(), principal(r), id, vid, dot); err != nil {
			return err
		}
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

func (s *Service) detachVolume(w http.ResponseWriter, r *http.Request) error {
	err := s.DetachVolume(r.Context(), principal(r), r.PathValue("server_id"), r.PathValue("volume_id"), httpapi.RequestID(r.Context()))
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}
