package objectstore

// The Go API: other services (image import, export, snapshots) read and
// write objects as a caller, without HTTP, under the rules the HTTP
// handlers apply, because both go through the same functions:
//
//	OpenObject   as GET:    container read ACLs (nil principal = anonymous,
//	                        which only a .r:* ACL lets in), expired objects
//	                        hidden, symlinks followed with each target read
//	                        as p would read it, DLO/SLO joined with read access
//	                        checked on the container of every segment at every level.
//	HeadObject   as HEAD:   the same checks, no bytes.
//	PutObject    as PUT:    write ACLs, the name rules, container quotas,
//	                        versioning; the bytes are MD5-summed and fsynced
//	                        before the row commits, and refused (422) when
//	                        they do not match PutOptions.ETag.
//	DeleteObject as DELETE: write ACLs, versioning (a delete marker where
//	                        object versioning is on).
//
// account is "AUTH_<project_id>". Errors are *fault.Error: NotFound,
// Forbidden (an authenticated caller refused), Unauthorized (a nil
// principal refused), Invalid / PreconditionFailed for names that break the
// rules, TooLarge for quotas, PreconditionFailed for IfNoneMatch.

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/stratus-iaas/stratus/internal/blob"
	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// ObjectInfo describes an object as a HEAD shows it.
type ObjectInfo struct {
	Account, Container, Name string
	Size                     int64  // joined size for large objects
	ETag                     string // as the ETag header: quoted for large objects
	ContentType              string
	LastModified             time.Time
	DeleteAt                 time.Time         // zero when the object does not expire
	Metadata                 map[string]string // custom metadata, names without X-Object-Meta-
	LargeObject              string            // "", "dlo" or "slo"
}

// PutOptions are the choices of a PutObject.
type PutOptions struct {
	ContentType string            // "" guesses from the name, as a PUT without Content-Type
	Size        int64             // bytes in body, -1 when unknown
	Metadata    map[string]string // custom metadata, names without X-Object-Meta-
	ETag        string            // when set, the MD5 the bytes must have (422 otherwise)
	IfNoneMatch bool              // refuse with 412 when a live object has the name
}

// OpenObject opens an object for reading as p would GET it. The reader
// is an io.ReaderAt (safe for parallel calls) and an io.ReadCloser
// (sequential Read from offset 0); Close it when done.
func (s *Service) OpenObject(ctx context.Context, p *policy.Principal, account, container, object string) (*ObjectReader, error) {
	o, b, err := s.readAs(ctx, p, account, container, object, true)
	if err != nil {
		return nil, err
	}
	if err := b.sendable(0, b.size); err != nil {
		return nil, err
	}
	return newObjectReader(ctx, s, o, b)
}

// HeadObject describes an object as p would HEAD it.
func (s *Service) HeadObject(ctx context.Context, p *policy.Principal, account, container, object string) (*ObjectInfo, error) {
	o, b, err := s.readAs(ctx, p, account, container, object, false)
	if err != nil {
		return nil, err
	}
	return objectInfo(o, b), nil
}

// PutObject writes an object as p would PUT it and returns its ETag.
func (s *Service) PutObject(ctx context.Context, p *policy.Principal, account, container, object string, body io.Reader, opt PutOptions) (string, error) {
	rc, err := newReqCtx(p, account, container, object)
	if err != nil {
		return "", err
	}
	if object == "" {
		return "", fault.Invalidf("Object name must not be empty")
	}
	c, err := s.writableContainer(ctx, rc)
	if err != nil {
		return "", err
	}
	if opt.Size > maxFileSize {
		return "", fault.New(fault.TooLarge, msgTooLarge)
	}
	o, err := opt.object(account, container, object)
	if err != nil {
		return "", err
	}
	if err := s.writeObject(ctx, c, o, body, opt.Size, opt.ETag, opt.IfNoneMatch); err != nil {
		return "", err
	}
	return o.ETag, nil
}

// object is the new object the options describe: its metadata checked
// as a PUT's headers are, its content type given or guessed from its name.
func (opt PutOptions) object(account, container, object string) (*Object, error) {
	h := http.Header{}
	for k, v := range opt.Metadata {
		h[http.CanonicalHeaderKey("X-Object-Meta-"+k)] = []string{v}
	}
	if err := checkMeta(h, "X-Object-Meta-"); err != nil {
		return nil, err
	}
	if opt.ContentType != "" {
		h.Set("Content-Type", opt.ContentType)
	}
	return &Object{Account: account, Container: container, Name: object, ContentType: contentType(h, object), Meta: objectMetaFrom(h)}, nil
}

