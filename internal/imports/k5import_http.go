package imports

import (
	"errors"
	"io"
	"net/http"

	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// readBody reads a request body whole (the route's limit applies).
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, err
	}
	return b, err
}

// registerImport is POST /v1/imageimport → 201 {"import_id"}.
func (s *Service) registerImport(w http.ResponseWriter, r *http.Request) error {
	p := policy.FromContext(r.Context())
	if p == nil || p.ProjectID == "" {
		return errNoProjectImport
	}
	if !canRun(p) {
		return errForbidden
	}
	raw, err := readBody(r)
	if err != nil {
		return err
	}
	req, err := parseImportRequest(raw)
	if err != nil {
		return err
	}
	id, err := s.RegisterImport(r.Context(), p, req)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusCreated, map[string]string{"import_id": id})
}

// getImportStatus is GET /v1/imageimport/{import_id}/status.
func (s *Service) getImportStatus(w http.ResponseWriter, r *http.Request) error {
	im, err := s.ImportStatus(r.Context(), policy.FromContext(r.Context()), r.PathValue("import_id"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, importToWire(im))
}

// listImports is GET /v1/imageimport{?start,limit}: newest first, at most 100.
func (s *Service) listImports(w http.ResponseWriter, r *http.Request) error {
	p := policy.FromContext(r.Context())
	if !canRun(p) || p.ProjectID == "" {
		return errForbidden
	}
	q := r.URL.Query()
	start, limit, err := parseStartLimit(q.Get("start"), q.Get("limit"), 100)
	if err != nil {
		return err
	}
	jobs, err := s.ListImports(r.Context(), p, start, limit)
	if err != nil {
		return err
	}
	out := make([]importListEntry, 0, len(jobs))
	for _, j := range jobs {
		out = append(out, importListEntry{ImportID: j.ID, ImportStatus: importState(j.State),
			Status: "/v1/imageimport/" + j.ID + "/status"})
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"imports": out})
}
