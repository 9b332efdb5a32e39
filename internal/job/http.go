package job

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// Routes are the admin-only debugging views, mounted under /stratus:
// GET /v1/jobs (?project_id=&kind=&state=&resource_id=&limit=&offset=)
// and GET /v1/jobs/{job_id}. OpenStack dialects show job state on their
// own resources instead.
func (e *Engine) Routes() []httpapi.Route {
	return []httpapi.Route{
		{Method: http.MethodGet, Pattern: "/v1/jobs", Policy: policy.Admin, Handler: e.listJobsHTTP},
		{Method: http.MethodGet, Pattern: "/v1/jobs/{job_id}", Policy: policy.Admin, Handler: e.getJobHTTP},
	}
}

type jobBody struct {
	ID           string          `json:"id"`
	Kind         string          `json:"kind"`
	ProjectID    string          `json:"project_id"`
	UserID       string          `json:"user_id"`
	ResourceType string          `json:"resource_type"`
	ResourceID   string          `json:"resource_id"`
	State        State           `json:"state"`
	Progress     int             `json:"progress"`
	BytesDone    int64           `json:"bytes_done"`
	BytesTotal   int64           `json:"bytes_total"`
	Message      string          `json:"message,omitempty"`
	Code         string          `json:"error_code,omitempty"`
	Result       json.RawMessage `json:"result,omitempty"`
	Attempt      int             `json:"attempt"`
	LeaseOwner   string          `json:"lease_owner,omitempty"`
	CreatedAt    string          `json:"created_at"`
	UpdatedAt    string          `json:"updated_at"`
	StartedAt    string          `json:"started_at,omitempty"`
	FinishedAt   string          `json:"finished_at,omitempty"`
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// toBody leaves the input out: it may hold secrets (K5 import passwords).
func toBody(j *Job) jobBody {
	return jobBody{ID: j.ID, Kind: j.Kind, ProjectID: j.Project, UserID: j.User, ResourceType: j.ResourceType,
		ResourceID: j.ResourceID, State: j.State, Progress: j.Progress, BytesDone: j.BytesDone, BytesTotal: j.BytesTotal,
		Message: j.Message, Code: j.Code, Result: j.Result, Attempt: j.Attempt, LeaseOwner: j.LeaseOwner,
		CreatedAt: stamp(j.CreatedAt), UpdatedAt: stamp(j.UpdatedAt), StartedAt: stamp(j.StartedAt), FinishedAt: stamp(j.FinishedAt)}
}

func (e *Engine) listJobsHTTP(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := Filter{Project: q.Get("project_id"), ResourceID: q.Get("resource_id"), Limit: 100}
	if k := q.Get("kind"); k != "" {
		f.Kinds = []string{k}
	}
	if s := q.Get("state"); s != "" {
		f.States = []State{State(s)}
	}
	for name, dst := range map[string]*int{"limit": &f.Limit, "offset": &f.Offset} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return fault.Invalidf("Invalid %s %q.", name, v)
			}
			*dst = n
		}
	}
	jobs, err := e.List(r.Context(), f)
	if err != nil {
		return err
	}
	out := make([]jobBody, 0, len(jobs))
	for _, j := range jobs {
		out = append(out, toBody(j))
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"jobs": out})
}

func (e *Engine) getJobHTTP(w http.ResponseWriter, r *http.Request) error {
	j, err := e.Get(r.Context(), "", r.PathValue("job_id"))
	if errors.Is(err, ErrNotFound) {
		return fault.NotFoundf("No job found with ID %s", r.PathValue("job_id"))
	}
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"job": toBody(j)})
}