// DeleteObject deletes an object as p would DELETE it.
func (s *Service) DeleteObject(ctx context.Context, p *policy.Principal, account, container, object string) error {
	rc, err := newReqCtx(p, account, container, object)
	if err != nil {
		return err
	}
	if object == "" {
		return fault.Invalidf("Object name must not be empty")
	}
	_, err = s.deleteAs(ctx, rc, false)
	return err
}

// readAs is OpenObject's and HeadObject's access decision and resolution.
func (s *Service) readAs(ctx context.Context, p *policy.Principal, account, container, object string, withData bool) (*Object, *body, error) {
	rc, err := newReqCtx(p, account, container, object)
	if err != nil {
		return nil, nil, err
	}
	if object == "" {
		return nil, nil, fault.Invalidf("Object name must not be empty")
	}
	o, _, err := s.readObject(ctx, rc, withData)
	if err != nil {
		return nil, nil, err
	}
	// Links are followed as a GET follows them: each target as p reads it.
	res, err := s.follow(ctx, rc, o, withData, false, "", "")
	if err != nil {
		return nil, nil, err
	}
	b, err := s.objectBody(ctx, res.o, s.segmentAccess(ctx, res.rc))
	if err != nil {
		return nil, nil, err
	}
	return res.o, b, nil
}

// readObject is a read's access decision: the caller must be able to
// read the container (its owner reads without a container row: an object
// implies its container), and the object must be live. c is the
// container row when it was read, also when the object is missing.
func (s *Service) readObject(ctx context.Context, rc *reqCtx, withData bool) (o *Object, c *Container, err error) {
	if !rc.owner {
		if c, err = s.readableContainer(ctx, rc, false); err != nil {
			return nil, nil, err
		}
	}
	get := s.liveObject
	if withData {
		get = s.liveObjectWithData
	}
	o, err = get(ctx, rc.account, rc.container, rc.object)
	return o, c, err
}

// writeObject stores o's bytes from body (size bytes, -1 when unknown)
// into container c: the quota is checked first when the size is known,
// the bytes are MD5-summed, checked against wantETag and fsynced, and only
// then is the row committed (with versioning and the quota checked again
// in its transaction).
func (s *Service) writeObject(ctx context.Context, c *Container, o *Object, body io.Reader, size int64, wantETag string, ifNoneMatch bool) error {
	if c != nil && size > 0 {
		if err := checkQuota(c, size); err != nil {
			return err
		}
	}
	if ifNoneMatch {
		if _, err := s.liveObject(ctx, o.Account, o.Container, o.Name); err == nil {
			return fault.New(fault.PreconditionFailed, msgPrecondition)
		}
	}
	if err := s.writeBlob(ctx, o, body, size, wantETag); err != nil {
		return err
	}
	if err := s.storeObject(ctx, o, putOpts{ifNoneMatch: ifNoneMatch}); err != nil {
		s.dropBlobs([]string{o.BlobKey})
		return err
	}
	return nil
}

// deleteAs is a DELETE's access decision and the deletion; unversioned
// deletes the name's object (or link) itself, without a delete marker,
// where object versioning is on (?version-id=null).
func (s *Service) deleteAs(ctx context.Context, rc *reqCtx, unversioned bool) (deleteResult, error) {
	if _, err := s.writableContainer(ctx, rc); err != nil {
		return deleteResult{}, err
	}
	return s.deleteObjectOpts(ctx, rc.account, rc.container, rc.object, unversioned)
}

func objectInfo(o *Object, b *body) *ObjectInfo {
	info := &ObjectInfo{Account: o.Account, Container: o.Container, Name: o.Name, Size: b.size, ETag: b.etag,
		ContentType: o.ContentType, LastModified: time.UnixMicro(o.LastModified).UTC(), Metadata: map[string]string{}}
	if o.DeleteAt != 0 {
		info.DeleteAt = time.Unix(o.DeleteAt, 0).UTC()
	}
	for k, v := range o.Meta {
		if name, ok := strings.CutPrefix(k, "X-Object-Meta-"); ok && name != "" {
			info.Metadata[name] = v
		}
	}
	switch o.Kind {
	case kindDLO:
		info.LargeObject = "dlo"
	case kindSLO:
		info.LargeObject = "slo"
	}
	return info
}

