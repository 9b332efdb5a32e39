package scpauth

import (
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/store/storetest"
)

// FuzzAuthenticate: any Scp-* headers and request path are either
// refused with a 401 or accepted only with the right signature.
func FuzzAuthenticate(f *testing.F) {
	db := storetest.Open(f)
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	v := New(db, fakeCreds{}, func() time.Time { return now })
	f.Add("AK1", "1796644800000", "Openapi", "c2ln", "/virtualserver/v1/images/x/import?a=%20")
	f.Add("", "-1", "", "!!", "/")
	f.Add("AK1", "99999999999999999999", "x", "", "/%zz")
	f.Fuzz(func(t *testing.T, access, ts, ct, sig, path string) {
		if len(path) == 0 || path[0] != '/' {
			return
		}
		target := "http://cloud.example" + sanitize(path)
		if _, err := url.ParseRequestURI(target); err != nil {
			return // not a request a client can send
		}
		r := httptest.NewRequest("POST", target, nil)
		for k, val := range map[string]string{HeaderAccessKey: access, HeaderTimestamp: ts, HeaderClientType: ct, HeaderSignature: sig} {
			r.Header.Set(k, val)
		}
		if !v.Claims(r) {
			return
		}
		p, err := v.AuthenticateRequest(r)
		if err != nil && fault.KindOf(err) != fault.Unauthorized {
			t.Fatalf("error %v", err)
		}
		if err == nil && sig != Sign("s3cr3t", "POST", r.RequestURI, ts, access, ct) && sig != Sign("s3cr3t", "POST", EncodeURI(r.RequestURI), ts, access, ct) {
			t.Fatalf("accepted %+v with signature %q", p, sig)
		}
	})
}

// sanitize keeps a fuzzed path a valid request target.
func sanitize(p string) string {
	out := make([]byte, 0, len(p))
	for i := 0; i < len(p); i++ {
		if c := p[i]; c > 0x20 && c < 0x7f && c != '#' {
			out = append(out, c)
		}
	}
	return string(out)
}
