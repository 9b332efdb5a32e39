package volume

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/stratus-iaas/stratus/internal/catalog"
	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// MaxMicroversion is the highest volume microversion stratus serves: the
// base 3.0 behaviour (v2 is served as K5 documents it).
const (
	minMinor = 0
	maxMinor = 0
)

// MaxMicroversion is announced in the version documents.
var MaxMicroversion = "3." + strconv.Itoa(maxMinor)

type version struct{ major, minor int }

// atLeast reports a v3 request at microversion 3.minor or later.
func (v version) atLeast(minor int) bool { return v.major == 3 && v.minor >= minor }

func (v version) String() string { return strconv.Itoa(v.major) + "." + strconv.Itoa(v.minor) }

type versionKey struct{}

func apiVersion(r *http.Request) version {
	v, _ := r.Context().Value(versionKey{}).(version)
	if v.major == 0 {
		return version{major: 3}
	}
	return v
}

const versionHeader = "OpenStack-API-Version"

// versioned parses the OpenStack-API-Version header of a v3 request as
// Cinder does (set_api_version_request) and answers with the version used.
func versioned(major int, h httpapi.HandlerFunc) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		v := version{major: major}
		if major == 3 {
			var err error
			if v, err = parseVersion(r.Header.Values(versionHeader)); err != nil {
				return err
			}
			w.Header().Set(versionHeader, "volume "+v.String())
			w.Header().Set("Vary", versionHeader)
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), versionKey{}, v)))
	}
}

func parseVersion(headers []string) (version, error) {
	v := version{major: 3, minor: minMinor}
	if len(headers) == 0 {
		return v, nil
	}
	var want string
	for _, h := range strings.Split(strings.Join(headers, ","), ",") {
		f := strings.Fields(h)
		if len(f) == 2 && strings.EqualFold(f[0], "volume") {
			want = f[1]
			break
		}
	}
	if want == "" {
		return v, fault.Invalidf("API version %s is not supported on this method.", "None")
	}
	if want == "latest" {
		v.minor = maxMinor
		return v, nil
	}
	major, minor, ok := strings.Cut(want, ".")
	mj, err1 := strconv.Atoi(major)
	mn, err2 := strconv.Atoi(minor)
	if !ok || err1 != nil || err2 != nil || mj < 0 || mn < 0 {
		return v, fault.Invalidf("API Version String %s is of invalid format. Must be of format MajorNum.MinorNum.", want)
	}
	if mj != 3 || mn < minMinor || mn > maxMinor {
		return v, fault.New(fault.NotAcceptable, "Version %s is not supported by the API. Minimum is 3.%d and maximum is %s.",
			want, minMinor, MaxMicroversion)
	}
	v.minor = mn
	return v, nil
}

type versionDoc struct {
	ID         string              `json:"id"`
	Status     string              `json:"status"`
	Version    string              `json:"version"`
	MinVersion string              `json:"min_version"`
	Updated    string              `json:"updated"`
	Links      []map[string]string `json:"links"`
	MediaTypes []map[string]string `json:"media-types"`
}

func versionDocs(r *http.Request) []versionDoc {
	base := httpapi.BaseURL(r) + catalog.VolumePrefix
	doc := func(id, status, ver, min, updated, major string) versionDoc {
		return versionDoc{ID: id, Status: status, Version: ver, MinVersion: min, Updated: updated,
			Links: []map[string]string{
				{"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"},
				{"rel": "self", "href": base + "/" + major + "/"}},
			MediaTypes: []map[string]string{{"base": "application/json",
				"type": "application/vnd.openstack.volume+json;version=" + major[1:]}}}
	}
	return []versionDoc{
		doc("v2.0", "DEPRECATED", "", "", "2017-02-25T12:00:00Z", "v2"),
		doc("v3.0", "CURRENT", MaxMicroversion, "3.0", "2016-02-08T12:20:21Z", "v3"),
	}
}

// listVersions is GET /: every version, 300 Multiple Choices.
func listVersions(w http.ResponseWriter, r *http.Request) error {
	return httpapi.WriteJSON(w, http.StatusMultipleChoices, map[string]any{"versions": versionDocs(r)})
}

// showVersion is GET /v2/ and /v3/: that version.
func showVersion(i int) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"versions": versionDocs(r)[i : i+1]})
	}
}
