package compute

import (
	"net/http"

	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/store"
)

// os-instance-actions on the wire; the actions are in instance_action.go.

func actionView(r *http.Request, serverID string, a InstanceAction) map[string]any {
	v := map[string]any{"action": a.Action, "instance_uuid": serverID, "request_id": a.RequestID, "user_id": a.UserID,
		"project_id": a.ProjectID, "start_time": naiveTime(store.Time(a.Start)), "message": a.Message}
	if atLeast(r, 58) {
		v["updated_at"] = naiveTime(store.Time(a.Updated))
	}
	return v
}

// actionEventView shows an event; the traceback and host only to an
// admin, the host id from 2.62.
func actionEventView(r *http.Request, sv *Server, e ActionEvent) map[string]any {
	admin := principal(r).IsAdmin()
	v := map[string]any{"event": e.Name, "start_time": naiveTime(store.Time(e.Start)), "result": e.Result, "finish_time": nil}
	if e.Finish != nil {
		v["finish_time"] = naiveTime(store.Time(*e.Finish))
	}
	if admin {
		v["traceback"] = e.Traceback
	}
	if atLeast(r, 62) {
		hs := ""
		if e.Host != nil {
			hs = *e.Host
		}
		if admin {
			v["host"] = hs
		}
		v["hostId"] = (&Server{ProjectID: sv.ProjectID, Host: e.Host}).HostID()
	}
	return v
}

func (s *Service) listInstanceActions(w http.ResponseWriter, r *http.Request) error {
	sv, list, err := s.InstanceActions(r.Context(), principal(r), r.PathValue("server_id"), atLeast(r, 21))
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, a := range list {
		out = append(out, actionView(r, sv.ID, a))
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"instanceActions": out})
}

func (s *Service) getInstanceAction(w http.ResponseWriter, r *http.Request) error {
	sv, a, events, err := s.InstanceAction(r.Context(), principal(r), r.PathValue("server_id"), r.PathValue("request_id"), atLeast(r, 21), atLeast(r, 51))
	if err != nil {
		return err
	}
	v := actionView(r, sv.ID, *a)
	if events != nil {
		out := []map[string]any{}
		for _, e := range events {
			out = append(out, actionEventView(r, sv, e))
		}
		v["events"] = out
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"instanceAction": v})
}
