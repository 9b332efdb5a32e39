package imports

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// scpVersion is one version of SCP's virtualserver API (seed 001).
type scpVersion struct {
	Minor     int
	Status    string // CURRENT, SUPPORTED, DEPRECATED
	NotBefore string // YYYY-MM-DD; "" when none ("-")
}

// scpVersions, newest first.
var scpVersions = []scpVersion{
	{3, "CURRENT", ""},
	{2, "SUPPORTED", "2026-08-31"},
	{1, "DEPRECATED", "2026-05-31"},
	{0, "DEPRECATED", "2025-12-31"},
}

// checkAPIVersion reads Scp-Api-Version ("virtualserver 1.x"; none is the
// current version). A deprecated version whose Not Before date has come
// is refused, as are unknown versions and other services' names.
func checkAPIVersion(h string, now time.Time) error {
	h = strings.TrimSpace(h)
	if h == "" {
		return nil
	}
	svc, ver, ok := strings.Cut(h, " ")
	ver = strings.TrimPrefix(strings.TrimSpace(ver), "v")
	if !ok || !strings.EqualFold(svc, "virtualserver") {
		return fault.Invalidf("Scp-Api-Version %q does not name a virtualserver version.", h)
	}
	for _, v := range scpVersions {
		if ver != fmt.Sprintf("1.%d", v.Minor) {
			continue
		}
		if v.Status == "DEPRECATED" && v.NotBefore != "" {
			day, _ := time.Parse("2006-01-02", v.NotBefore)
			if !now.Before(day) {
				return fault.Invalidf("API version virtualserver %s is deprecated and no longer supported since %s; use virtualserver 1.%d.",
					ver, v.NotBefore, scpVersions[0].Minor)
			}
		}
		return nil
	}
	return fault.Invalidf("API version virtualserver %s is not supported; use virtualserver 1.%d.", ver, scpVersions[0].Minor)
}

// scpVersionsDoc is GET {endpoint}/: the versions with id, links,
// not_before and status.
func (s *Service) scpVersionsDoc(w http.ResponseWriter, r *http.Request) error {
	base := strings.TrimRight(s.publicURL, "/")
	if base == "" {
		base = httpapi.BaseURL(r)
	}
	type link struct {
		Href string `json:"href"`
		Rel  string `json:"rel"`
	}
	type version struct {
		ID        string  `json:"id"`
		Links     []link  `json:"links"`
		NotBefore *string `json:"not_before"`
		Status    string  `json:"status"`
	}
	out := []version{}
	for _, v := range scpVersions {
		ver := version{ID: fmt.Sprintf("v1.%d", v.Minor), Status: v.Status,
			Links: []link{{Href: base + scpPrefix + "/v1", Rel: "self"}}}
		if v.NotBefore != "" {
			nb := v.NotBefore
			ver.NotBefore = &nb
		}
		out = append(out, ver)
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"versions": out})
}

// scpImportImage is POST /v1/images/{image_id}/import → 202.
func (s *Service) scpImportImage(w http.ResponseWriter, r *http.Request) error {
	if err := checkAPIVersion(r.Header.Get("Scp-Api-Version"), s.now()); err != nil {
		return err
	}
	var req struct {
		URL *string `json:"url"`
	}
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		return err
	}
	if req.URL == nil || *req.URL == "" {
		return fault.Invalidf("Required parameter 'url' is not specified.")
	}
	err := s.SCPImport(r.Context(), policy.FromContext(r.Context()), r.PathValue("image_id"), *req.URL, s.endpoint(r))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// endpoint is where this cloud's object storage is: the host the client
// reached, and the public URL's host and path.
func (s *Service) endpoint(r *http.Request) Endpoint {
	ep := Endpoint{Hosts: []string{r.Host}}
	if u, err := url.Parse(s.publicURL); err == nil && u.Host != "" {
		ep.Hosts = append(ep.Hosts, u.Host)
		ep.BasePath = strings.TrimRight(u.Path, "/")
	}
	return ep
}
