package objectstore

import (
	"net/http"
	"strings"

	"strconv"
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
			return s.serveWebObject(w, r, rc, idx, http.StatusOK)
		}
	}
	return s.listObjects(w, r)
}

// webError serves "<status><Web-Error>" for anonymous errors when set.
func (s *Service) webError(w http.ResponseWriter, r *http.Request, rc *reqCtx, c *Container, status int, orig error) error {
	name := c.Meta["X-Container-Meta-Web-Error"]
	if name == "" {
		// A pseudo-directory with an index page.
		if idx := c.Meta["X-Container-Meta-Web-Index"]; idx != "" && strings.HasSuffix(rc.object, "/") {
			return s.serveWebObject(w, r, rc, rc.object+idx, http.StatusOK)
		}
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
