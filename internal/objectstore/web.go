package objectstore

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/stratus-iaas/stratus/internal/fault"
)

// Static web (X-Container-Meta-Web-*) applies to GET and HEAD from
// anonymous callers, and from token holders who send X-Web-Mode: true, as
// Swift's staticweb middleware does.
func webMode(r *http.Request, rc *reqCtx) bool {
	return rc.p == nil || truthy(r.Header.Get("X-Web-Mode"))
}

// containerWeb is GET /v1/{account}/{container}/ : the index object when
// Web-Index is set, otherwise the container listing.
func (s *Service) containerWeb(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if webMode(r, rc) {
		if done, err := s.webContainer(w, r, rc); done {
			return err
		}
	}
	return s.listObjects(w, r)
}

// webContainer is staticweb's handle_container for GET and HEAD of
// "c" and "c/". The container request is authorised as a listing (a
// referrer ACL needs .rlistings), and a refusal is served as
// "<status><Web-Error>" when the caller may read that object. It reports
// whether it answered; if not the request is an ordinary listing.
func (s *Service) webContainer(w http.ResponseWriter, r *http.Request, rc *reqCtx) (bool, error) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false, nil
	}
	c, err := getContainer(r.Context(), s.db.R(), rc.account, rc.container)
	if err != nil {
		return false, nil
	}
	if !s.canRead(r.Context(), rc, c, true) {
		return true, s.webErrorPage(w, r, rc, c, deny(rc.p))
	}
	if !isWebContainer(c) {
		if truthy(r.Header.Get("X-Web-Mode")) {
			return true, errNotFound()
		}
		return false, nil
	}
	if !strings.HasSuffix(r.URL.Path, "/") {
		webRedirect(w, r)
		return true, nil
	}
	if idx := webIndex(c); idx != "" {
		if err := s.serveWebObject(w, r, rc, idx, http.StatusOK); fault.KindOf(err) != fault.NotFound {
			return true, err
		}
	}
	return true, s.webDir(w, r, rc, c, "")
}

// webRedirect answers 301 to the request path with a slash appended, as
// staticweb's _redirect_with_slash does (the query is not kept).
func webRedirect(w http.ResponseWriter, r *http.Request) {
	u := url.URL{Path: r.URL.Path + "/"}
	w.Header().Set("Location", u.EscapedPath())
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusMovedPermanently)
}

func webIndex(c *Container) string { return strings.TrimSpace(c.Meta["X-Container-Meta-Web-Index"]) }

// isWebContainer reports whether static web serves c (Web-Index or
// Web-Listings set); elsewhere staticweb leaves requests alone.
func isWebContainer(c *Container) bool { return webIndex(c) != "" || webListingOn(c) }

// webContainerRow returns c, reading the container when the caller has
// not (the owner's object read skips it).
func (s *Service) webContainerRow(r *http.Request, rc *reqCtx, c *Container) (*Container, error) {
	if c != nil {
		return c, nil
	}
	return getContainer(r.Context(), s.db.R(), rc.account, rc.container)
}

// webNotFound is staticweb's handle_object once the object itself is not
// found: for a web container (Web-Index or Web-Listings set), "dir/" is
// served as its index object or a listing, and "dir" is redirected to
// "dir/" when that index object or any object under "dir/" exists.
func (s *Service) webNotFound(w http.ResponseWriter, r *http.Request, rc *reqCtx, c *Container, orig error) error {
	c, err := s.webContainerRow(r, rc, c)
	if err != nil {
		return orig
	}
	if !isWebContainer(c) {
		return orig // staticweb keeps the plain 404 here
	}
	idx := webIndex(c)
	ctx := r.Context()
	dir, slash := rc.object, strings.HasSuffix(rc.object, "/")
	if !slash {
		dir += "/"
	}
	if idx != "" {
		if slash {
			err = s.serveWebObject(w, r, rc, dir+idx, http.StatusOK)
		} else if _, err = s.liveObject(ctx, rc.account, rc.container, dir+idx); err == nil {
			webRedirect(w, r)
		}
		if fault.KindOf(err) != fault.NotFound {
			return err
		}
	}
	if slash {
		return s.webDir(w, r, rc, c, rc.object)
	}
	// Any object under "dir/"? staticweb asks with a listing sub-request,
	// so the caller needs listing access; a refusal is a 404.
	if !s.canRead(r.Context(), rc, c, true) {
		return s.webErrorPage(w, r, rc, c, orig)
	}
	es, err := s.listEntries(ctx, rc.account, rc.container, listParams{limit: 1, prefix: dir, dlm: "/"})
	if err != nil {
		return err
	}
	if len(es) == 0 {
		return s.webErrorPage(w, r, rc, c, orig)
	}
	webRedirect(w, r)
	return nil
}

