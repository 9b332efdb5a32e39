package image

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/job"
)

// ImportMethodsHeader lists the import methods on image create replies.
const ImportMethodsHeader = "OpenStack-image-import-methods"

// importInfo is GET /v2/info/import.
func (s *Service) importInfo(w http.ResponseWriter, r *http.Request) error {
	methods := []string{}
	if s.jobs != nil {
		methods = ImportMethods
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"import-methods": map[string]any{
		"description": "Import methods available.", "type": "array", "value": methods}})
}

// stageImageData is PUT /v2/images/{image_id}/stage → 204.
func (s *Service) stageImageData(w http.ResponseWriter, r *http.Request) error {
	if s.jobs == nil {
		return fault.NotFoundf("The resource could not be found.")
	}
	size := int64(-1)
	if r.ContentLength >= 0 {
		size = r.ContentLength
	}
	if err := s.Stage(r.Context(), principal(r), r.PathValue("image_id"), r.Body, size); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// importImage is POST /v2/images/{image_id}/import → 202.
func (s *Service) importImage(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		return fault.Invalidf("%s", httpapi.Glance.MalformedBody())
	}
	if _, err := s.ImportImage(r.Context(), principal(r), r.PathValue("image_id"), raw, body); err != nil {
		return err
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// taskBody is a Glance task.
type taskBody struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	Status    string          `json:"status"`
	Owner     string          `json:"owner"`
	Input     json.RawMessage `json:"input,omitempty"`
	Result    json.RawMessage `json:"result"`
	Message   string          `json:"message"`
	Progress  int             `json:"progress"`
	ImageID   string          `json:"image_id,omitempty"`
	RequestID string          `json:"request_id,omitempty"`
	UserID    string          `json:"user_id,omitempty"`
	CreatedAt string          `json:"created_at"`
	UpdatedAt string          `json:"updated_at"`
	ExpiresAt *string         `json:"expires_at,omitempty"`
	Self      string          `json:"self"`
	Schema    string          `json:"schema"`
}

// taskStatus is Glance's task status of a job state.
func taskStatus(st job.State) string {
	switch st {
	case job.Queued:
		return "pending"
	case job.Running, job.Cancelling:
		return "processing"
	case job.Succeeded:
		return "success"
	}
	return "failure"
}

func (s *Service) taskToWire(j *job.Job, full bool) taskBody {
	b := taskBody{ID: j.ID, Type: "api_image_import", Status: taskStatus(j.State), Owner: j.Project, Message: j.Message,
		Progress: j.Progress, CreatedAt: glanceTime(j.CreatedAt), UpdatedAt: glanceTime(j.UpdatedAt),
		Self: "/v2/tasks/" + j.ID, Schema: "/v2/schemas/task", Result: json.RawMessage("null")}
	if !j.FinishedAt.IsZero() {
		e := glanceTime(j.FinishedAt.Add(s.jobs.Retention()))
		b.ExpiresAt = &e
	}
	if !full {
		return b
	}
	var in importJobInput
	if j.DecodeInput(&in) == nil {
		b.Input, _ = json.Marshal(map[string]any{"image_id": in.ImageID, "import_req": in.ImportReq, "backend": in.Backend})
		b.RequestID = in.RequestID
	}
	if len(j.Result) > 0 {
		b.Result = j.Result
	}
	b.ImageID, b.UserID = j.ResourceID, j.User
	return b
}

// listImageTasks is GET /v2/images/{image_id}/tasks.
func (s *Service) listImageTasks(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("image_id")
	if _, err := s.Image(r.Context(), principal(r), id); err != nil {
		return err
	}
	out := []taskBody{}
	if s.jobs != nil {
		jobs, err := s.jobs.List(r.Context(), job.Filter{ResourceType: "image", ResourceID: id, Kinds: []string{KindGlanceImport}})
		if err != nil {
			return err
		}
		for _, j := range jobs {
			out = append(out, s.taskToWire(j, true))
		}
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"tasks": out})
}

// listTasks is GET /v2/tasks: the caller's project's tasks (every
// project's for an admin), newest first.
func (s *Service) listTasks(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	f := job.Filter{Kinds: []string{KindGlanceImport}, Limit: 25}
	if !p.IsAdmin() {
		f.Project = p.ProjectID
	}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fault.Invalidf("limit param must be an integer")
		}
		f.Limit = min(max(n, 1), 1000)
	}
	if v := r.URL.Query().Get("status"); v != "" {
		f.States = taskStates(v)
	}
	out := []taskBody{}
	if s.jobs != nil {
		jobs, err := s.jobs.List(r.Context(), f)
		if err != nil {
			return err
		}
		for _, j := range jobs {
			out = append(out, s.taskToWire(j, false))
		}
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"tasks": out, "first": "/v2/tasks", "schema": "/v2/schemas/tasks"})
}

func taskStates(status string) []job.State {
	switch strings.ToLower(status) {
	case "pending":
		return []job.State{job.Queued}
	case "processing":
		return []job.State{job.Running, job.Cancelling}
	case "success":
		return []job.State{job.Succeeded}
	case "failure":
		return []job.State{job.Failed, job.Cancelled}
	}
	return []job.State{"none"}
}

// getTask is GET /v2/tasks/{task_id}.
func (s *Service) getTask(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	project := p.ProjectID
	if p.IsAdmin() {
		project = ""
	}
	id := r.PathValue("task_id")
	if s.jobs == nil {
		return fault.NotFoundf("Task with the given id %s not found", id)
	}
	j, err := s.jobs.Get(r.Context(), project, id)
	if errors.Is(err, job.ErrNotFound) || (err == nil && j.Kind != KindGlanceImport) {
		return fault.NotFoundf("Task with the given id %s not found", id)
	}
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, s.taskToWire(j, true))
}
