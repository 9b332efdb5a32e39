package objectstore

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/hashcopy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// objectReq parses the request and applies a temp URL signature.
func (s *Service) objectReq(r *http.Request) (*reqCtx, error) {
	rc, err := parseReq(r)
	if err != nil {
		return nil, err
	}
	if err := s.checkTempURL(r, rc); err != nil {
		return nil, err
	}
	return rc, nil
}

// liveObject returns the object unless it is missing or expired.
func (s *Service) liveObject(ctx context.Context, account, container, name string) (*Object, error) {
	return s.live(getObjectRow(ctx, s.db.R(), account, container, name))
}

// liveObjectWithData is liveObject that also reads an inline object's bytes.
func (s *Service) liveObjectWithData(ctx context.Context, account, container, name string) (*Object, error) {
	return s.live(getObjectWithData(ctx, s.db.R(), account, container, name))
}

func (s *Service) live(o *Object, err error) (*Object, error) {
	if isNotFound(err) {
		return nil, errNotFound()
	}
	if err != nil {
		return nil, err
	}
	if o.DeleteAt != 0 && o.DeleteAt <= time.Now().Unix() {
		return nil, errNotFound()
	}
	return o, nil
}

func objectHeaders(w http.ResponseWriter, o *Object, etag string) {
	h := w.Header()
	writeMeta(h, o.Meta)
	h.Set("Content-Type", o.ContentType)
	h.Set("ETag", etag)
	h.Set("Last-Modified", httpDate(lastModified(o.LastModified)))
	setTimestamp(w, o.LastModified)
	if o.DeleteAt != 0 {
		h.Set("X-Delete-At", strconv.FormatInt(o.DeleteAt, 10))
	}
	if o.Kind == kindSLO {
		h.Set("X-Static-Large-Object", "True")
	}
}

// contentType is the type a PUT stores: sent, or guessed from the name
// when absent or when X-Detect-Content-Type is true.
func contentType(h http.Header, name string) string {
	ct := h.Get("Content-Type")
	if ct == "" || truthy(h.Get("X-Detect-Content-Type")) {
		// Swift guesses with Python's mimetypes, which adds no charset
		// where Go's table does (text/html; charset=utf-8).
		ct, _, _ = strings.Cut(mime.TypeByExtension(path.Ext(name)), ";")
		if ct == "" {
			ct = "application/octet-stream"
		}
	}
	return ct
}

// putObject is PUT /v1/{account}/{container}/{object}.
func (s *Service) putObject(w http.ResponseWriter, r *http.Request) error {
	rc, err := s.objectReq(r)
	if err != nil {
		return err
	}
	if rc.object == "" {
		return s.putContainer(w, r)
	}
	// The container is read first to refuse a PUT before its body is
	// read. storeObject checks it again in the transaction that records
	// the object, so an owner's small plain PUT, whose body costs nothing
	// to read, skips the first read.
	var c *Container
	q := r.URL.Query()
	small := rc.ownerRW && r.ContentLength >= 0 && r.ContentLength <= int64(s.inlineMax)
	if !small || r.Header.Get("X-Copy-From") != "" || q.Get("multipart-manifest") == "put" {
		if c, err = s.writableContainer(r.Context(), rc); err != nil {
			return err
		}
	}
	if src := r.Header.Get("X-Copy-From"); src != "" {
		if r.ContentLength > 0 {
			return fault.Invalidf("Copy requests require a zero byte body")
		}
		sc, so, err := splitCopyPath(src, "X-Copy-From")
		if err != nil {
			return err
		}
		return s.copyObject(w, r, rc, sc, so, rc.container, rc.object)
	}
	if vid := readParamsOf(r, rc).versionID; vid != "" {
		return s.restoreVersion(w, r, rc, vid)
	}
	chunked := len(r.TransferEncoding) > 0
	if !chunked && r.Header.Get("Content-Length") == "" {
		return fault.New(fault.LengthRequired, msgLength)
	}
	if r.ContentLength > maxFileSize {
		return fault.New(fault.TooLarge, msgTooLarge)
	}
	if err := checkMeta(r.Header, "X-Object-Meta-"); err != nil {
		return err
	}
	_, symlink := r.Header["X-Symlink-Target"]
	if q.Get("multipart-manifest") == "put" && !symlink {
		return s.putSLO(w, r, rc, c)
	}
	o, err := objectFromPut(r, rc)
	if err != nil {
		return err
	}
	inm := r.Header.Get("If-None-Match")
	if inm != "" && inm != "*" {
		return fault.Invalidf("If-None-Match only supports *")
	}
	body, size := io.Reader(r.Body), r.ContentLength
	if symlink {
		if err := s.symlinkPut(r.Context(), r, rc, o); err != nil {
			return err
		}
		body, size = bytes.NewReader(nil), 0
	}
	if err := s.writeObject(r.Context(), c, o, body, size, r.Header.Get("ETag"), inm == "*"); err != nil {
		return err
	}
	objectVersionHeader(w, o)
	return created(w, o.ETag, o.LastModified)
}

