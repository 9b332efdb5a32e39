package objectstore

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/store"
)

// putOpts are the conditions of a row write.
type putOpts struct {
	ifNoneMatch bool // If-None-Match: * — fail when a live object exists
	sharedBlob  bool // the blob belongs to another row too (a copy): it must still be referenced
	unversioned bool // store o as is, also where versioning is on (a version link itself)
}

// storeObject records o (whose blob is already committed) in one batched
// transaction: it checks the container and quotas, archives or removes the
// previous version and updates the counters. It returns blobs to delete.
func (s *Service) storeObject(ctx context.Context, o *Object, opts putOpts) error {
	var garbage []string
	err := s.commit.Do(ctx, func(tx store.Querier) error {
		garbage = nil
		c, err := getContainer(ctx, tx, o.Account, o.Container)
		if isNotFound(err) {
			return errNotFound()
		}
		if err != nil {
			return err
		}
		if err := checkQuota(c, o.Size); err != nil {
			return err
		}
		if opts.sharedBlob {
			// The source may have been deleted since we read it; its
			// bytes are then gone or going, and the copy must not point at them.
			used, err := lockBlobRefs(ctx, tx, s.db.Engine, o.BlobKey)
			if err != nil {
				return err
			}
			if !used {
				return errNotFound()
			}
		}
		if o.LastModified <= 0 {
			o.LastModified = nowMicro()
		}
		if o.inline != nil {
			if err := insertInline(ctx, tx, o.BlobKey, o.inline); err != nil {
				return err
			}
		}
		if hidden, on := versioning(c); on && !opts.unversioned {
			if garbage, err = storeVersioned(ctx, tx, hidden, o, opts.ifNoneMatch); err != nil {
				return err
			}
			garbage, err = reapInline(ctx, tx, garbage)
			return err
		}
		// Most PUTs create a name: try that first, and read the old
		// version only when the name is taken.
		if added, err := insertObjectRowIfAbsent(ctx, tx, o); err != nil || added {
			if err == nil {
				err = countObject(ctx, tx, o, 1)
			}
			return err
		}
		old, err := getObjectRow(ctx, tx, o.Account, o.Container, o.Name)
		if err != nil && !isNotFound(err) {
			return err
		}
		if old != nil {
			live := old.DeleteAt == 0 || old.DeleteAt > time.Now().Unix()
			if opts.ifNoneMatch && live {
				return fault.New(fault.PreconditionFailed, msgPrecondition)
			}
			if arch := archiveContainer(c); arch != "" && live {
				if err := archiveObject(ctx, tx, old, arch); err != nil {
					return err
				}
			} else if garbage, err = removeObject(ctx, tx, old); err != nil {
				return err
			}
		}
		if old != nil && o.LastModified <= old.LastModified {
			o.LastModified = old.LastModified + 10 // keep timestamps increasing
		}
		if err := insertObjectRow(ctx, tx, o); err != nil {
			return err
		}
		if err := countObject(ctx, tx, o, 1); err != nil {
			return err
		}
		// The new row may share the old blob (copy onto itself).
		if len(garbage) == 1 && garbage[0] == o.BlobKey {
			garbage = nil
		}
		garbage, err = reapInline(ctx, tx, garbage)
		return err
	})
	if err != nil {
		return err
	}
	s.dropBlobs(garbage)
	return nil
}

// checkQuota applies X-Container-Meta-Quota-Bytes and -Count.
func checkQuota(c *Container, size int64) error {
	if v := c.Meta["X-Container-Meta-Quota-Bytes"]; v != "" {
		if q, err := strconv.ParseInt(v, 10, 64); err == nil && c.Bytes+size > q {
			return fault.New(fault.TooLarge, "Upload exceeds quota.")
		}
	}
	if v := c.Meta["X-Container-Meta-Quota-Count"]; v != "" {
		if q, err := strconv.ParseInt(v, 10, 64); err == nil && c.Objects+1 > q {
			return fault.New(fault.TooLarge, "Upload exceeds quota.")
		}
	}
	return nil
}

// archiveContainer is where c keeps old versions ("" when unversioned).
func archiveContainer(c *Container) string {
	v := c.Meta["X-Versions-Location"]
	if v == "" {
		v = c.Meta["X-History-Location"]
	}
	name, err := url.PathUnescape(v)
	if err != nil {
		return v
	}
	return strings.Trim(name, "/")
}

