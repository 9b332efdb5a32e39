package imports

import (
	"net/url"
	"strings"
)

// objectRef names an object in stratus's own object storage.
type objectRef struct {
	Account   string `json:"account"` // AUTH_<project>
	Container string `json:"container"`
	Object    string `json:"object"`
}

// Path is the K5 form of the reference: /v1/AUTH_x/container/object.
func (o objectRef) Path() string { return "/v1/" + o.Account + "/" + o.Container + "/" + o.Object }

// Project is the project id of the account.
func (o objectRef) Project() string { return strings.TrimPrefix(o.Account, "AUTH_") }

const objectStorePrefix = "/object-store"

// parseLocation reads K5's "/v1/AUTH_<tenantId>/<container>/<object>"
// (also accepted with stratus's /object-store prefix). With
// wantContainer only, the form is "/v1/AUTH_<tenantID>/<container>" and
// Object is empty.
func parseLocation(s string, containerOnly bool) (objectRef, bool) {
	s = strings.TrimPrefix(s, objectStorePrefix)
	rest, ok := strings.CutPrefix(s, "/v1/")
	if !ok || strings.ContainsAny(s, "?#\x00") {
		return objectRef{}, false
	}
	acct, rest, _ := strings.Cut(rest, "/")
	if !validAccount(acct) {
		return objectRef{}, false
	}
	if containerOnly {
		rest = strings.TrimSuffix(rest, "/")
		if !validContainer(rest) {
			return objectRef{}, false
		}
		return objectRef{Account: acct, Container: rest}, true
	}
	cont, obj, ok := strings.Cut(rest, "/")
	if !ok || !validContainer(cont) || obj == "" || len(obj) > 1024 {
		return objectRef{}, false
	}
	return objectRef{Account: acct, Container: cont, Object: obj}, true
}

func validAccount(a string) bool {
	p, ok := strings.CutPrefix(a, "AUTH_")
	return ok && p != "" && len(a) <= 256 && !strings.ContainsAny(p, "/ ")
}

func validContainer(c string) bool {
	return c != "" && len(c) <= 256 && !strings.Contains(c, "/")
}

// parseSCPURL reads the url of an SCP import: the object's full Swift URL
// on this cloud (…/object-store/v1/AUTH_<project>/<bucket>/<object>) or
// SCP's shape {host}/{project_id}/{bucket}/{object}. host is the host
// (host:port) the cloud is reached at; a url naming another host is not
// stratus's object storage and is refused, never fetched.
func parseSCPURL(raw string, hosts []string, basePath string) (objectRef, bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return objectRef{}, false
	}
	known := false
	for _, h := range hosts {
		known = known || strings.EqualFold(u.Host, h)
	}
	if !known {
		return objectRef{}, false
	}
	p := u.Path
	if basePath != "" {
		if !strings.HasPrefix(p, basePath+"/") {
			return objectRef{}, false
		}
		p = strings.TrimPrefix(p, basePath)
	}
	if strings.HasPrefix(p, objectStorePrefix+"/v1/") {
		return parseLocation(p, false)
	}
	// SCP: /{project_id}/{bucket}/{object}
	proj, rest, ok := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	if !ok || proj == "" || strings.ContainsAny(proj, " ") {
		return objectRef{}, false
	}
	return parseLocation("/v1/AUTH_"+proj+"/"+rest, false)
}
