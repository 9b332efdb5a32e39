package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stratus-iaas/stratus/internal/fault"
)

// Swift's error pages use swob's reason phrases, and every 401 names the
// account as the realm, as swob does.
func TestSwiftDialect(t *testing.T) {
	for _, tc := range []struct {
		path  string
		err   *fault.Error
		title string
		realm string // "" when no header is expected
	}{
		{"/object-store/v1/AUTH_p1/c/o", fault.Unauthorizedf("no"), "Unauthorized", `Swift realm="AUTH_p1"`},
		{"/v1/AUTH_p%202", fault.Unauthorizedf("no"), "Unauthorized", `Swift realm="AUTH_p%202"`},
		{"/object-store/v1/", fault.Unauthorizedf("no"), "Unauthorized", `Swift realm="unknown"`},
		{"/info", fault.Unauthorizedf("no"), "Unauthorized", `Swift realm="unknown"`},
		{"/object-store/v1/AUTH_p1", fault.Internalf("boom"), "Internal Error", ""},
		{"/object-store/v1/AUTH_p1", fault.NotFoundf("gone"), "Not Found", ""},
		{"/object-store/v1/AUTH_p1", fault.New(fault.Kind(0), "bye").WithStatus(499), "Client Disconnect", ""},
	} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "http://x"+tc.path, nil)
		Swift.WriteError(w, r, tc.err)
		if got := w.Header().Get("Www-Authenticate"); got != tc.realm {
			t.Errorf("%s: WWW-Authenticate %q, want %q", tc.path, got, tc.realm)
		}
		if !strings.Contains(w.Body.String(), "<h1>"+tc.title+"</h1>") {
			t.Errorf("%s %d: body %q, want title %q", tc.path, w.Code, w.Body, tc.title)
		}
	}
	if SwiftReason(http.StatusRequestedRangeNotSatisfiable) != "Requested Range Not Satisfiable" {
		t.Error("416 reason")
	}
}
