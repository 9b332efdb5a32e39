package objectstore

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/stratus-iaas/stratus/internal/fault"
)

// Symlinks (Swift's symlink middleware, swift/common/middleware/symlink.py):
// a zero-byte object whose X-Symlink-Target names another object; a GET or
// HEAD reads the target, as the caller would read it directly (its ACLs,
// a temp URL's scope, and, for a target in another account, that
// account's rules), through at most symloopMax links. A static link
// (X-Symlink-Target-Etag) also checks the target's ETag.
//
// A symlink is a row of kind kindSymlink whose target lives in object
// sysmeta (never sent as is: writeMeta leaves sysmeta out). Version links
// (versions.go) are symlinks too: they point into a container's hidden
// versions container, are not counted against symloopMax and are
// followed without an access check, since the caller was authorised on
// the link's own container (object_versioning.py's pre-authed links).

const (
	sysSymlinkTarget        = "X-Object-Sysmeta-Symlink-Target"         // quoted "container/object"
	sysSymlinkTargetAccount = "X-Object-Sysmeta-Symlink-Target-Account" // quoted, when the link names one
	sysSymlinkTargetEtag    = "X-Object-Sysmeta-Symlink-Target-Etag"    // a static link's target ETag
	sysSymlinkTargetBytes   = "X-Object-Sysmeta-Symlink-Target-Bytes"   // and its size
	sysPrefix               = "X-Object-Sysmeta-"

	symloopMax = 2 // Swift's DEFAULT_SYMLOOP_MAX
	emptyMD5   = "d41d8cd98f00b204e9800998ecf8427e"

	msgSymlinkForm = "X-Symlink-Target header must be of the form <container name>/<object name>"
)

// isSymlink reports whether o is a link (a user's or a version link).
func isSymlink(o *Object) bool { return o.Kind == kindSymlink }

