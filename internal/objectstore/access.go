package objectstore

import (
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// Swift's standard messages (swob's default bodies).
const (
	msgNotFound     = "The resource could not be found."
	msgUnauthorized = "This server could not verify that you are authorized to access the document you requested."
	msgForbidden    = "Access was denied to this resource."
	msgConflict     = "There was a conflict when trying to complete your request."
	msgPrecondition = "A precondition for this request was not met."
	msgLength       = "Content-Length header required."
	msgUnprocess    = "Unable to process the contained instructions"
	msgRange        = "The Range requested is not available."
	msgTooLarge     = "The body of your request was too large for this server."
	msgAccepted     = "The request is accepted for processing."
)

func errNotFound() error { return fault.NotFoundf(msgNotFound) }

// deny is 401 for anonymous callers and 403 for authenticated ones, as
// Swift's keystoneauth answers.
func deny(p *policy.Principal) error {
	if p == nil {
		return fault.Unauthorizedf(msgUnauthorized)
	}
	return fault.Forbiddenf(msgForbidden)
}

// reqCtx is what every handler works from.
type reqCtx struct {
	p           *policy.Principal
	account     string // "AUTH_<project>"
	project     string
	container   string
	object      string
	owner       bool  // the caller may read the account (its project, or admin)
	ownerRW     bool  // ... and write it
	tempURL     bool  // authorised by a valid temp URL signature
	tempExpires int64 // ... which expires then (Unix seconds)
}

// parseReq reads the account, container and object from the path.
func parseReq(r *http.Request) (*reqCtx, error) {
	rc := &reqCtx{p: policy.FromContext(r.Context()), account: r.PathValue("account"),
		container: r.PathValue("container"), object: r.PathValue("object")}
	if !strings.HasPrefix(rc.account, "AUTH_") || len(rc.account) == len("AUTH_") || len(rc.account) > maxAccountNameLength {
		return nil, deny(rc.p)
	}
	rc.project = strings.TrimPrefix(rc.account, "AUTH_")
	if rc.p != nil && rc.p.InProject(rc.project) {
		rc.owner = true
		rc.ownerRW = rc.p.IsAdmin() || rc.p.CanWrite()
	}
	if !utf8.ValidString(rc.container+rc.object) || strings.ContainsRune(rc.container+rc.object, 0) {
		return nil, fault.New(fault.PreconditionFailed, "Invalid UTF8 or contains NULL")
	}
	if len(rc.container) > maxContainerNameLen {
		return nil, fault.Invalidf("Container name length of %d longer than %d", len(rc.container), maxContainerNameLen)
	}
	if len(rc.object) > maxObjectNameLength {
		return nil, fault.Invalidf("Object name length of %d longer than %d", len(rc.object), maxObjectNameLength)
	}
	return rc, nil
}

// requireOwner allows account-level and container-management operations.
func (rc *reqCtx) requireOwner(write bool) error {
	if rc.owner && (!write || rc.ownerRW) {
		return nil
	}
	return deny(rc.p)
}

// acl is a parsed X-Container-Read or X-Container-Write value.
type acl struct {
	referrers []string // ".r:" entries, "-host" denies
	listings  bool     // .rlistings
	users     []string // "project:user" entries
}

func parseACL(v string) acl {
	var a acl
	for _, e := range strings.Split(v, ",") {
		e = strings.TrimSpace(e)
		switch {
		case e == "":
		case e == ".rlistings":
			a.listings = true
		case strings.HasPrefix(e, ".r:"), strings.HasPrefix(e, ".ref:"), strings.HasPrefix(e, ".referer:"), strings.HasPrefix(e, ".referrer:"):
			a.referrers = append(a.referrers, e[strings.Index(e, ":")+1:])
		default:
			a.users = append(a.users, e)
		}
	}
	return a
}

// cleanACL is Swift's acl.clean_acl: it refuses referrer entries in a
// write ACL, empty referrers and unknown ".x:" designators, and returns
// the value with referrers in their ".r:" form.
func cleanACL(header, value string) (string, error) {
	var out []string
	for _, raw := range strings.Split(value, ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		first, second, ok := strings.Cut(raw, ":")
		first, second = strings.TrimSpace(first), strings.TrimSpace(second)
		if !ok || !strings.HasPrefix(first, ".") {
			out = append(out, raw)
			continue
		}
		switch first {
		case ".r", ".ref", ".referer", ".referrer":
		default:
			return "", fault.Invalidf("Unknown designator '%s' in ACL: '%s'", first, raw)
		}
		if strings.Contains(strings.ToLower(header), "write") {
			return "", fault.Invalidf("Referrers not allowed in write ACL: '%s'", raw)
		}
		neg := ""
		if strings.HasPrefix(second, "-") {
			neg, second = "-", strings.TrimSpace(second[1:])
		}
		if second != "*" && strings.HasPrefix(second, "*") {
			second = strings.TrimSpace(second[1:])
		}
		if second == "" || second == "." {
			return "", fault.Invalidf("No host/domain value after referrer designation in ACL: '%s'", raw)
		}
		out = append(out, ".r:"+neg+second)
	}
	return strings.Join(out, ","), nil
}

// referrerAllowed applies Swift's referrer rules: the last matching entry
// wins; "*" matches all, ".example.com" matches subdomains, "-" denies.
func (a acl) referrerAllowed(referer string) bool {
	host := ""
	if u, err := url.Parse(referer); err == nil {
		host = u.Hostname()
	}
	ok := false
	for _, ref := range a.referrers {
		neg := strings.HasPrefix(ref, "-")
		ref = strings.TrimPrefix(ref, "-")
		match := ref == "*" || (host != "" && (ref == host || (strings.HasPrefix(ref, ".") && strings.HasSuffix(host, ref))))
		if match {
			ok = !neg
		}
	}
	return ok
}

// userAllowed matches "project:user" entries (ids or names, "*" for any).
func (a acl) userAllowed(p *policy.Principal) bool {
	if p == nil {
		return false
	}
	for _, u := range a.users {
		proj, user, ok := strings.Cut(u, ":")
		if !ok {
			// A bare role name grants users holding it (keystoneauth).
			if p.HasRole(u) {
				return true
			}
			continue
		}
		pm := proj == "*" || (proj != "" && (proj == p.ProjectID || proj == p.ProjectName))
		um := user == "*" || (user != "" && (user == p.UserID || user == p.UserName))
		if pm && um {
			return true
		}
	}
	return false
}

// canRead reports whether the caller may read objects of c (listing=true
// for the container listing, which referrer ACLs grant only with .rlistings).
func (rc *reqCtx) canRead(r *http.Request, c *Container, listing bool) bool {
	if rc.owner || rc.tempURL {
		return true
	}
	a := parseACL(c.Meta["X-Container-Read"])
	if a.userAllowed(rc.p) {
		return true
	}
	if listing && !a.listings {
		return false
	}
	return a.referrerAllowed(r.Referer())
}

// canWrite reports whether the caller may write objects of c.
func (rc *reqCtx) canWrite(c *Container) bool {
	if rc.ownerRW || rc.tempURL {
		return true
	}
	return parseACL(c.Meta["X-Container-Write"]).userAllowed(rc.p)
}

// checkSegments makes a caller who reads a large object through an ACL
// hold read access to the containers of its segments too, as Swift's
// segment sub-requests are authorised: a manifest must not expose a
// container its reader cannot read.
func (s *Service) checkSegments(r *http.Request, rc *reqCtx, o *Object) error {
	if rc.owner || rc.tempURL || o.Kind == kindPlain {
		return nil
	}
	var containers []string
	switch o.Kind {
	case kindDLO:
		c, _, err := dloTarget(o.Meta["X-Object-Manifest"])
		if err != nil {
			return err
		}
		containers = []string{c}
	case kindSLO:
		segs, err := s.readManifest(r.Context(), o)
		if err != nil {
			return err
		}
		for _, sg := range segs {
			if sg.Data != "" {
				continue
			}
			c, _, _ := strings.Cut(strings.TrimPrefix(sg.Name, "/"), "/")
			containers = append(containers, c)
		}
	}
	seen := map[string]bool{}
	for _, name := range containers {
		if seen[name] {
			continue
		}
		seen[name] = true
		one := *rc
		one.container = name
		if _, err := s.readableContainer(r, &one, false); err != nil {
			return deny(rc.p)
		}
	}
	return nil
}
