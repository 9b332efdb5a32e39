package imports

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// FuzzParseRequests: the register-image and export bodies, K5 locations,
// SCP urls and Scp-Api-Version headers are client bytes. Parsing never
// panics; a refusal is always a K5 400 with a detailed code, and what is
// accepted is well formed.
func FuzzParseRequests(f *testing.F) {
	for _, s := range [][2]string{
		{string(newSet()), "/v1/AUTH_p/c/o.vmdk"},
		{string(oldSet()), "http://cloud.example:5000/p1/b/o.qcow2"},
		{string(newSet("kms", `{"server_info":"kms.example:1688","activate":true}`, "os_type", `"Windows Server 2016 SE (English version)"`)), "virtualserver 1.2"},
		{`{"image_id":"6bf65660-70ee-4a75-b61a-36ac040c289c","storage_container":"/v1/AUTH_p/c"}`, "/object-store/v1/AUTH_p/c/"},
		{`{"name":1,"property-":{}}`, "http://cloud.example:5000/object-store/v1/AUTH_p/b/o.qcow2"},
		{``, "\x00"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, body, s string) {
		check := func(what string, err error) {
			if err == nil {
				return
			}
			fe := fault.As(err)
			if fe == nil || fe.Kind != fault.Invalid || len(fe.Code) != 5 {
				t.Fatalf("%s: %v", what, err)
			}
		}
		req, err := parseImportRequest([]byte(body))
		check("import", err)
		if err == nil {
			if req.Name == "" || req.Source.Account == "" || req.Source.Object == "" || !knownOSType(req.OSType) {
				t.Fatalf("accepted %+v", req)
			}
			if req.ImageID != "" && !uuidRe.MatchString(req.ImageID) {
				t.Fatalf("accepted id %q", req.ImageID)
			}
		}
		ex, err := parseExportRequest([]byte(body))
		check("export", err)
		if err == nil && (!uuidRe.MatchString(ex.ImageID) || strings.Contains(ex.Target.Container, "/")) {
			t.Fatalf("accepted export %+v", ex)
		}
		if o, ok := parseLocation(s, false); ok && (o.Object == "" || strings.Contains(o.Container, "/") || !strings.HasPrefix(o.Account, "AUTH_")) {
			t.Fatalf("location %q -> %+v", s, o)
		}
		if o, ok := parseSCPURL(s, []string{"cloud.example:5000"}, ""); ok && (o.Object == "" || strings.Contains(o.Container, "/")) {
			t.Fatalf("scp url %q -> %+v", s, o)
		}
		checkAPIVersion(s, time.Now())
		parseStartLimit(s, s, 100)
	})
}

// FuzzImportAPI sends client bodies and queries through the K5 and SCP
// routes: every answer is below 500 (the engine is not started, so no
// job runs).
func FuzzImportAPI(f *testing.F) {
	fx := newFixture(f, false)
	mux := httpapi.NewMux(fuzzAuth{}, nil)
	for _, g := range fx.svc.Groups() {
		mux.Mount(g)
	}
	f.Add(string(newSet()), "start=1&limit=2")
	f.Add(string(oldSet()), "limit=x")
	f.Add(`{"image_id":"6bf65660-70ee-4a75-b61a-36ac040c289c","storage_container":"/v1/AUTH_p1/c"}`, "start=-3")
	f.Add(`{"url":"http://cloud.example:5000/p1/b/o.qcow2"}`, "")
	f.Fuzz(func(t *testing.T, body, query string) {
		if strings.ContainsAny(query, " #") || strings.ContainsFunc(query, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return // not a request line a client can send
		}
		for _, c := range [][2]string{
			{"POST", "/import/v1/imageimport"}, {"GET", "/import/v1/imageimport?" + query},
			{"POST", "/import/v1/imageexport"}, {"GET", "/import/v1/imageexport?" + query},
			{"POST", "/import/v1/imageexport/x/cancel"}, {"GET", "/import/v1/imageimport/x/status"},
			{"POST", "/virtualserver/v1/images/6bf65660-70ee-4a75-b61a-36ac040c289c/import"},
		} {
			req := httptest.NewRequest(c[0], c[1], strings.NewReader(body))
			req.Header.Set("X-Auth-Token", "member")
			req.Header.Set("Scp-Api-Version", query)
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, req)
			if w.Code >= 500 && !strings.Contains(w.Body.String(), `"50301"`) { // 503/50301: 100 imports queued
				t.Fatalf("%s %s %q: %d %s", c[0], c[1], body, w.Code, w.Body)
			}
		}
	})
}

type fuzzAuth struct{}

func (fuzzAuth) Authenticate(ctx context.Context, token string) (*policy.Principal, error) {
	if token == "member" {
		return member, nil
	}
	return nil, fault.Unauthorizedf("no")
}
