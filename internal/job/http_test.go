package job

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/store/storetest"
)

func TestAdminListing(t *testing.T) {
	db := storetest.Open(t)
	resources(t, db)
	e := New(Options{DB: db, Node: "n1"})
	e.Register(Kind{Name: "test.x", Handler: func(context.Context, *Run) error { return nil }})
	id := submit(t, e, "test.x", "p1", "a", map[string]string{"password": "c2VjcmV0"})
	submit(t, e, "test.x", "p2", "b", nil)
	for _, rt := range e.Routes() {
		if rt.Policy.Name != "admin" {
			t.Errorf("%s %s policy %s", rt.Method, rt.Pattern, rt.Policy.Name)
		}
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/stratus/v1/jobs?project_id=p1", nil)
	if err := e.listJobsHTTP(rec, req); err != nil {
		t.Fatal(err)
	}
	var list struct{ Jobs []jobBody }
	json.Unmarshal(rec.Body.Bytes(), &list)
	if len(list.Jobs) != 1 || list.Jobs[0].ID != id || list.Jobs[0].State != Queued {
		t.Fatalf("list %s", rec.Body)
	}
	if strings.Contains(rec.Body.String(), "c2VjcmV0") {
		t.Fatal("job input (secrets) shown")
	}
	req = httptest.NewRequest("GET", "/stratus/v1/jobs/nope", nil)
	req.SetPathValue("job_id", "nope")
	if err := e.getJobHTTP(httptest.NewRecorder(), req); fault.KindOf(err) != fault.NotFound {
		t.Fatalf("missing job: %v", err)
	}
	req = httptest.NewRequest("GET", "/stratus/v1/jobs?limit=x", nil)
	if err := e.listJobsHTTP(httptest.NewRecorder(), req); fault.KindOf(err) != fault.Invalid {
		t.Fatalf("bad limit: %v", err)
	}
}
