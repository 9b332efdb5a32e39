package objectstore

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/stratus-iaas/stratus/internal/fault"
)

// copyVerb is COPY /v1/{account}/{container}/{object} with Destination.
func (s *Service) copyVerb(w http.ResponseWriter, r *http.Request) error {
	rc, err := s.objectReq(r)
	if err != nil {
		return err
	}
	dst := r.Header.Get("Destination")
	if dst == "" {
		return fault.New(fault.PreconditionFailed, "Destination header required")
	}
	dc, do, err := splitCopyPath(dst, "Destination")
	if err != nil {
		return err
	}
	if _, err := s.writableContainer(r.Context(), rc.at(dc, do)); err != nil {
		return err
	}
	return s.copyObject(w, r, rc, rc.container, rc.object, dc, do)
}

// splitCopyPath reads "container/object" or "/container/object" (URL-encoded),
// held to the name rules.
func splitCopyPath(v, header string) (string, string, error) {
	u, err := url.PathUnescape(v)
	c, o, ok := strings.Cut(strings.TrimPrefix(u, "/"), "/")
	if err != nil || !ok || c == "" || o == "" {
		return "", "", fault.New(fault.PreconditionFailed, "%s header must be of the form <container name>/<object name>", header)
	}
	if err := checkName(c, o); err != nil {
		return "", "", err
	}
	return c, o, nil
}

// copyObject copies src to dst: the bytes are shared (blobs are
// immutable), except for large objects, which are joined into a new blob
// unless multipart-manifest=get copies the manifest itself.
func (s *Service) copyObject(w http.ResponseWriter, r *http.Request, rc *reqCtx, sc, so, dc, do string) error {
	ctx := r.Context()
	o, src, err := s.copySource(ctx, r, rc, rc.at(sc, so))
	if err != nil {
		return err
	}
	if err := checkMeta(r.Header, "X-Object-Meta-"); err != nil {
		return err
	}
	n := *o
	n.Container, n.Name, n.DeleteAt, n.LastModified = dc, do, 0, 0
	n.Meta = map[string]string{}
	for k, v := range o.Meta {
		// Sysmeta (a link's target) is copied with fresh metadata too (copy.py).
		if isSysmeta(k) || !truthy(r.Header.Get("X-Fresh-Metadata")) {
			n.Meta[k] = v
		}
	}
	for k, v := range objectMetaFrom(r.Header) {
		n.Meta[k] = v
	}
	if r.Header.Get("Content-Type") != "" && r.Method == "COPY" || r.Header.Get("X-Copy-From") != "" && r.Header.Get("Content-Type") != "" {
		n.ContentType = r.Header.Get("Content-Type")
	}
	if at, set, err := deleteAt(r.Header); err != nil {
		return err
	} else if set {
		n.DeleteAt = at
	}
	if (o.Kind == kindSLO || o.Kind == kindDLO) && r.URL.Query().Get("multipart-manifest") != "get" {
		b, err := s.objectBody(ctx, o, s.segmentAccess(ctx, src))
		if err != nil {
			return err
		}
		if err := b.sendable(0, b.size); err != nil {
			return err
		}
		if b.size > maxFileSize {
			return fault.New(fault.TooLarge, msgTooLarge)
		}
		n.Kind = kindPlain
		delete(n.Meta, "X-Object-Manifest")
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(s.writeRange(ctx, pw, b, 0, b.size)) }()
		err = s.writeBlob(ctx, &n, pr, b.size, "")
		pr.Close()
		if err != nil {
			return err
		}
	}
	if err := s.storeObject(ctx, &n, putOpts{sharedBlob: n.BlobKey == o.BlobKey}); err != nil {
		if n.BlobKey != o.BlobKey {
			s.dropBlobs([]string{n.BlobKey})
		}
		return err
	}
	objectVersionHeader(w, &n)
	h := w.Header()
	h.Set("X-Copied-From", url.PathEscape(sc)+"/"+escapeObject(so))
	h.Set("X-Copied-From-Last-Modified", httpDate(lastModified(o.LastModified)))
	writeMeta(h, n.Meta)
	h.Set("Content-Type", n.ContentType)
	if rc.temp != nil {
		tempURLHeaders(w, r, rc)
	}
	return created(w, n.ETag, n.LastModified)
}

// copySource reads a copy's source as a GET of it would (src: the
// caller on the source): ?version-id picks a version, links are followed
// unless ?symlink=get asks for the link itself (a version link is always
// followed: it means nothing outside its container).
func (s *Service) copySource(ctx context.Context, r *http.Request, rc, src *reqCtx) (*Object, *reqCtx, error) {
	rp := readParamsOf(r, rc)
	var o *Object
	from := src
	if rp.versionID != "" && rp.versionID != "null" {
		v, vrc, err := s.readVersion(ctx, src, rp.versionID, false)
		if err != nil {
			return nil, nil, err
		}
		o, from = v, vrc
	} else {
		if _, err := s.readableContainer(ctx, src, false); err != nil {
			return nil, nil, err
		}
		var err error
		if o, err = s.liveObject(ctx, src.account, src.container, src.object); err != nil {
			return nil, nil, err
		}
	}
	res, err := s.resolveRead(ctx, from, o, false, rp.linkGet && !isVersionLink(o))
	if err != nil {
		return nil, nil, err
	}
	if rp.versionID == "null" && res.versionID != "" {
		return nil, nil, errNotFound()
	}
	return res.o, res.rc, nil
}

func escapeObject(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}