// symlinkPut reads a PUT's X-Symlink-Target headers into o, as
// _validate_and_prep_request_headers and handle_put do; for a static link
// it reads the target as the caller would (rc). The body must be empty.
func (s *Service) symlinkPut(ctx context.Context, r *http.Request, rc *reqCtx, o *Object) error {
	if r.ContentLength > 0 || r.ContentLength < 0 && hasBody(r) {
		return plainErr(fault.Invalid, "Symlink requests require a zero byte body", nil)
	}
	raw := r.Header.Get("X-Symlink-Target")
	un, err := url.PathUnescape(raw)
	if err != nil || strings.HasPrefix(un, "/") {
		return plainErr(fault.PreconditionFailed, msgSymlinkForm, nil)
	}
	tc, to, ok := strings.Cut(un, "/")
	if !ok || tc == "" || to == "" {
		return plainErr(fault.PreconditionFailed, msgSymlinkForm, nil)
	}
	if err := checkName(tc, to); err != nil {
		return err
	}
	acct := rc.account
	if vs, ok := r.Header["X-Symlink-Target-Account"]; ok {
		a, err := url.PathUnescape(strings.Join(vs, ","))
		switch {
		case err != nil || a == "":
			return plainErr(fault.PreconditionFailed, "Account name cannot be empty", nil)
		case strings.Contains(a, "/"):
			return plainErr(fault.PreconditionFailed, "Account name cannot contain slashes", nil)
		}
		acct = a
		o.Meta[sysSymlinkTargetAccount] = pyQuote(a)
	}
	if acct == rc.account && tc == rc.container && to == rc.object {
		return plainErr(fault.Invalid, "Symlink cannot target itself", nil)
	}
	o.Kind = kindSymlink
	o.Meta[sysSymlinkTarget] = pyQuote(tc + "/" + to)
	delete(o.Meta, "X-Object-Manifest")
	etag := strings.Trim(r.Header.Get("X-Symlink-Target-Etag"), `"`)
	if strings.ContainsAny(etag, `;"\`) {
		return plainErr(fault.Invalid, "Bad X-Symlink-Target-Etag format", nil)
	}
	ctSent := r.Header.Get("Content-Type") != "" && !truthy(r.Header.Get("X-Detect-Content-Type"))
	if etag == "" {
		if !ctSent {
			o.ContentType = "application/symlink"
		}
		return nil
	}
	// A static link: the target must exist, for the caller, with that ETag.
	trc, err := s.linkTarget(rc, acct, tc, to)
	if err != nil {
		return err
	}
	path := "/v1/" + pyQuote(acct) + "/" + pyQuote(tc+"/"+to)
	t, _, err := s.readObject(ctx, trc, false)
	if err != nil {
		if fault.KindOf(err) == fault.NotFound {
			return plainErr(fault.Conflict, "X-Symlink-Target does not exist", http.Header{"Content-Location": {path}})
		}
		return err
	}
	res, err := s.follow(ctx, trc, t, false, true, etag, path)
	if err != nil {
		return err
	}
	o.Meta[sysSymlinkTargetEtag] = etag
	o.Meta[sysSymlinkTargetBytes] = fmt.Sprint(res.o.Size)
	if !ctSent {
		o.ContentType = res.o.ContentType
	}
	return nil
}

// hasBody reports whether a body of unknown length holds a byte.
func hasBody(r *http.Request) bool {
	var b [1]byte
	n, _ := io.ReadFull(r.Body, b[:])
	return n > 0
}

// plainErr is a client error whose message is the whole text/plain body,
// as the symlink and versioning middlewares send theirs.
func plainErr(kind fault.Kind, msg string, h http.Header) error {
	e := fault.New(kind, "%s", msg)
	if h == nil {
		h = http.Header{}
	}
	h.Set("Content-Type", "text/plain")
	e.Header = h
	return e
}

// linkTarget is the access context of a link's target: the caller's, on
// the target's container and object, in the target's account. A temp URL
// grants nothing in another account (tempurl.py's authorize callbacks
// refuse paths outside the signed account: 401).
func (s *Service) linkTarget(rc *reqCtx, account, container, object string) (*reqCtx, error) {
	if account == rc.account {
		return rc.at(container, object), nil
	}
	if rc.temp != nil {
		return nil, fault.Unauthorizedf(msgUnauthorized)
	}
	trc, err := newReqCtx(rc.p, account, container, object)
	if err != nil {
		return nil, err
	}
	trc.referer = rc.referer
	return trc, nil
}

// resolution is where a read of a link arrives.
type resolution struct {
	o          *Object
	rc         *reqCtx // the access context that reached o (its account and container)
	lastTarget string  // the path of the last link followed (Content-Location), "" when none
	versionID  string  // the version a version link led to ("" when none)
}

// follow reads through links from o (read with rc) as _recursive_get_head
// does: each link's target is read as the caller would read it directly
// (version links excepted); a static link's ETag must match what it
// points at; more than symloopMax user links is a loop. staticOnly
// follows only static links (the check of a static link's PUT); wantETag
// and lastTarget start the walk in the middle (that PUT's target).
func (s *Service) follow(ctx context.Context, rc *reqCtx, o *Object, withData, staticOnly bool, wantETag, lastTarget string) (*resolution, error) {
	res := &resolution{o: o, rc: rc, lastTarget: lastTarget}
	loops := 0
	for isSymlink(res.o) {
		cur := res.o
		own := cur.Meta[sysSymlinkTargetEtag]
		if staticOnly && own == "" {
			break
		}
		if wantETag != "" {
			found := own
			if found == "" {
				found = cur.ETag
			}
			if found != wantETag {
				return nil, plainErr(fault.Conflict, "X-Symlink-Target-Etag headers do not match", http.Header{"Content-Location": {res.lastTarget}})
			}
		}
		if vid := cur.Meta[sysVersionLink]; vid != "" {
			// A version link: into the hidden container, pre-authorised.
			hidden := hiddenName(cur.Container)
			key, err := versionKeyOf(cur.Name, vid)
			if err != nil {
				return nil, err
			}
			res.lastTarget = "/v1/" + pyQuote(cur.Account) + "/" + pyQuote(hidden+"/"+key)
			res.versionID = vid
			get := s.liveObject
			if withData {
				get = s.liveObjectWithData
			}
			t, err := get(ctx, cur.Account, hidden, key)
			if err != nil {
				return nil, withHeader(err, "Content-Location", res.lastTarget)
			}
			res.o, res.rc, wantETag = t, res.rc.at(hidden, key), own
			continue
		}
		if loops >= symloopMax {
			return nil, plainErr(fault.Conflict, fmt.Sprintf("Too many levels of symbolic links, maximum allowed is %d", symloopMax), nil)
		}
		loops++
		acct, tc, to, path := linkPath(cur)
		res.lastTarget = path
		trc, err := s.linkTarget(res.rc, acct, tc, to)
		if err != nil {
			return nil, withHeader(err, "Content-Location", path)
		}
		t, _, err := s.readObject(ctx, trc, withData)
		if err != nil {
			return nil, withHeader(err, "Content-Location", path)
		}
		res.o, res.rc, res.versionID, wantETag = t, trc, "", own
	}
	if wantETag != "" {
		final, err := s.staticETag(ctx, res.o)
		if err != nil {
			return nil, err
		}
		if final != wantETag {
			return nil, plainErr(fault.Conflict, fmt.Sprintf("Object Etag '%s' does not match X-Symlink-Target-Etag header '%s'",
				final, wantETag), http.Header{"Content-Location": {res.lastTarget}})
		}
	}
	return res, nil
}

// linkPath is a user link's target: account, container, object, and the
// path Swift reports for it ("/v1/<account>/<container>/<object>", quoted
// as stored).
func linkPath(o *Object) (account, container, object, path string) {
	account = o.Account
	qa := pyQuote(account)
	if v := o.Meta[sysSymlinkTargetAccount]; v != "" {
		qa = v
		if a, err := url.PathUnescape(v); err == nil {
			account = a
		}
	}
	qt := o.Meta[sysSymlinkTarget]
	t, err := url.PathUnescape(qt)
	if err != nil {
		t = qt
	}
	container, object, _ = strings.Cut(t, "/")
	return account, container, object, "/v1/" + qa + "/" + strings.TrimPrefix(qt, "/")
}

// staticETag is the ETag a static link compares: an SLO manifest's own
// (X-Manifest-Etag: symlinks sit below slo in Swift's pipeline), the
// stored ETag otherwise.
func (s *Service) staticETag(ctx context.Context, o *Object) (string, error) {
	if o.Kind != kindSLO {
		return o.ETag, nil
	}
	_, sum, err := s.readManifestSum(ctx, o)
	return sum, err
}

// withHeader adds a header to a fault (a copy), as a response header.
func withHeader(err error, k, v string) error {
	fe := fault.As(err)
	if fe == nil {
		return err
	}
	c := *fe
	c.Header = fe.Header.Clone()
	if c.Header == nil {
		c.Header = http.Header{}
	}
	c.Header.Set(k, v)
	return &c
}

// symlinkHeaders sets the headers a ?symlink=get read of a link sends:
// its target, translated from sysmeta (symlink_sysmeta_to_usermeta).
func symlinkHeaders(h http.Header, o *Object) {
	for user, sys := range map[string]string{
		"X-Symlink-Target": sysSymlinkTarget, "X-Symlink-Target-Account": sysSymlinkTargetAccount,
		"X-Symlink-Target-Etag": sysSymlinkTargetEtag, "X-Symlink-Target-Bytes": sysSymlinkTargetBytes,
	} {
		if v := o.Meta[sys]; v != "" {
			h.Set(user, v)
		}
	}
}

// postToSymlink answers a POST that reached a user link: its metadata was
// applied to the link, and the client is told where the target is (307),
// as symlink.py's handle_post.
func postToSymlink(w http.ResponseWriter, o *Object) error {
	_, _, _, path := linkPath(o)
	h := w.Header()
	h.Set("Location", path)
	if e := o.Meta[sysSymlinkTargetEtag]; e != "" {
		h.Set("X-Symlink-Target-Etag", e)
	}
	const body = "The requested POST was applied to a symlink. POST directly to the target to apply requested metadata."
	h.Set("Content-Type", "text/html; charset=UTF-8")
	h.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusTemporaryRedirect)
	io.WriteString(w, body)
	return nil
}