// objectFromPut builds the row of a PUT from its headers.
func objectFromPut(r *http.Request, rc *reqCtx) (*Object, error) {
	at, _, err := deleteAt(r.Header)
	if err != nil {
		return nil, err
	}
	o := &Object{Account: rc.account, Container: rc.container, Name: rc.object,
		ContentType: contentType(r.Header, rc.object), DeleteAt: at, Meta: objectMetaFrom(r.Header)}
	if v := r.Header.Get("X-Object-Manifest"); v != "" && rc.temp == nil {
		if _, _, err := dloTarget(v); err != nil {
			return nil, err
		}
		o.Kind = kindDLO
		o.Meta["X-Object-Manifest"] = v
	}
	return o, nil
}

// writeBlob streams src into a new blob, computing MD5 on the way, checks
// the length and the client's ETag (422), and commits (fsync) the blob.
// Objects of at most s.inlineMax bytes are kept in memory for storeObject
// to insert inline with their row; their blob is committed with the row.
func (s *Service) writeBlob(ctx context.Context, o *Object, src io.Reader, length int64, wantETag string) error {
	if s.inlineMax > 0 && length <= int64(s.inlineMax) {
		small, more, err := readSmall(src, length, s.inlineMax)
		if err != nil {
			return clientReadError(err)
		}
		if !more {
			if length >= 0 && int64(len(small)) != length {
				return fault.New(fault.Invalid, "Bad Request").WithCause(errors.New("short body"))
			}
			sum := md5.Sum(small)
			o.BlobKey, o.inline, o.Size, o.ETag = newInlineKey(), small, int64(len(small)), hex.EncodeToString(sum[:])
			if wantETag != "" && strings.Trim(wantETag, `"`) != o.ETag {
				return fault.New(fault.Unprocessable, msgUnprocess)
			}
			return nil
		}
		src = io.MultiReader(bytes.NewReader(small), src)
	}
	o.BlobKey = newBlobKey()
	bw, err := s.blobs.Create(ctx, o.BlobKey)
	if err != nil {
		return err
	}
	h := md5.New()
	res, err := hashcopy.Copy(ctx, bw, src, maxFileSize, h)
	if err == nil && res.Over {
		err = fault.New(fault.TooLarge, msgTooLarge)
	}
	n := res.N
	if err == nil && length >= 0 && n != length {
		err = fault.New(fault.Invalid, "Bad Request").WithCause(errors.New("short body"))
	}
	if err != nil {
		bw.Abort()
		return clientReadError(err)
	}
	o.Size = n
	o.ETag = hex.EncodeToString(h.Sum(nil))
	if wantETag != "" && strings.Trim(wantETag, `"`) != o.ETag {
		bw.Abort()
		return fault.New(fault.Unprocessable, msgUnprocess)
	}
	return bw.Commit()
}

// clientReadError maps a failure to read a request body: the body limit's
// own error and service faults pass through, anything else is the client's.
func clientReadError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || fault.As(err) != nil {
		return err
	}
	return fault.New(fault.Kind(0), "client read error").WithStatus(499).WithCause(err)
}

func created(w http.ResponseWriter, etag string, lm int64) error {
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Last-Modified", httpDate(lastModified(lm)))
	h.Set("Content-Type", "text/html; charset=UTF-8")
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
	return nil
}

