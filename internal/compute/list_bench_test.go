package compute

import (
	"net/http/httptest"

	"github.com/stratus-iaas/stratus/internal/httpapi"
	"testing"
)

// BenchmarkListDetail renders GET /servers/detail?limit=100 over 1,000
// servers (fake network: one port each).
func BenchmarkListDetail(b *testing.B) {
	e := newEnv(b)
	e.must(e.do("PUT", "/os-quota-sets/p-alice", "admin", map[string]any{"quota_set": map[string]any{"instances": -1, "cores": -1, "ram": -1}}), 200)
	for i := 0; i < 10; i++ {
		e.must(e.do("POST", "/servers", "alice", map[string]any{"server": map[string]any{"name": "b", "imageRef": imgRaw, "flavorRef": "1", "min_count": 100}}), 202)
	}
	e.svc.work.idle()
	for _, path := range []string{"/compute/v2.1/servers/detail?limit=100", "/compute/v2.1/servers?limit=100"} {
		b.Run(path, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				req := httptest.NewRequest("GET", path, nil)
				req.Header.Set("X-Auth-Token", "alice")
				w := httptest.NewRecorder()
				e.h.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatal(w.Code, w.Body.String())
				}
			}
		})
	}
}

// The detail list's cached views follow every change: the server's row,
// its ports, the request's microversion and admin-ness.
func TestListViewCache(t *testing.T) {
	e := newEnv(t)
	id := e.boot("alice", "one", nil)["id"].(string)
	list := func(token string, hdr ...string) map[string]any {
		l := e.must(e.do("GET", "/servers/detail", token, nil, hdr...), 200).JSON(t)["servers"].([]any)
		for _, s := range l {
			if m := s.(map[string]any); m["id"] == id {
				return m
			}
		}
		t.Fatalf("server %s not listed", id)
		return nil
	}
	if list("alice")["name"] != "one" {
		t.Fatal("name")
	}
	e.must(e.do("PUT", "/servers/"+id, "alice", map[string]any{"server": map[string]any{"name": "two"}}), 200)
	if list("alice")["name"] != "two" {
		t.Fatal("renamed server listed with its old name")
	}
	before := len(list("alice")["addresses"].(map[string]any))
	e.must(e.do("POST", "/servers/"+id+"/os-interface", "alice", map[string]any{"interfaceAttachment": map[string]any{"net_id": netOther}}), 200)
	e.svc.work.idle()
	if after := len(list("alice")["addresses"].(map[string]any)); after == before {
		t.Fatalf("addresses unchanged after an interface attach: %d", after)
	}
	if _, ok := list("alice", mvh("2.3")...)["OS-EXT-SRV-ATTR:hostname"]; ok {
		t.Fatal("non-admin sees extended attributes")
	}
	if !e.must(e.do("GET", "/servers/detail?all_tenants=1", "admin", nil, mvh("2.3")...), 200).has(`"OS-EXT-SRV-ATTR:host":"h`) {
		t.Fatal("admin's list lacks the extended attributes")
	}
	if v := list("alice", mvh("2.47")...)["flavor"].(map[string]any); v["original_name"] == nil {
		t.Fatalf("2.47 flavor: %v", v)
	}
}

func TestBriefJSONMatchesView(t *testing.T) {
	e := newEnv(t)
	id := e.boot("alice", `odd "name" <&>`, nil)["id"].(string)
	req := httptest.NewRequest("GET", "/compute/v2/p-alice/servers", nil)
	req.Header.Set("X-Auth-Token", "alice")
	self, book := "http://example.com/compute/v2/p-alice", "http://example.com/compute/p-alice"
	got, _ := briefJSON(self, book, id, `odd "name" <&>`)
	want, _ := httpapi.MarshalJSON(map[string]any{"id": id, "name": `odd "name" <&>`, "links": []link{
		{Rel: "self", Href: self + "/servers/" + id}, {Rel: "bookmark", Href: book + "/servers/" + id}}})
	if string(got) != string(want) {
		t.Fatalf("brief\n got %s\nwant %s", got, want)
	}
	_ = req
}
