package compute

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/stratus-iaas/stratus/internal/httpapi"
)

func TestVersionDocuments(t *testing.T) {
	m := httpapi.NewMux(nil, nil)
	m.Mount(httpapi.Group{Name: "compute", Prefix: "/compute", Dialect: httpapi.Nova, Routes: Routes()})
	for _, tc := range []struct {
		path, key string
	}{{"/compute", "versions"}, {"/compute/", "versions"}, {"/compute/v2.1", "version"}, {"/compute/v2.1/", "version"}, {"/compute/v2/", "version"}} {
		rec := httptest.NewRecorder()
		m.ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
		var doc map[string]json.RawMessage
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &doc) != nil || doc[tc.key] == nil {
			t.Errorf("%s: %d %s", tc.path, rec.Code, rec.Body)
		}
	}
}