// postObject is POST /v1/{account}/{container}/{object}: replace the
// custom metadata (202).
func (s *Service) postObject(w http.ResponseWriter, r *http.Request) error {
	rc, err := s.objectReq(r)
	if err != nil {
		return err
	}
	if rc.object == "" {
		return s.postContainer(w, r)
	}
	if _, err := s.writableContainer(r.Context(), rc); err != nil {
		return err
	}
	if rc.temp == nil && r.URL.Query().Get("version-id") != "" {
		return fault.Invalidf("POST to a specific version is not allowed")
	}
	if _, ok := r.Header["X-Symlink-Target"]; ok {
		return plainErr(fault.Invalid, "A PUT request is required to set a symlink target", nil)
	}
	if err := checkMeta(r.Header, "X-Object-Meta-"); err != nil {
		return err
	}
	at, atSet, err := deleteAt(r.Header)
	if err != nil {
		return err
	}
	if v := r.Header.Get("X-Object-Manifest"); v != "" {
		if _, _, err := dloTarget(v); err != nil {
			return err
		}
	}
	ctx := r.Context()
	o, err := s.commitUpdate(ctx, rc, func(o *Object, expiry bool) {
		meta := objectMetaFrom(r.Header)
		for k, v := range o.Meta {
			if k == "X-Object-Manifest" || isSysmeta(k) {
				meta[k] = v
			}
		}
		// POST may make an object a DLO manifest or (empty value) a plain one again.
		if vs, ok := r.Header["X-Object-Manifest"]; ok && (o.Kind == kindPlain || o.Kind == kindDLO) && rc.temp == nil {
			if v := strings.Join(vs, ","); v == "" {
				delete(meta, "X-Object-Manifest")
				o.Kind = kindPlain
			} else {
				meta["X-Object-Manifest"] = v
				o.Kind = kindDLO
			}
		}
		o.Meta = meta
		if r.Header.Get("Content-Type") != "" || truthy(r.Header.Get("X-Detect-Content-Type")) {
			o.ContentType = contentType(r.Header, o.Name)
		}
		if !expiry {
		} else if atSet {
			o.DeleteAt = at
		} else if _, ok := r.Header["X-Remove-Delete-At"]; ok {
			o.DeleteAt = 0
		}
		o.LastModified = max(nowMicro(), o.LastModified+10)
	})
	if err != nil {
		return err
	}
	if isSymlink(o) && !isVersionLink(o) {
		return postToSymlink(w, o)
	}
	body := "<html><h1>Accepted</h1><p>" + msgAccepted + "</p></html>"
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusAccepted)
	io.WriteString(w, body)
	return nil
}

// commitUpdate changes a live object's row in place and returns it. A
// POST to a version link changes the link and its version, the version
// without its expiry (object_versioning.py's handle_post follows the
// link's 307 with the request's other headers).
func (s *Service) commitUpdate(ctx context.Context, rc *reqCtx, change func(o *Object, expiry bool)) (*Object, error) {
	var out *Object
	err := s.commit.Do(ctx, func(tx store.Querier) error {
		o, err := getObjectRow(ctx, tx, rc.account, rc.container, rc.object)
		if isNotFound(err) || (err == nil && o.DeleteAt != 0 && o.DeleteAt <= time.Now().Unix()) {
			return errNotFound()
		}
		if err != nil {
			return err
		}
		change(o, true)
		if err := updateObjectMeta(ctx, tx, o); err != nil {
			return err
		}
		out = o
		if !isVersionLink(o) {
			return nil
		}
		key, err := versionKeyOf(o.Name, o.Meta[sysVersionLink])
		if err != nil {
			return err
		}
		v, err := getObjectRow(ctx, tx, rc.account, hiddenName(rc.container), key)
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		change(v, false)
		return updateObjectMeta(ctx, tx, v)
	})
	return out, err
}

// deleteObjectHTTP is DELETE /v1/{account}/{container}/{object}. With
// ?version-id=null it deletes the name's current object (or link) itself,
// without a delete marker; with another id, that version.
func (s *Service) deleteObjectHTTP(w http.ResponseWriter, r *http.Request) error {
	rc, err := s.objectReq(r)
	if err != nil {
		return err
	}
	if rc.object == "" {
		return s.deleteContainer(w, r)
	}
	if r.URL.Query().Get("multipart-manifest") == "delete" {
		if _, err := s.writableContainer(r.Context(), rc); err != nil {
			return err
		}
		return s.deleteSLO(w, r, rc)
	}
	vid := readParamsOf(r, rc).versionID
	if vid != "" && vid != "null" {
		return s.deleteVersion(w, r, rc, vid)
	}
	res, err := s.deleteAs(r.Context(), rc, vid == "null")
	if err != nil {
		return err
	}
	if res.versionID != "" {
		w.Header().Set("X-Object-Version-Id", res.versionID)
	}
	return noContent(w)
}
