package image

import (
	"net/http"

	"github.com/stratus-iaas/stratus/internal/httpapi"
)

func (s *Service) createMember(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Member *string `json:"member"`
	}
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		return err
	}
	if req.Member == nil {
		return schemaErr("member", "'member' is a required property")
	}
	m, err := s.AddMember(r.Context(), principal(r), r.PathValue("image_id"), *req.Member)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, memberToWire(m))
}

func (s *Service) listMembers(w http.ResponseWriter, r *http.Request) error {
	ms, err := s.ListMembers(r.Context(), principal(r), r.PathValue("image_id"))
	if err != nil {
		return err
	}
	out := make([]memberBody, len(ms))
	for i, m := range ms {
		out[i] = memberToWire(m)
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"members": out, "schema": "/v2/schemas/members"})
}

func (s *Service) getMember(w http.ResponseWriter, r *http.Request) error {
	m, err := s.GetMember(r.Context(), principal(r), r.PathValue("image_id"), r.PathValue("member_id"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, memberToWire(m))
}

func (s *Service) updateMember(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Status *string `json:"status"`
	}
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		return err
	}
	if req.Status == nil {
		return schemaErr("member", "'status' is a required property")
	}
	m, err := s.UpdateMember(r.Context(), principal(r), r.PathValue("image_id"), r.PathValue("member_id"), *req.Status)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, memberToWire(m))
}

func (s *Service) deleteMember(w http.ResponseWriter, r *http.Request) error {
	if err := s.DeleteMember(r.Context(), principal(r), r.PathValue("image_id"), r.PathValue("member_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