// ObjectReader reads an opened object: its bytes as they were when it was
// opened (blobs are immutable), joined for large objects.
type ObjectReader struct {
	s    *Service
	ctx  context.Context // for the lookups of segments kept in the database
	info *ObjectInfo
	b    *body

	mu     sync.Mutex
	open   map[string]blob.Reader // segment blobs opened so far
	closed bool
	off    int64 // next sequential Read
}

// eagerOpen is how many distinct blobs an ObjectReader opens at once, so
// that a plain object (or a small manifest) reads the version that was
// opened even if it is overwritten and its blob deleted meanwhile.
const eagerOpen = 64

func newObjectReader(ctx context.Context, s *Service, o *Object, b *body) (*ObjectReader, error) {
	r := &ObjectReader{s: s, ctx: ctx, info: objectInfo(o, b), b: b, open: map[string]blob.Reader{}}
	for _, p := range b.parts {
		if len(r.open) >= eagerOpen {
			break
		}
		if p.data == nil {
			if _, err := r.blob(p.key); err != nil {
				r.Close()
				return nil, err
			}
		}
	}
	return r, nil
}

// Size is the object's length in bytes.
func (r *ObjectReader) Size() int64 { return r.b.size }

// ETag is the ETag a GET sends (quoted for large objects).
func (r *ObjectReader) ETag() string { return r.info.ETag }

// ContentType is the object's content type.
func (r *ObjectReader) ContentType() string { return r.info.ContentType }

// Info describes the object.
func (r *ObjectReader) Info() *ObjectInfo { return r.info }

// blob returns the open reader of key, opening it on first use.
func (r *ObjectReader) blob(key string) (blob.Reader, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, errors.New("objectstore: read of a closed object")
	}
	if br, ok := r.open[key]; ok {
		return br, nil
	}
	br, err := r.s.openBlob(r.ctx, key)
	if err != nil {
		return nil, err
	}
	r.open[key] = br
	return br, nil
}

// ReadAt implements io.ReaderAt.
func (r *ObjectReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("objectstore: negative offset")
	}
	if off >= r.b.size {
		return 0, io.EOF
	}
	want := min(int64(len(p)), r.b.size-off)
	if err := r.b.sendable(off, want); err != nil {
		return 0, err
	}
	n := int64(0)
	pos := int64(0)
	for _, pt := range r.b.parts {
		ps, pe := pos, pos+pt.n
		pos = pe
		lo, hi := max(ps, off+n), min(pe, off+want)
		if lo >= hi {
			continue
		}
		dst := p[n : n+hi-lo]
		start := pt.off + lo - ps
		if pt.data != nil {
			if start+int64(len(dst)) > int64(len(pt.data)) {
				return int(n), errors.New("objectstore: inline object shorter than its row says")
			}
			copy(dst, pt.data[start:])
		} else {
			br, err := r.blob(pt.key)
			if err != nil {
				return int(n), err
			}
			if m, err := br.ReadAt(dst, start); m < len(dst) {
				if err == nil || err == io.EOF {
					err = io.ErrUnexpectedEOF // a blob shorter than its row
				}
				return int(n) + m, err
			}
		}
		n += hi - lo
		if n == want {
			break
		}
	}
	if n < int64(len(p)) {
		return int(n), io.EOF
	}
	return int(n), nil
}

// Read reads sequentially from offset 0.
func (r *ObjectReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	off := r.off
	r.mu.Unlock()
	n, err := r.ReadAt(p, off)
	r.mu.Lock()
	r.off += int64(n)
	r.mu.Unlock()
	if err == io.EOF && n > 0 {
		err = nil // io.Reader: EOF on the next call
	}
	return n, err
}

// Close releases the blobs.
func (r *ObjectReader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	var errs []error
	for _, br := range r.open {
		errs = append(errs, br.Close())
	}
	r.open = nil
	return errors.Join(errs...)
}

var (
	_ io.ReaderAt   = (*ObjectReader)(nil)
	_ io.ReadCloser = (*ObjectReader)(nil)
)
