package imports

import (
	"net/http"

	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// startExport is POST /v1/imageexport → 202 {"export_id"}.
func (s *Service) startExport(w http.ResponseWriter, r *http.Request) error {
	p := policy.FromContext(r.Context())
	if p == nil || p.ProjectID == "" {
		return errNoProjectExport
	}
	if !canRun(p) {
		return errForbidden
	}
	raw, err := readBody(r)
	if err != nil {
		return err
	}
	req, err := parseExportRequest(raw)
	if err != nil {
		return err
	}
	id, err := s.StartExport(r.Context(), p, req)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusAccepted, map[string]string{"export_id": id})
}

// getExportStatus is GET /v1/imageexport/{export_id}/status.
func (s *Service) getExportStatus(w http.ResponseWriter, r *http.Request) error {
	ex, err := s.ExportStatus(r.Context(), policy.FromContext(r.Context()), r.PathValue("export_id"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, exportToWire(ex))
}

func exportToWire(ex *Export) exportStatusBody {
	b := exportStatusBody{ExportStatus: exportState(ex.Job.State), Progress: ex.Job.Progress, ImageID: ex.Req.ImageID,
		ImageName: ex.Req.ImageName, StorageContainer: ex.Req.StorageContainer, RequestTime: k5Time(ex.Job.CreatedAt)}
	if b.ExportStatus == "failed" {
		msg := ex.Job.Message
		if msg == "" {
			msg = msgExportStopped
		}
		b.ErrorMessage = &msg
	}
	return b
}

// listExports is GET /v1/imageexport{?start,limit}: newest first, at most 200.
func (s *Service) listExports(w http.ResponseWriter, r *http.Request) error {
	p := policy.FromContext(r.Context())
	if !canRun(p) || p.ProjectID == "" {
		return errForbidden
	}
	q := r.URL.Query()
	start, limit, err := parseStartLimit(q.Get("start"), q.Get("limit"), 200)
	if err != nil {
		return err
	}
	exs, err := s.ListExports(r.Context(), p, start, limit)
	if err != nil {
		return err
	}
	out := make([]exportListEntry, 0, len(exs))
	for _, ex := range exs {
		out = append(out, exportListEntry{ExportID: ex.Job.ID, ExportStatus: exportState(ex.Job.State),
			Status: "/v1/imageexport/" + ex.Job.ID + "/status", ImageID: ex.Req.ImageID, RequestTime: k5Time(ex.Job.CreatedAt)})
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"exports": out})
}

// cancelExport is POST /v1/imageexport/{export_id}/cancel → 200, no body.
func (s *Service) cancelExport(w http.ResponseWriter, r *http.Request) error {
	if err := s.CancelExport(r.Context(), policy.FromContext(r.Context()), r.PathValue("export_id")); err != nil {
		return err
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}
