package image

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzImageAPI sends what a client controls — a list query, a JSON patch,
// a create body, a member body — to the Glance and Nova handlers. Bad
// input is the client's error: every answer must be below 500.
func FuzzImageAPI(f *testing.F) {
	e := newEnvTB(f)
	send := func(method, path, ct, body string) (int, string) {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", ct)
		req.Header.Set("X-Auth-Token", "alice")
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, req)
		return w.Code, w.Body.String()
	}
	code, body := send("POST", "/image/v2/images", "application/json",
		`{"id":"11111111-2222-3333-4444-555555555555","name":"seed","disk_format":"raw","container_format":"bare","visibility":"shared"}`)
	if code != http.StatusCreated {
		f.Fatalf("seed image: %d %s", code, body)
	}
	const id = "11111111-2222-3333-4444-555555555555"
	for _, s := range []struct{ query, patch, create string }{
		{"limit=2&sort=name:asc,created_at:desc", `[{"op":"replace","path":"/name","value":"x"}]`, `{"name":"a"}`},
		{"created_at=gte:2020-01-01T00:00:00Z&size_min=1&tag=a&tag=b", `[{"op":"add","path":"/k","value":"v"}]`, `{"tags":["a"],"min_ram":5}`},
		{"name=in:a,%22b,c%22&visibility=all&member_status=pending", `[{"op":"remove","path":"/k"}]`, `{"visibility":"community","protected":true}`},
		{"sort_key=size&sort_dir=desc&marker=" + id, `[{"replace":"/name","value":"y"}]`, `{"id":"bad","x":{}}`},
		{"minRam=1&minDisk=2&property-k=v&changes-since=2020-01-01&type=BASE", `{}`, `[`},
	} {
		f.Add(s.query, s.patch, s.create)
	}
	f.Fuzz(func(t *testing.T, query, patch, create string) {
		for _, c := range []struct{ method, path, ct, body string }{
			{"GET", "/image/v2/images?" + query, "", ""},
			{"GET", "/compute/v2.1/images/detail?" + query, "", ""},
			{"PATCH", "/image/v2/images/" + id, "application/openstack-images-v2.1-json-patch", patch},
			{"PATCH", "/image/v2/images/" + id, "application/openstack-images-v2.0-json-patch", patch},
			{"POST", "/image/v2/images", "application/json", create},
			{"POST", "/image/v2/images/" + id + "/members", "application/json", create},
			{"POST", "/compute/v2.1/images/" + id + "/metadata", "application/json", create},
		} {
			if c.method == "GET" && (strings.ContainsAny(query, " #") || strings.ContainsFunc(query, func(r rune) bool { return r < 0x20 || r == 0x7f })) {
				continue // not a request line a client can send
			}
			if code, body := send(c.method, c.path, c.ct, c.body); code >= 500 {
				t.Fatalf("%s %s %q: %d %s", c.method, c.path, c.body, code, body)
			}
		}
	})
}
