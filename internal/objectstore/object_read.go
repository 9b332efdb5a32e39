package objectstore

import (
	"context"
	"net/http"

	"github.com/stratus-iaas/stratus/internal/fault"
)

// readParams are the query parameters a read of an object honours. A temp
// URL carries none of them (tempurl.py rewrites the query to its own).
type readParams struct {
	versionID string // ?version-id
	linkGet   bool   // ?symlink=get: the link itself, not its target
}

func readParamsOf(r *http.Request, rc *reqCtx) readParams {
	if rc.temp != nil {
		return readParams{}
	}
	q := r.URL.Query()
	return readParams{versionID: q.Get("version-id"), linkGet: q.Get("symlink") == "get"}
}

// getObject is GET and HEAD /v1/{account}/{container}/{object}.
func (s *Service) getObject(w http.ResponseWriter, r *http.Request) error {
	rc, err := s.objectReq(r)
	if err != nil {
		return err
	}
	if rc.object == "" {
		return s.containerWeb(w, r, rc)
	}
	rp := readParamsOf(r, rc)
	if rp.versionID != "" && rp.versionID != "null" {
		return s.getVersion(w, r, rc, rp)
	}
	// The owner needs no container row: an object implies its container.
	ctx := r.Context()
	o, c, err := s.readObject(ctx, rc, r.Method == http.MethodGet)
	if err != nil {
		if fault.KindOf(err) == fault.NotFound && webMode(r, rc) {
			return s.webNotFound(w, r, rc, c, err)
		}
		return err
	}
	res, err := s.resolveRead(ctx, rc, o, r.Method == http.MethodGet, rp.linkGet)
	if err != nil {
		return err
	}
	versioned := isVersionLink(o) || rp.versionID == "null"
	switch {
	case versioned:
	case c != nil:
		hidden, _ := versioning(c)
		versioned = hidden != ""
	default:
		// The owner read no container row; whether it has versions is cached.
		if versioned, err = s.versionedCache.has(ctx, s.db.R(), rc.account, rc.container); err != nil {
			return err
		}
	}
	if rp.versionID == "null" && res.versionID != "" {
		return errNotFound() // the current object is a version, not the unversioned one
	}
	return s.serveRead(w, r, rc, c, o, res, versioned, rp.linkGet)
}

// resolveRead follows o's links unless the link itself was asked for.
func (s *Service) resolveRead(ctx context.Context, rc *reqCtx, o *Object, withData, linkGet bool) (*resolution, error) {
	if linkGet {
		return &resolution{o: o, rc: rc}, nil
	}
	return s.follow(ctx, rc, o, withData, false, "", "")
}

// serveRead answers a GET or HEAD of o (asked for), resolved to res: the
// bytes and headers of what it reached, with Content-Location when a link
// was followed and, in a versioned container, the version's id.
func (s *Service) serveRead(w http.ResponseWriter, r *http.Request, rc *reqCtx, c *Container, o *Object, res *resolution, versioned, linkGet bool) error {
	ctx := r.Context()
	t := res.o
	if t.Kind == kindSLO && r.URL.Query().Get("multipart-manifest") == "get" {
		return s.serveManifest(w, r, t)
	}
	b, err := s.objectBody(ctx, t, s.segmentAccess(ctx, res.rc))
	if err != nil {
		return err
	}
	if webMode(r, rc) {
		if done, err := s.webDirMarker(w, r, rc, c, t, b.size); done {
			return err
		}
	}
	objectHeaders(w, t, b.etag)
	h := w.Header()
	if b.manifestETag != "" {
		h.Set("X-Manifest-Etag", b.manifestETag)
	}
	if linkGet && isSymlink(t) {
		symlinkHeaders(h, t)
	}
	if res.lastTarget != "" {
		h.Set("Content-Location", res.lastTarget)
	}
	if versioned {
		h.Set("X-Object-Version-Id", "null")
		if res.versionID != "" {
			// The path of the version the name's link led to (object_versioning.py).
			h.Set("X-Object-Version-Id", res.versionID)
			h.Set("Content-Location", "/v1/"+pyQuote(rc.account)+"/"+pyQuote(rc.container+"/"+rc.object)+"?version-id="+res.versionID)
		}
		if linkGet && isVersionLink(t) {
			vid := t.Meta[sysVersionLink]
			h.Set("X-Object-Version-Id", vid)
			h.Set("X-Symlink-Target", pyQuote(rc.container+"/"+rc.object)+"?version-id="+vid)
		}
	}
	if rc.temp != nil {
		tempURLHeaders(w, r, rc)
	}
	if done, err := conditional(w, r, b.etag, lastModified(t.LastModified)); done || err != nil {
		return err
	}
	return s.serveBody(w, r, b, t.ContentType)
}
