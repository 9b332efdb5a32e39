package objectstore

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stratus-iaas/stratus/internal/catalog"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// nameMux routes object paths exactly as the service's group does and
// records the names it was given.
func nameMux(got *[2]string) *httpapi.Mux {
	m := httpapi.NewMux(nil, slog.New(slog.DiscardHandler))
	m.Mount(httpapi.Group{Name: "object-store", Prefix: catalog.ObjectStorePrefix, Dialect: httpapi.Swift, RawPaths: true,
		Routes: []httpapi.Route{{Method: "DELETE", Pattern: "/v1/{account}/{container}/{object...}", Policy: policy.Optional,
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				got[0], got[1] = r.PathValue("container"), r.PathValue("object")
				w.WriteHeader(http.StatusNoContent)
				return nil
			}}}})
	return m
}

// FuzzCheckName: the name validator never panics, what it accepts keeps
// the rules, and every name it accepts can be addressed again: quoted as
// clients quote it, a DELETE of its path reaches the object route with
// the very same names. (An accepted name that could not be addressed is
// an object nobody can delete: issue 11, hole 8.)
func FuzzCheckName(f *testing.F) {
	for _, s := range [][2]string{
		{"c", "o"}, {"c", "a//b"}, {"c", "x/../y"}, {"..", "."}, {"c", "/lead"}, {"c", "trail/"},
		{"c", "bad\x00name"}, {"c", "bad\xffname"}, {"c/d", "o"}, {"", "o"}, {"c", "é ?#%2F&="},
		{"c", strings.Repeat("n", maxObjectNameLength+1)}, {"c", "\r\n\t "}, {"c", "%00"},
	} {
		f.Add(s[0], s[1])
	}
	var got [2]string
	m := nameMux(&got)
	f.Fuzz(func(t *testing.T, container, object string) {
		if checkName(container, object) != nil || object == "" {
			return
		}
		if !utf8.ValidString(container+object) || strings.ContainsRune(container+object, 0) || strings.Contains(container, "/") ||
			container == "" || len(container) > maxContainerNameLen || len(object) > maxObjectNameLength {
			t.Fatalf("accepted %q / %q", container, object)
		}
		if err := checkPathNames(container, object); err != nil {
			t.Fatalf("path rules refuse what checkName accepts: %v", err)
		}
		got = [2]string{}
		target := catalog.ObjectStorePrefix + "/v1/AUTH_p/" + url.PathEscape(container) + "/" + escapeObject(object)
		req, err := http.NewRequest("DELETE", "http://h"+target, nil)
		if err != nil {
			t.Fatalf("no URL for %q / %q: %v", container, object, err)
		}
		rec := httptest.NewRecorder()
		m.ServeHTTP(rec, req)
		if rec.Code != http.StatusNoContent || got != [2]string{container, object} {
			t.Fatalf("%q / %q: DELETE %s answered %d and reached %q", container, object, target, rec.Code, got)
		}
	})
}
