package objectstore

import (
	"html"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/stratus-iaas/stratus/internal/fault"
)

// Static web (X-Container-Meta-Web-*) applies to anonymous requests, as
// Swift's staticweb middleware does.

// containerWeb is GET /v1/{account}/{container}/ : the index object when
// Web-Index is set, otherwise the container listing.
func (s *Service) containerWeb(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if rc.p == nil {
		c, err := s.readableContainer(r, rc, false)
		if err != nil {
			return err
		}
		if idx := c.Meta["X-Container-Meta-Web-Index"]; idx != "" {
			if err := s.serveWebObject(w, r, rc, idx, http.StatusOK); fault.KindOf(err) != fault.NotFound {
				return err
			}
		}
		if webListingOn(c) {
			return s.webListing(w, r, rc, c, "")
		}
	}
	return s.listObjects(w, r)
}

// webRedirect sends anonymous GETs of a static-web container to its
// trailing-slash form, as staticweb does. It reports whether it answered.
func webRedirect(w http.ResponseWriter, r *http.Request, rc *reqCtx, c *Container) bool {
	if rc.p != nil || r.Method != http.MethodGet && r.Method != http.MethodHead || strings.HasSuffix(r.URL.Path, "/") {
		return false
	}
	if c.Meta["X-Container-Meta-Web-Index"] == "" && !webListingOn(c) {
		return false
	}
	u := *r.URL
	u.Path += "/"
	u.RawPath = ""
	w.Header().Set("Location", u.RequestURI())
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusMovedPermanently)
	return true
}

// webListing renders staticweb's HTML listing of prefix.
func (s *Service) webListing(w http.ResponseWriter, r *http.Request, rc *reqCtx, c *Container, prefix string) error {
	es, err := s.listEntries(r.Context(), rc.account, rc.container, listParams{limit: containerListingLimit, prefix: prefix, dlm: "/"})
	if err != nil {
		return err
	}
	title := html.EscapeString(r.URL.Path)
	var b strings.Builder
	b.WriteString("<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\" \"http://www.w3.org/TR/html4/loose.dtd\">\n<html>\n <head>\n  <title>Listing of " + title + "</title>\n")
	css := c.Meta["X-Container-Meta-Web-Listings-Css"]
	if css == "" {
		css = c.Meta["X-Container-Meta-Web-Listing-Css"]
	}
	if css != "" {
		b.WriteString("  <link rel=\"stylesheet\" type=\"text/css\" href=\"" + html.EscapeString(css) + "\" />\n")
	}
	b.WriteString(" </head>\n <body>\n  <h1 id=\"title\">Listing of " + title + "</h1>\n  <table id=\"listing\">\n" +
		"   <tr id=\"heading\">\n    <th class=\"colname\">Name</th>\n    <th class=\"colsize\">Size</th>\n    <th class=\"coldate\">Date</th>\n   </tr>\n")
	if prefix != "" {
		b.WriteString("   <tr id=\"parent\" class=\"item\">\n    <td class=\"colname\"><a href=\"../\">../</a></td>\n    <td class=\"colsize\">&nbsp;</td>\n    <td class=\"coldate\">&nbsp;</td>\n   </tr>\n")
	}
	for _, e := range es {
		name := html.EscapeString(strings.TrimPrefix(e.name, prefix))
		if e.subdir {
			b.WriteString("   <tr class=\"item subdir\">\n    <td class=\"colname\"><a href=\"" + name + "\">" + name + "</a></td>\n    <td class=\"colsize\">&nbsp;</td>\n    <td class=\"coldate\">&nbsp;</td>\n   </tr>\n")
			continue
		}
		b.WriteString("   <tr class=\"item\">\n    <td class=\"colname\"><a href=\"" + name + "\">" + name + "</a></td>\n    <td class=\"colsize\">" +
			strconv.FormatInt(e.obj.Size, 10) + "</td>\n    <td class=\"coldate\">" + isoTime(e.obj.LastModified)[:19] + "</td>\n   </tr>\n")
	}
	b.WriteString("  </table>\n </body>\n</html>\n")
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		io.WriteString(w, b.String())
	}
	return nil
}

// webError serves "<status><Web-Error>" for anonymous errors when set.
func (s *Service) webError(w http.ResponseWriter, r *http.Request, rc *reqCtx, c *Container, status int, orig error) error {
	if strings.HasSuffix(rc.object, "/") {
		// A pseudo-directory: its index page, else a listing.
		if idx := c.Meta["X-Container-Meta-Web-Index"]; idx != "" {
			if err := s.serveWebObject(w, r, rc, rc.object+idx, http.StatusOK); fault.KindOf(err) != fault.NotFound {
				return err
			}
		}
		if webListingOn(c) {
			return s.webListing(w, r, rc, c, rc.object)
		}
	}
	name := c.Meta["X-Container-Meta-Web-Error"]
	if name == "" {
		return orig
	}
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
	if err := s.checkSegments(r, rc, o); err != nil {
		return err
	}
	b, err := s.objectBody(r.Context(), o, 0)
	if err == nil && r.Method != http.MethodHead {
		err = b.sendable(0, b.size)
	}
	if err != nil {
		return err
	}
	objectHeaders(w, o, b.etag)
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
