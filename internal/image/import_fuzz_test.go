package image

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stratus-iaas/stratus/internal/job"
)

// FuzzGlanceImport sends client bodies to POST /v2/images/{id}/import and
// /stage and queries to /v2/tasks: every answer is below 500, and a
// web-download URI that passes validation passes the filter too.
func FuzzGlanceImport(f *testing.F) {
	e := newEnvTB(f)
	e.svc.jobs = job.New(job.Options{DB: e.svc.db, Node: "fuzz"}) // never started: imports stay queued
	e.svc.jobs.Register(job.Kind{Name: KindGlanceImport, Handler: e.svc.runGlanceImport})
	send := func(method, path, body string) (int, string) {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Auth-Token", "alice")
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, req)
		return w.Code, w.Body.String()
	}
	code, body := send("POST", "/image/v2/images", `{"id":"11111111-2222-3333-4444-555555555555","disk_format":"qcow2","container_format":"bare"}`)
	if code != 201 {
		f.Fatalf("seed image: %d %s", code, body)
	}
	f.Add(`{"method":{"name":"web-download","uri":"http://example.com/x.qcow2"}}`, "limit=3&status=success")
	f.Add(`{"method":{"name":"glance-direct"},"all_stores":true,"stores":["a"]}`, "status=pending")
	f.Add(`{"method":{"name":"web-download","uri":"http://[::ffff:127.0.0.1]:80/"}}`, "limit=-1")
	f.Add(`{"method":"x"}`, "")
	f.Fuzz(func(t *testing.T, body, query string) {
		if strings.ContainsAny(query, " #") || strings.ContainsFunc(query, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return
		}
		for _, c := range [][3]string{
			{"POST", "/image/v2/images/11111111-2222-3333-4444-555555555555/import", body},
			{"GET", "/image/v2/tasks?" + query, ""},
			{"GET", "/image/v2/images/11111111-2222-3333-4444-555555555555/tasks", ""},
		} {
			if code, b := send(c[0], c[1], c[2]); code >= 500 {
				t.Fatalf("%s %s %q: %d %s", c[0], c[1], c[2], code, b)
			}
		}
	})
}
