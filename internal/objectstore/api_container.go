package objectstore

// The Go API, continued: containers, server-side copies and SLO
// manifests, under the same rules as their HTTP requests.
//
//	HeadContainer   as HEAD of a container: read (listing) access; the
//	                info says whether p may also write objects into it.
//	CreateContainer as PUT of a container without headers: the account's
//	                owner with write rights; an existing one is unchanged.
//	CopyObject      as COPY of a plain object within an account: read on
//	                the source, write on the destination; the bytes are
//	                shared (blobs are immutable), nothing is rewritten.
//	PutManifest     as PUT ?multipart-manifest=put: every segment readable
//	                by p, live, of the size and ETag given; the manifest
//	                is visible only when all of them check.

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// MaxObjectSize is the largest object a single PUT stores (Swift's
// max_file_size); larger data must be a large object.
const MaxObjectSize = maxFileSize

// ContainerInfo describes a container as a HEAD shows it.
type ContainerInfo struct {
	Account, Name string
	Objects       int64
	Bytes         int64
	CreatedAt     time.Time
	// Writable says whether the caller may write objects into it (as
	// owner, or through its write ACL).
	Writable bool
}

// HeadContainer describes a container as p would HEAD it: NotFound when
// it does not exist (to a caller who may know), Forbidden (Unauthorized
// for a nil p) when p may not read it.
func (s *Service) HeadContainer(ctx context.Context, p *policy.Principal, account, container string) (*ContainerInfo, error) {
	rc, err := newReqCtx(p, account, container, "")
	if err != nil {
		return nil, err
	}
	if container == "" {
		return nil, fault.Invalidf("Container name must not be empty")
	}
	c, err := s.readableContainer(ctx, rc, true)
	if err != nil {
		return nil, err
	}
	return &ContainerInfo{Account: account, Name: container, Objects: c.Objects, Bytes: c.Bytes,
		CreatedAt: time.UnixMicro(c.CreatedAt).UTC(), Writable: s.canWrite(ctx, rc, c)}, nil
}

// CreateContainer creates a container as p would PUT it without headers;
// created is false when it existed (and is left unchanged).
func (s *Service) CreateContainer(ctx context.Context, p *policy.Principal, account, container string) (created bool, err error) {
	rc, err := newReqCtx(p, account, container, "")
	if err != nil {
		return false, err
	}
	if container == "" {
		return false, fault.Invalidf("Container name must not be empty")
	}
	if err := rc.requireOwner(true); err != nil {
		return false, err
	}
	return s.ensureContainer(ctx, rc, http.Header{})
}

// CopyObject copies the plain object srcContainer/srcObject to
// dstContainer/dstObject of the same account as p would COPY it; the
// copy shares the source's bytes. A large object or a link is refused
// (Invalid): copying one joins or follows it, which this call never does.
func (s *Service) CopyObject(ctx context.Context, p *policy.Principal, account, srcContainer, srcObject, dstContainer, dstObject string) error {
	src, err := newReqCtx(p, account, srcContainer, srcObject)
	if err != nil {
		return err
	}
	if err := checkName(dstContainer, dstObject); err != nil {
		return err
	}
	if srcObject == "" || dstObject == "" {
		return fault.Invalidf("Object name must not be empty")
	}
	o, _, err := s.readObject(ctx, src, false)
	if err != nil {
		return err
	}
	if o.Kind != kindPlain {
		return fault.Invalidf("Only a plain object can be copied this way")
	}
	c, err := s.writableContainer(ctx, src.at(dstContainer, dstObject))
	if err != nil {
		return err
	}
	if err := checkQuota(c, o.Size); err != nil {
		return err
	}
	n := *o
	n.Container, n.Name, n.DeleteAt, n.LastModified = dstContainer, dstObject, 0, 0
	n.Meta = map[string]string{}
	for k, v := range o.Meta {
		n.Meta[k] = v
	}
	return s.storeObject(ctx, &n, putOpts{sharedBlob: true})
}

// ManifestSegment is one segment of a manifest PutManifest stores.
type ManifestSegment struct {
	Path string // "/container/object" in the manifest's account
	ETag string // the segment's MD5 ("" to take it as it is)
	Size int64  // the segment's size in bytes (-1 to take it as it is)
}

// PutManifest stores the SLO manifest segs as the object, as p would PUT
// it with ?multipart-manifest=put; it returns the SLO's ETag (quoted, as
// a HEAD shows it). A segment p cannot read, missing, empty (but the
// last) or not of the given size or ETag refuses the whole manifest
// (Invalid, naming the segments and their problems).
func (s *Service) PutManifest(ctx context.Context, p *policy.Principal, account, container, object string, segs []ManifestSegment, opt PutOptions) (string, error) {
	rc, err := newReqCtx(p, account, container, object)
	if err != nil {
		return "", err
	}
	if object == "" {
		return "", fault.Invalidf("Object name must not be empty")
	}
	if len(segs) == 0 {
		return "", fault.Invalidf("Manifest must have at least one segment.")
	}
	c, err := s.writableContainer(ctx, rc)
	if err != nil {
		return "", err
	}
	in := make([]sloPutSegment, len(segs))
	for i, sg := range segs {
		in[i] = sloPutSegment{Path: sg.Path}
		if sg.ETag != "" {
			in[i].ETag = &segs[i].ETag
		}
		if sg.Size >= 0 {
			in[i].SizeBytes = &segs[i].Size
		}
	}
	res, err := s.resolveSLO(ctx, rc, in)
	if err != nil {
		return "", err
	}
	if len(res.problems) > 0 {
		var b strings.Builder
		for _, pr := range res.problems {
			fmt.Fprintf(&b, "; %s: %s", pr[0], pr[1])
		}
		return "", fault.Invalidf("Errors in the manifest%s", b.String())
	}
	o, err := opt.object(account, container, object)
	if err != nil {
		return "", err
	}
	if err := s.storeSLO(ctx, c, o, res, opt.IfNoneMatch); err != nil {
		return "", err
	}
	return `"` + res.etag + `"`, nil
}
