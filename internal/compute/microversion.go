package compute

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// Microversions: 2.1 up to maxMinor. A request names one with
// "OpenStack-API-Version: compute 2.x" (2.27 on) or the legacy
// "X-OpenStack-Nova-API-Version: 2.x"; none means 2.1, "latest" the
// maximum. Every reply says which version answered.
const (
	minMinor = 1
	maxMinor = 79
)

// MaxMicroversion is the highest compute microversion stratus serves.
var MaxMicroversion = "2." + strconv.Itoa(maxMinor)

const (
	versionHeader       = "OpenStack-API-Version"
	legacyVersionHeader = "X-OpenStack-Nova-API-Version"
)

var versionRE = regexp.MustCompile(`^([1-9]\d*)\.([1-9]\d*|0)$`)

// requestedVersion reads the version headers as microversion_parse does:
// the "compute" entry of OpenStack-API-Version wins over the legacy header.
func requestedVersion(h http.Header) string {
	for _, v := range h.Values(versionHeader) {
		for _, part := range strings.Split(v, ",") {
			f := strings.Fields(part)
			if len(f) == 2 && strings.EqualFold(f[0], "compute") {
				return f[1]
			}
		}
	}
	if v := h.Get(legacyVersionHeader); v != "" {
		return strings.TrimSpace(v)
	}
	return ""
}

// parseVersion returns the minor version of a 2.x request, or Nova's
// fault: 400 for a malformed string, 406 outside 2.1–2.max.
func parseVersion(s string) (int, error) {
	switch {
	case s == "":
		return minMinor, nil
	case strings.EqualFold(s, "latest"):
		return maxMinor, nil
	}
	m := versionRE.FindStringSubmatch(s)
	if m == nil {
		return 0, fault.Invalidf("API Version String %s is of invalid format. Must be of format MajorNum.MinorNum.", s)
	}
	major, _ := strconv.Atoi(m[1])
	minor, err := strconv.Atoi(m[2])
	if major != 2 || err != nil || minor < minMinor || minor > maxMinor {
		return 0, fault.New(fault.NotAcceptable, "Version %s is not supported by the API. Minimum is 2.%d and maximum is %s.",
			s, minMinor, MaxMicroversion)
	}
	return minor, nil
}

type ctxKey int

const (
	versionKey ctxKey = iota
	prefixKey
)

// prefix is how a request reached the API: the version segment of its path
// ("v2.1", "v2", "v1.1") and the tenant in it, if any. Links in replies are
// built from it, as Nova builds them from the request URL.
type prefix struct {
	version string
	tenant  string
}

// mv is the request's microversion minor (2.mv).
func mv(r *http.Request) int {
	if v, ok := r.Context().Value(versionKey).(int); ok {
		return v
	}
	return minMinor
}

// atLeast reports whether the request's microversion is 2.minor or later.
func atLeast(r *http.Request, minor int) bool { return mv(r) >= minor }

func principal(r *http.Request) *policy.Principal { return policy.FromContext(r.Context()) }

// versioned wraps a handler: it parses the requested microversion, answers
// with it in the version headers (on errors too, as Nova), checks that a
// tenant in the path is the caller's, and records how the request came in.
func versioned(pf prefix, h httpapi.HandlerFunc) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		minor, err := parseVersion(requestedVersion(r.Header))
		if err != nil {
			return err
		}
		v := "2." + strconv.Itoa(minor)
		hd := w.Header()
		hd.Set(versionHeader, "compute "+v)
		hd.Set(legacyVersionHeader, v)
		hd.Add("Vary", versionHeader)
		hd.Add("Vary", legacyVersionHeader)
		if pf.tenant != "" {
			pf.tenant = r.PathValue("tenant")
			if p := principal(r); p != nil && pf.tenant != p.ProjectID {
				return fault.Invalidf("Malformed request URL: URL's project_id '%s' doesn't match Context's project_id '%s'", pf.tenant, p.ProjectID)
			}
		}
		ctx := context.WithValue(r.Context(), versionKey, minor)
		ctx = context.WithValue(ctx, prefixKey, pf)
		return h(w, r.WithContext(ctx))
	}
}

func prefixOf(r *http.Request) prefix {
	pf, _ := r.Context().Value(prefixKey).(prefix)
	if pf.version == "" {
		pf.version = "v2.1"
	}
	return pf
}

// links are the URL prefixes of a request: self ("…/compute/v2.1" or
// "…/compute/v2/{tenant}") and bookmark ("…/compute" or
// "…/compute/{tenant}"), as Nova's view builders make them.
func links(r *http.Request) (self, bookmark string) {
	pf := prefixOf(r)
	base := httpapi.BaseURL(r) + "/compute"
	self, bookmark = base+"/"+pf.version, base
	if pf.tenant != "" {
		self += "/" + pf.tenant
		bookmark += "/" + pf.tenant
	}
	return self, bookmark
}

// LinkBase is links for the image proxy, which builds its own views.
func LinkBase(r *http.Request) (self, bookmark string) { return links(r) }
