package objectstore

import (
	"context"
	"net/http"
	"net/url"
	"strings"

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
// Swift's keystoneauth answers (and 401 for a temp URL used beyond its
// scope, as tempurl.py's authorize callbacks answer).
func deny(p *policy.Principal) error {
	if p == nil {
		return fault.Unauthorizedf(msgUnauthorized)
	}
	return fault.Forbiddenf(msgForbidden)
}

// reqCtx is who is asking, about what: every access decision of the
// service is made from it, by the methods in this file.
type reqCtx struct {
	p         *policy.Principal
	account   string // "AUTH_<project>"
	project   string
	container string
	object    string
	referer   string     // the Referer header, for referrer ACLs
	owner     bool       // the caller may read the account (its project, or admin)
	ownerRW   bool       // ... and write it: Swift's "swift owner"
	temp      *tempGrant // a valid temp URL signature, or nil
}

// tempGrant is what a valid temp URL signature grants: requests within
// the account (an account key) or within one container (a container
// key), as tempurl.py's authorize_same_account/authorize_same_container.
type tempGrant struct {
	container string // "" for an account key
	expires   int64  // Unix seconds
}

// newReqCtx is the access context of p on account/container/object; it
// refuses a malformed account and names that break the name rules.
func newReqCtx(p *policy.Principal, account, container, object string) (*reqCtx, error) {
	rc := &reqCtx{p: p, account: account, container: container, object: object}
	if !strings.HasPrefix(rc.account, "AUTH_") || len(rc.account) == len("AUTH_") || len(rc.account) > maxAccountNameLength {
		return nil, deny(rc.p)
	}
	rc.project = strings.TrimPrefix(rc.account, "AUTH_")
	if rc.p != nil && rc.p.InProject(rc.project) {
		rc.owner = true
		rc.ownerRW = rc.p.IsAdmin() || rc.p.CanWrite()
	}
	if err := checkPathNames(container, object); err != nil {
		return nil, err
	}
	return rc, nil
}

// parseReq reads the account, container and object from the path.
func parseReq(r *http.Request) (*reqCtx, error) {
	rc, err := newReqCtx(policy.FromContext(r.Context()), r.PathValue("account"), r.PathValue("container"), r.PathValue("object"))
	if err != nil {
		return nil, err
	}
	rc.referer = r.Referer()
	return rc, nil
}

// at is rc for another container and object of the same account, with
// the same caller and grants.
func (rc *reqCtx) at(container, object string) *reqCtx {
	one := *rc
	one.container, one.object = container, object
	return &one
}

// requireOwner allows account-level and container-management operations.
func (rc *reqCtx) requireOwner(write bool) error {
	if rc.owner && (!write || rc.ownerRW) {
		return nil
	}
	return deny(rc.p)
}

// tempAllows reports whether a temp URL signature grants access to
// container (in the URL's account: the key was looked up there).
func (rc *reqCtx) tempAllows(container string) bool {
	return rc.temp != nil && (rc.temp.container == "" || rc.temp.container == container)
}

// mayKnowMissing reports whether the caller may learn that container
// does not exist (404) rather than be refused.
func (rc *reqCtx) mayKnowMissing(write bool) bool {
	if write {
		return rc.ownerRW || rc.tempAllows(rc.container)
	}
	return rc.owner || rc.tempAllows(rc.container)
}

// swiftOwnerHeaders are shown only to those who may write the account
// (proxy-server.conf's swift_owner_headers): temp URL and sync keys and
// the ACLs. Anyone who sees a key can sign temp URLs with it.
var swiftOwnerHeaders = map[string]bool{
	"X-Container-Read": true, "X-Container-Write": true,
	"X-Container-Sync-Key": true, "X-Container-Sync-To": true,
	"X-Account-Meta-Temp-Url-Key": true, "X-Account-Meta-Temp-Url-Key-2": true,
	"X-Container-Meta-Temp-Url-Key": true, "X-Container-Meta-Temp-Url-Key-2": true,
	"X-Account-Access-Control": true,
}

// ownerOnlyHeaders are shown to the account's readers but not to callers
// whose access comes from an ACL or a temp URL.
var ownerOnlyHeaders = map[string]bool{"X-Versions-Location": true, "X-History-Location": true}

// shows reports whether the caller may see the stored header k.
func (rc *reqCtx) shows(k string) bool {
	k = http.CanonicalHeaderKey(k)
	switch {
	case swiftOwnerHeaders[k]:
		return rc.ownerRW
	case ownerOnlyHeaders[k]:
		return rc.owner
	}
	return true
}

// writeVisibleMeta copies the stored metadata the caller may see into h
// (never sysmeta).
func (rc *reqCtx) writeVisibleMeta(h http.Header, m map[string]string) {
	for k, v := range m {
		if rc.shows(k) && !isSysmeta(k) {
			h[k] = []string{v}
		}
	}
}

// acl is a parsed X-Container-Read or X-Container-Write value.
type acl struct {
	referrers []string // ".r:" entries, "-host" denies
	listings  bool     // .rlistings
	users     []string // "project:user" entries and role names
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

// defaultDomainID is keystoneauth's default_domain_id: the one domain in
// which ACL entries may name projects and users by name.
const defaultDomainID = "default"

// userAllowed matches the "project:user" entries (and bare role names) as
// keystoneauth's _authorize_cross_tenant does: ids and "*" always match;
// names match only when namesOK says that the caller's user and project
// and the account's project are all in the default domain, because a
// name is unique only within its domain.
func (a acl) userAllowed(p *policy.Principal, namesOK func() bool) bool {
	if p == nil {
		return false
	}
	names := -1 // unknown until a name is worth comparing
	for _, u := range a.users {
		proj, user, ok := strings.Cut(u, ":")
		if !ok {
			// A bare role name grants users holding it (keystoneauth).
			if p.HasRole(u) {
				return true
			}
			continue
		}
		pID := proj == "*" || (proj != "" && proj == p.ProjectID)
		uID := user == "*" || (user != "" && user == p.UserID)
		if pID && uID {
			return true
		}
		pName := proj != "" && proj == p.ProjectName
		uName := user != "" && user == p.UserName
		if (pID || pName) && (uID || uName) {
			if names < 0 {
				names = 0
				if namesOK() {
					names = 1
				}
			}
			if names == 1 {
				return true
			}
		}
	}
	return false
}

// namesAllowed is keystoneauth's _is_name_allowed_in_acl for rc.
func (s *Service) namesAllowed(ctx context.Context, rc *reqCtx) func() bool {
	return func() bool {
		p := rc.p
		if p == nil || p.UserDomainID != defaultDomainID || p.ProjectDomain != defaultDomainID {
			return false
		}
		if p.ProjectID == rc.project {
			return true
		}
		if s.projectDomain == nil {
			return false
		}
		d, err := s.projectDomain(ctx, rc.project)
		return err == nil && d == defaultDomainID
	}
}

// canRead reports whether the caller may read objects of c (listing=true
// for the container listing, which referrer ACLs grant only with .rlistings).
func (s *Service) canRead(ctx context.Context, rc *reqCtx, c *Container, listing bool) bool {
	if rc.owner || rc.tempAllows(c.Name) {
		return true
	}
	a := parseACL(c.Meta["X-Container-Read"])
	if a.userAllowed(rc.p, s.namesAllowed(ctx, rc)) {
		return true
	}
	if listing && !a.listings {
		return false
	}
	return a.referrerAllowed(rc.referer)
}

// canWrite reports whether the caller may write objects of c.
func (s *Service) canWrite(ctx context.Context, rc *reqCtx, c *Container) bool {
	if rc.ownerRW || rc.tempAllows(c.Name) {
		return true
	}
	return parseACL(c.Meta["X-Container-Write"]).userAllowed(rc.p, s.namesAllowed(ctx, rc))
}

// readableContainer loads rc's container and checks read access.
func (s *Service) readableContainer(ctx context.Context, rc *reqCtx, listing bool) (*Container, error) {
	c, err := getContainer(ctx, s.db.R(), rc.account, rc.container)
	if isNotFound(err) {
		if !rc.mayKnowMissing(false) {
			return nil, deny(rc.p)
		}
		return nil, errNotFound()
	}
	if err != nil {
		return nil, err
	}
	if !s.canRead(ctx, rc, c, listing) {
		return nil, deny(rc.p)
	}
	return c, nil
}

// writableContainer loads rc's container and checks write access.
func (s *Service) writableContainer(ctx context.Context, rc *reqCtx) (*Container, error) {
	c, err := getContainer(ctx, s.db.R(), rc.account, rc.container)
	if isNotFound(err) {
		if !rc.mayKnowMissing(true) {
			return nil, deny(rc.p)
		}
		return nil, errNotFound()
	}
	if err != nil {
		return nil, err
	}
	if !s.canWrite(ctx, rc, c) {
		return nil, deny(rc.p)
	}
	return c, nil
}

// segmentAccess is the check every container a large object's bytes come
// from must pass, at every level of DLO and SLO resolution: the caller
// must be able to read it (as Swift authorises each segment sub-request
// as the caller, temp URL scope included). Without it a manifest the
// caller may read would expose containers he may not.
func (s *Service) segmentAccess(ctx context.Context, rc *reqCtx) segmentCheck {
	return func(container string) error {
		if rc.owner {
			return nil
		}
		_, err := s.readableContainer(ctx, rc.at(container, ""), false)
		if fault.KindOf(err) == fault.NotFound {
			return nil // a caller who may know it is missing: the resolution says so
		}
		return err
	}
}

// segmentCheck authorises reading the segments kept in a container.
type segmentCheck func(container string) error
