package compute

import (
	"testing"
)

func TestVersionDocuments(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		path, key, want string
	}{
		{"/compute", "versions", `"version":"2.79"`},
		{"/compute/", "versions", `"href":"http://example.com/compute/v2.1/"`},
		{"/compute/v2.1", "version", `"min_version":"2.1"`},
		{"/compute/v2.1/", "version", `"rel":"describedby"`},
		{"/compute/v2/", "version", `"id":"v2.0"`},
	} {
		r := e.must(e.do("GET", tc.path, "", nil), 200)
		if r.JSON(t)[tc.key] == nil || !r.has(tc.want) {
			t.Errorf("%s: %s", tc.path, r.Body)
		}
	}
}

func TestMicroversionHeaders(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name   string
		hdr    []string
		code   int
		answer string
	}{
		{"none", nil, 200, "2.1"},
		{"new form", mvh("2.47"), 200, "2.47"},
		{"legacy", []string{"X-OpenStack-Nova-API-Version", "2.10"}, 200, "2.10"},
		{"new wins", append(mvh("2.5"), "X-OpenStack-Nova-API-Version", "2.9"), 200, "2.5"},
		{"other service only", []string{"OpenStack-API-Version", "volume 3.0", "X-OpenStack-Nova-API-Version", "2.3"}, 200, "2.3"},
		{"latest", mvh("latest"), 200, MaxMicroversion},
		{"too high", mvh("2.1000"), 406, ""},
		{"major 3", mvh("3.0"), 406, ""},
		{"garbage", mvh("2.x"), 400, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("GET", "/flavors", "alice", nil, tc.hdr...)
			if r.Code != tc.code {
				t.Fatalf("status %d: %s", r.Code, r.Body)
			}
			if tc.answer != "" && (r.Header.Get("X-OpenStack-Nova-API-Version") != tc.answer ||
				r.Header.Get("OpenStack-API-Version") != "compute "+tc.answer) {
				t.Fatalf("headers %v", r.Header)
			}
			if tc.code == 406 && !r.has("is not supported by the API. Minimum is 2.1 and maximum is "+MaxMicroversion) {
				t.Fatalf("406 body %s", r.Body)
			}
		})
	}
}

func TestTenantPaths(t *testing.T) {
	e := newEnv(t)
	r := e.must(e.do("GET", "/compute/v2/p-alice/flavors/1", "alice", nil), 200)
	if !r.has(`"href":"http://example.com/compute/v2/p-alice/flavors/1"`) || !r.has(`"href":"http://example.com/compute/p-alice/flavors/1"`) {
		t.Fatalf("K5 links: %s", r.Body)
	}
	r = e.must(e.do("GET", "/compute/v1.1/p-alice/flavors/1", "alice", nil), 200)
	if !r.has(`"href":"http://example.com/compute/v1.1/p-alice/flavors/1"`) {
		t.Fatalf("v1.1 links: %s", r.Body)
	}
	r = e.must(e.do("GET", "/compute/v2/p-bob/flavors", "alice", nil), 400)
	if !r.has("Malformed request URL: URL's project_id 'p-bob' doesn't match Context's project_id 'p-alice'") {
		t.Fatalf("other tenant: %s", r.Body)
	}
	e.must(e.do("GET", "/compute/v2.1/flavors", "", nil), 401)
}