// versionPrefix is Swift's archive name prefix: 3 hex digits of the name's
// length, the name, "/".
func versionPrefix(name string) string { return fmt.Sprintf("%03x%s/", len(name), name) }

// archiveObject moves old into the archive container (same blob).
func archiveObject(ctx context.Context, tx store.Querier, old *Object, archive string) error {
	if _, err := getContainer(ctx, tx, old.Account, archive); err != nil {
		if isNotFound(err) {
			return fault.New(fault.PreconditionFailed, msgPrecondition).WithCause(fmt.Errorf("versions container %q missing", archive))
		}
		return err
	}
	if _, err := removeObject(ctx, tx, old); err != nil {
		return err
	}
	a := *old
	a.Container = archive
	a.Name = versionPrefix(old.Name) + swiftTimestamp(old.LastModified)
	if err := checkName(a.Container, a.Name); err != nil {
		return err // an archive copy nobody could address would never be deleted
	}
	return addObject(ctx, tx, &a)
}

// restoreLatest moves the newest archived version of name back (stack
// mode DELETE). It reports whether one existed.
func restoreLatest(ctx context.Context, tx store.Querier, account, container, name, archive string) (bool, error) {
	p := versionPrefix(name)
	upper := p[:len(p)-1] + "0" // '/'+1
	o, err := scanObject(tx.QueryRowContext(ctx, `SELECT `+objectCols+` FROM swift_objects
		WHERE account = $1 AND container = $2 AND name > $3 AND name < $4 ORDER BY name DESC LIMIT 1`,
		account, archive, p, upper))
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if _, err := removeObject(ctx, tx, o); err != nil {
		return false, err
	}
	r := *o
	r.Container, r.Name, r.LastModified = container, name, nowMicro()
	return true, addObject(ctx, tx, &r)
}

// deleteObject removes an object, honouring versioning (both modes). It
// returns 404 when there is no live object; in a container with object
// versioning on, a delete marker is written all the same and its id is in
// the result with the 404.
func (s *Service) deleteObject(ctx context.Context, account, container, name string) (deleteResult, error) {
	return s.deleteObjectOpts(ctx, account, container, name, false)
}

// deleteObjectOpts is deleteObject; unversioned skips object versioning.
func (s *Service) deleteObjectOpts(ctx context.Context, account, container, name string, unversioned bool) (deleteResult, error) {
	var garbage []string
	var res deleteResult
	expired := false
	err := s.commit.Do(ctx, func(tx store.Querier) error {
		garbage, res, expired = nil, deleteResult{}, false
		c, err := getContainer(ctx, tx, account, container)
		if err != nil {
			return err
		}
		if hidden, on := versioning(c); on && !unversioned {
			if res, garbage, err = deleteVersioned(ctx, tx, hidden, account, container, name); err != nil {
				return err
			}
			garbage, err = reapInline(ctx, tx, garbage)
			return err
		}
		cur, err := getObjectRow(ctx, tx, account, container, name)
		if err != nil {
			return err
		}
		if cur.DeleteAt != 0 && cur.DeleteAt <= time.Now().Unix() {
			// Gone already: reap it now and answer 404 after the commit.
			expired = true
			if garbage, err = removeObject(ctx, tx, cur); err != nil {
				return err
			}
			garbage, err = reapInline(ctx, tx, garbage)
			return err
		}
		res.gone = cur
		if h := c.Meta["X-History-Location"]; h != "" {
			return archiveObject(ctx, tx, cur, archiveContainer(c))
		}
		if garbage, err = removeObject(ctx, tx, cur); err != nil {
			return err
		}
		if c.Meta["X-Versions-Location"] != "" {
			if _, err := restoreLatest(ctx, tx, account, container, name, archiveContainer(c)); err != nil {
				return err
			}
			if len(garbage) == 1 {
				if used, err := blobReferenced(ctx, tx, garbage[0]); err != nil || used {
					garbage = nil
					return err
				}
			}
		}
		garbage, err = reapInline(ctx, tx, garbage)
		return err
	})
	if isNotFound(err) {
		return res, errNotFound()
	}
	if err != nil {
		return res, err
	}
	s.dropBlobs(garbage)
	if expired || res.gone == nil {
		nf := errNotFound()
		if res.versionID != "" {
			nf = withHeader(nf, "X-Object-Version-Id", res.versionID)
		}
		return res, nf
	}
	return res, nil
}
