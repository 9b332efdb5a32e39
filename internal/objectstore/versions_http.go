package objectstore

import (
	"context"
	"net/http"
	"strconv"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Requests with ?version-id (object_versioning.py's
// handle_request_with_version_id). A version lives in the hidden versions
// container, which has no ACLs: reading or deleting one needs the
// account (as in Swift, where the request is rewritten to that container
// and authorised there); making one current again (PUT) writes the name's
// link and needs write access to the container, as the link's PUT does.

// versionedContainer returns rc's container and its versions container;
// a container never versioned refuses version-aware requests (400).
func (s *Service) versionedContainer(ctx context.Context, q store.Querier, rc *reqCtx) (*Container, string, error) {
	c, err := getContainer(ctx, q, rc.account, rc.container)
	if err != nil && !isNotFound(err) {
		return nil, "", err
	}
	hidden := ""
	if c != nil {
		hidden, _ = versioning(c)
	}
	if hidden == "" {
		return nil, "", fault.Invalidf(msgNotVersioned)
	}
	return c, hidden, nil
}

// readVersion reads version vid of rc's object (not "null"): the
// account's readers only; a delete marker is 404 with its id.
func (s *Service) readVersion(ctx context.Context, rc *reqCtx, vid string, withData bool) (*Object, *reqCtx, error) {
	if !rc.owner {
		return nil, nil, deny(rc.p)
	}
	_, hidden, err := s.versionedContainer(ctx, s.db.R(), rc)
	if err != nil {
		return nil, nil, err
	}
	key, err := versionKeyOf(rc.object, vid)
	if err != nil {
		return nil, nil, err
	}
	get := s.liveObject
	if withData {
		get = s.liveObjectWithData
	}
	v, err := get(ctx, rc.account, hidden, key)
	if err != nil {
		return nil, nil, err
	}
	if v.ContentType == deleteMarkerType {
		nf := withHeader(errNotFound(), "X-Object-Version-Id", vid)
		return nil, nil, withHeader(nf, "Content-Type", deleteMarkerType)
	}
	return v, rc.at(hidden, key), nil
}

// getVersion is GET or HEAD ?version-id=<id>.
func (s *Service) getVersion(w http.ResponseWriter, r *http.Request, rc *reqCtx, rp readParams) error {
	ctx := r.Context()
	v, vrc, err := s.readVersion(ctx, rc, rp.versionID, r.Method == http.MethodGet)
	if err != nil {
		return err
	}
	res, err := s.resolveRead(ctx, vrc, v, r.Method == http.MethodGet, rp.linkGet)
	if err != nil {
		return err
	}
	w.Header().Set("X-Object-Version-Id", rp.versionID)
	return s.serveRead(w, r, rc, nil, v, res, false, rp.linkGet)
}

// deleteVersion is DELETE ?version-id=<id> (not "null"): the version goes;
// when the name's link points at it, the link goes first (the previous
// version does not become current). X-Object-Current-Version-Id says what
// the name's link points at afterwards.
func (s *Service) deleteVersion(w http.ResponseWriter, r *http.Request, rc *reqCtx, vid string) error {
	if !rc.ownerRW {
		return deny(rc.p)
	}
	ctx := r.Context()
	_, hidden, err := s.versionedContainer(ctx, s.db.R(), rc)
	if err != nil {
		return err
	}
	key, err := versionKeyOf(rc.object, vid)
	if err != nil {
		return err
	}
	current, found := "null", false
	var garbage []string
	err = s.commit.Do(ctx, func(tx store.Querier) error {
		current, found, garbage = "null", false, nil
		cur, err := getObjectRow(ctx, tx, rc.account, rc.container, rc.object)
		if err != nil && !isNotFound(err) {
			return err
		}
		if cur != nil && isVersionLink(cur) && (cur.DeleteAt == 0 || cur.DeleteAt > nowMicro()/1e6) {
			if k, _ := versionKeyOf(cur.Name, cur.Meta[sysVersionLink]); k == key {
				if garbage, err = removeObject(ctx, tx, cur); err != nil {
					return err
				}
			} else {
				current = cur.Meta[sysVersionLink]
			}
		}
		v, err := getObjectRow(ctx, tx, rc.account, hidden, key)
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		found = true
		g, err := removeObject(ctx, tx, v)
		if err != nil {
			return err
		}
		garbage, err = reapInline(ctx, tx, append(garbage, g...))
		return err
	})
	if err != nil {
		return err
	}
	s.dropBlobs(garbage)
	h := w.Header()
	h.Set("X-Object-Version-Id", vid)
	h.Set("X-Object-Current-Version-Id", current)
	if !found {
		return withHeader(withHeader(errNotFound(), "X-Object-Version-Id", vid), "X-Object-Current-Version-Id", current)
	}
	return noContent(w)
}

// restoreVersion is PUT ?version-id=<id> with no body: the name's link
// points at that version again (the link carries this request's metadata
// and the version's content type, as Swift PUTs it).
func (s *Service) restoreVersion(w http.ResponseWriter, r *http.Request, rc *reqCtx, vid string) error {
	ctx := r.Context()
	if _, err := s.writableContainer(ctx, rc); err != nil {
		return err
	}
	if vid != "null" {
		if _, _, err := s.versionedContainer(ctx, s.db.R(), rc); err != nil {
			return err
		}
	}
	us, err := parseVersionID(vid)
	if err != nil {
		return err
	}
	switch {
	case len(r.TransferEncoding) > 0:
		if hasBody(r) {
			return plainErr(fault.Invalid, "PUT version-id requests require a zero byte body", nil)
		}
	case r.Header.Get("Content-Length") == "":
		return fault.New(fault.LengthRequired, msgLength)
	case r.ContentLength != 0:
		return plainErr(fault.Invalid, "PUT version-id requests require a zero byte body", nil)
	}
	req, err := objectFromPut(r, rc)
	if err != nil {
		return err
	}
	hidden, key := hiddenName(rc.container), versionKey(rc.object, us)
	var link *Object
	var garbage []string
	err = s.commit.Do(ctx, func(tx store.Querier) error {
		v, err := getObjectRow(ctx, tx, rc.account, hidden, key)
		if isNotFound(err) {
			return plainErr(fault.NotFound, "The specified version does not exist", nil)
		}
		if err != nil {
			return err
		}
		link = newLink(req, v, us)
		link.LastModified = nowMicro()
		if garbage, err = storeLink(ctx, tx, link); err != nil {
			return err
		}
		garbage, err = reapInline(ctx, tx, garbage)
		return err
	})
	if err != nil {
		return err
	}
	s.dropBlobs(garbage)
	w.Header().Set("X-Object-Version-Id", vid)
	return created(w, link.Meta[sysSymlinkTargetEtag], link.LastModified)
}

// objectVersionHeader sets X-Object-Version-Id after a write that made a
// version (storeObject in a versioned container).
func objectVersionHeader(w http.ResponseWriter, o *Object) {
	if o.versionID != "" {
		w.Header().Set("X-Object-Version-Id", o.versionID)
	}
}

var _ = strconv.Itoa