// webDirMarker is staticweb's check in handle_object that an object found
// is a directory marker: its Content-Type is the container's
// Web-Directory-Type (application/directory when unset) and its
// Content-Length at most 1. A marker in a web container is answered as
// a missing object would be; elsewhere it is served as is. It reports
// whether it answered.
func (s *Service) webDirMarker(w http.ResponseWriter, r *http.Request, rc *reqCtx, c *Container, o *Object, size int64) (bool, error) {
	if size > 1 {
		return false, nil
	}
	c, err := s.webContainerRow(r, rc, c)
	if err != nil {
		return false, nil
	}
	dirType := strings.TrimSpace(c.Meta["X-Container-Meta-Web-Directory-Type"])
	if dirType == "" {
		dirType = "application/directory"
	}
	if o.ContentType != dirType || !isWebContainer(c) {
		return false, nil
	}
	return true, s.webNotFound(w, r, rc, c, errNotFound())
}

// webLabel is the listing's title: the request path, or with
// Web-Listings-Label set "<label>/<path under the container>", as
// staticweb's _listing builds it.
func webLabel(r *http.Request, rc *reqCtx, c *Container) string {
	if label := strings.TrimSpace(c.Meta["X-Container-Meta-Web-Listings-Label"]); label != "" {
		return label + "/" + rc.object
	}
	// staticweb.py shows PATH_INFO, which starts at /v1 in Swift; here the
	// object store is mounted under a prefix that the title leaves out.
	if i := strings.Index(r.URL.Path, "/v1/"); i > 0 {
		return r.URL.Path[i:]
	}
	return r.URL.Path
}

// webDir is staticweb's _listing: the HTML listing of prefix when
// Web-Listings is on and the caller may list, else an error page.
func (s *Service) webDir(w http.ResponseWriter, r *http.Request, rc *reqCtx, c *Container, prefix string) error {
	if !webListingOn(c) {
		return s.webErrorPage(w, r, rc, c, listingDisabled(r, rc, c, prefix))
	}
	if !s.canRead(r.Context(), rc, c, true) {
		return s.webErrorPage(w, r, rc, c, deny(rc.p))
	}
	return s.webListing(w, r, rc, c, prefix)
}

// webErrorPage is staticweb's _error_response: orig's status with the
// body and headers of the object "<status><Web-Error>", fetched as the
// caller would fetch it, or orig itself when there is no such page.
func (s *Service) webErrorPage(w http.ResponseWriter, r *http.Request, rc *reqCtx, c *Container, orig error) error {
	name := strings.TrimSpace(c.Meta["X-Container-Meta-Web-Error"])
	fe := fault.As(orig)
	if name == "" || fe == nil || !s.canRead(r.Context(), rc, c, false) {
		return orig
	}
	status := fe.HTTPStatus()
	if err := s.serveWebObject(w, r, rc, itoa(status)+name, status); err != nil {
		return orig
	}
	return nil
}

func (s *Service) serveWebObject(w http.ResponseWriter, r *http.Request, rc *reqCtx, name string, status int) error {
	o, err := s.liveObject(r.Context(), rc.account, rc.container, name)
	if err != nil {
		return err
	}
	b, err := s.objectBody(r.Context(), o, s.segmentAccess(r.Context(), rc))
	if err == nil && r.Method != http.MethodHead {
		err = b.sendable(0, b.size)
	}
	if err != nil {
		return err
	}
	objectHeaders(w, o, b.etag)
	if b.manifestETag != "" {
		w.Header().Set("X-Manifest-Etag", b.manifestETag)
	}
	w.Header().Set("Content-Length", itoa(int(b.size)))
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return nil
	}
	return s.writeRange(r.Context(), w, b, 0, b.size)
}

func itoa(n int) string { return strconv.Itoa(n) }

// webListingOn reads Swift's Web-Listings and K5's Web-Listing spelling.
func webListingOn(c *Container) bool {
	return truthy(c.Meta["X-Container-Meta-Web-Listings"]) || truthy(c.Meta["X-Container-Meta-Web-Listing"])
}

// webListingCSS reads Swift's Web-Listings-CSS and K5's Web-Listing-CSS.
func webListingCSS(c *Container) string {
	if css := c.Meta["X-Container-Meta-Web-Listings-Css"]; css != "" {
		return css
	}
	return c.Meta["X-Container-Meta-Web-Listing-Css"]
}
