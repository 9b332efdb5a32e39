package objectstore

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Object versioning (Swift 2.24+'s object_versioning middleware,
// swift/common/middleware/versioned_writes/object_versioning.py): a
// container with X-Versions-Enabled keeps every version of its objects in
// a hidden versions container of the same account, and each name in the
// container itself is a version link (a symlink) to its newest version.
// A DELETE writes a delete marker version and removes the link. Versions
// are read, deleted and made current again with ?version-id, and listed
// with ?versions.
//
// The hidden container is a real container row (its counters are the
// versions' usage, which the account's usage includes, as in Swift) whose
// name holds a slash, so no request can name it; account listings leave
// it out and add its bytes to its container's. A version is a row of the
// hidden container keyed by the object's name and the inverse of its
// timestamp, so a name's versions sort together, newest first, in name
// order (Swift's reserved-namespace names do the same with NUL, which
// PostgreSQL text cannot hold). Every change (a version, its link, a
// delete marker, moving an unversioned object into the versions) happens
// in one transaction.

const (
	sysVersionsEnabled = "X-Container-Sysmeta-Versions-Enabled"   // "True" or "False"
	sysVersionsCont    = "X-Container-Sysmeta-Versions-Container" // the hidden container
	sysVersionLink     = "X-Object-Sysmeta-Versions-Symlink"      // on a version link: the version it points at

	deleteMarkerType = "application/x-deleted;swift_versions_deleted=1"

	hiddenPrefix = "\x01versions/"
	keyTerm      = "\x01\x01"

	msgInvalidVersion  = "Invalid version parameter"
	msgNotVersioned    = "version-aware operations require that the container is versioned"
	msgLegacyVersioned = "Cannot enable object versioning on a container that is already using the legacy versioned writes feature."
)

// hiddenName is the versions container of container.
func hiddenName(container string) string { return hiddenPrefix + container }

// versioning reports c's versions container ("" when never enabled) and
// whether versioning is on now.
func versioning(c *Container) (hidden string, enabled bool) {
	return c.Meta[sysVersionsCont], c.Meta[sysVersionsEnabled] == "True"
}

// isVersionLink reports whether o is a version link.
func isVersionLink(o *Object) bool { return o.Kind == kindSymlink && o.Meta[sysVersionLink] != "" }

// escName makes a name a key prefix that sorts as the name does and ends
// where the name does: \x01 (the least byte a name may hold) becomes
// \x01\x02, so keyTerm (\x01\x01) sorts before every continuation.
func escName(n string) string   { return strings.ReplaceAll(n, "\x01", "\x01\x02") }
func unescName(n string) string { return strings.ReplaceAll(n, "\x01\x02", "\x01") }

// versionKey is the hidden row of name's version made at us (Unix
// microseconds, a multiple of 10): newer versions sort first.
func versionKey(name string, us int64) string {
	return escName(name) + keyTerm + fmt.Sprintf("%015d", int64(999999999999999)-us/10)
}

// parseVersionKey is versionKey's inverse.
func parseVersionKey(k string) (name string, us int64, ok bool) {
	i := strings.Index(k, keyTerm)
	if i < 0 || len(k)-i-len(keyTerm) != 15 {
		return "", 0, false
	}
	inv, err := strconv.ParseInt(k[i+len(keyTerm):], 10, 64)
	if err != nil {
		return "", 0, false
	}
	return unescName(k[:i]), (999999999999999 - inv) * 10, true
}

// versionRange is the key range of all of name's versions.
func versionRange(name string) (lo, hi string) {
	p := escName(name)
	return p + keyTerm, p + "\x01\x02"
}

var versionIDRe = regexp.MustCompile(`^[0-9]+(\.[0-9]*)?$|^\.[0-9]+$`)

// parseVersionID reads a version id as Swift's Timestamp does (a
// non-negative number of seconds below 10^10, to five decimals) and
// returns it in Unix microseconds.
func parseVersionID(v string) (int64, error) {
	if !versionIDRe.MatchString(v) {
		return 0, fault.Invalidf(msgInvalidVersion)
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f >= 1e10 {
		return 0, fault.Invalidf(msgInvalidVersion)
	}
	// Bounded again after rounding to Swift's five decimals, as Swift's
	// Timestamp is: 9999999999.999999 rounds to 1e10, which is refused.
	us := int64(f*1e5+0.5) * 10
	if us >= 1e16 {
		return 0, fault.Invalidf(msgInvalidVersion)
	}
	return us, nil
}

// versionID is a version's id: its timestamp as Swift writes them.
func versionID(us int64) string { return swiftTimestamp(us) }

// versionKeyOf is the hidden row of name's version vid.
func versionKeyOf(name, vid string) (string, error) {
	us, err := parseVersionID(vid)
	if err != nil {
		return "", err
	}
	return versionKey(name, us), nil
}

// setVersioning applies X-Versions-Enabled to c (created or updated by a
// container PUT/POST in tx): enabling it the first time creates the
// versions container. Legacy versioning and this mode exclude each other.
func setVersioning(ctx context.Context, tx store.Querier, c *Container, h http.Header, now int64) error {
	legacy := c.Meta["X-Versions-Location"] != "" || c.Meta["X-History-Location"] != ""
	setsLegacy := h.Get("X-Versions-Location") != "" || h.Get("X-History-Location") != ""
	v, sets := h["X-Versions-Enabled"]
	hidden, _ := versioning(c)
	switch {
	case sets && (legacy || setsLegacy):
		return fault.Invalidf(msgLegacyVersioned)
	case !sets && setsLegacy && hidden != "":
		return fault.Invalidf("Cannot enable legacy versioned writes on a container that uses object versioning.")
	case !sets:
		return nil
	}
	on := truthy(strings.Join(v, ","))
	c.Meta[sysVersionsEnabled] = "False"
	if !on {
		return nil
	}
	c.Meta[sysVersionsEnabled] = "True"
	if hidden != "" {
		return nil
	}
	hidden = hiddenName(c.Name)
	c.Meta[sysVersionsCont] = hidden
	if _, err := getContainer(ctx, tx, c.Account, hidden); err == nil {
		return nil
	} else if !isNotFound(err) {
		return err
	}
	if err := insertContainer(ctx, tx, &Container{Account: c.Account, Name: hidden, Meta: map[string]string{}, CreatedAt: now}); err != nil {
		return err
	}
	return bumpAccount(ctx, tx, c.Account, 1, 0, 0)
}

// newestVersion returns the timestamp of name's newest version (0: none).
func newestVersion(ctx context.Context, tx store.Querier, account, hidden, name string) (int64, error) {
	lo, hi := versionRange(name)
	var k string
	err := tx.QueryRowContext(ctx, `SELECT name FROM swift_objects WHERE account = $1 AND container = $2
		AND name >= $3 AND name < $4 ORDER BY name LIMIT 1`, account, hidden, lo, hi).Scan(&k)
	if err != nil {
		if isNotFound(store.Map(err)) {
			return 0, nil
		}
		return 0, err
	}
	_, us, _ := parseVersionKey(k)
	return us, nil
}

// freeVersionTS returns the timestamp a new version of name takes: us
// (to Swift's 10 µs), after the newest version when newest is set, and
// one no version of name has yet.
func freeVersionTS(ctx context.Context, tx store.Querier, account, hidden, name string, us int64, newest bool) (int64, error) {
	us -= us % 10
	if newest {
		n, err := newestVersion(ctx, tx, account, hidden, name)
		if err != nil {
			return 0, err
		}
		us = max(us, n+10)
	}
	for range 1000 {
		_, err := getObjectRow(ctx, tx, account, hidden, versionKey(name, us))
		if isNotFound(err) {
			return us, nil
		}
		if err != nil {
			return 0, err
		}
		us += 10
	}
	return 0, fmt.Errorf("no free version timestamp for %q", name)
}

// moveToVersions turns o (a live object that is not a link) into a
// version of its name, keeping its timestamp as the version id (Swift's
// _copy_current), and returns that id.
func moveToVersions(ctx context.Context, tx store.Querier, hidden string, o *Object) (int64, error) {
	ts, err := freeVersionTS(ctx, tx, o.Account, hidden, o.Name, o.LastModified, false)
	if err != nil {
		return 0, err
	}
	v := *o
	v.Container, v.Name, v.LastModified, v.DeleteAt = hidden, versionKey(o.Name, ts), ts, 0
	if err := addObject(ctx, tx, &v); err != nil {
		return 0, err
	}
	_, err = removeObject(ctx, tx, o) // the blob stays: the version uses it
	return ts, err
}

// newLink is the version link that makes version v (made at ts) of req's
// name current: the link carries req's metadata and expiry (Swift PUTs
// the link with the client's request), the version's content type, ETag
// and size; it holds no bytes.
func newLink(req, v *Object, ts int64) *Object {
	l := &Object{Account: req.Account, Container: req.Container, Name: req.Name, Kind: kindSymlink,
		ContentType: v.ContentType, DeleteAt: req.DeleteAt, BlobKey: newInlineKey(), ETag: emptyMD5,
		LastModified: ts, Meta: map[string]string{}, inline: []byte{}}
	for k, val := range req.Meta {
		if !strings.HasPrefix(k, sysPrefix) && k != "X-Object-Manifest" {
			l.Meta[k] = val
		}
	}
	l.Meta[sysVersionLink] = versionID(ts)
	l.Meta[sysSymlinkTargetEtag] = v.ETag
	l.Meta[sysSymlinkTargetBytes] = strconv.FormatInt(v.Size, 10)
	return l
}

// storeLink records l (a link without bytes) in place of whatever has its
// name, returning garbage.
func storeLink(ctx context.Context, tx store.Querier, l *Object) ([]string, error) {
	var garbage []string
	old, err := getObjectRow(ctx, tx, l.Account, l.Container, l.Name)
	if err == nil {
		if garbage, err = removeObject(ctx, tx, old); err != nil {
			return nil, err
		}
	} else if !isNotFound(err) {
		return nil, err
	}
	if err := insertInline(ctx, tx, l.BlobKey, l.inline); err != nil {
		return nil, err
	}
	return garbage, addObject(ctx, tx, l)
}

// storeVersioned is storeObject in a container with versioning on: the
// current object, if unversioned, becomes a version; o is stored as a new
// version (its bytes inserted already when inline) and linked under its
// name. o.versionID is set.
func storeVersioned(ctx context.Context, tx store.Querier, hidden string, o *Object, ifNoneMatch bool) ([]string, error) {
	cur, err := getObjectRow(ctx, tx, o.Account, o.Container, o.Name)
	if err != nil && !isNotFound(err) {
		return nil, err
	}
	if cur != nil {
		live := cur.DeleteAt == 0 || cur.DeleteAt > time.Now().Unix()
		if ifNoneMatch && live {
			return nil, fault.New(fault.PreconditionFailed, msgPrecondition)
		}
		if live && !isVersionLink(cur) {
			if _, err := moveToVersions(ctx, tx, hidden, cur); err != nil {
				return nil, err
			}
		}
	}
	ts, err := freeVersionTS(ctx, tx, o.Account, hidden, o.Name, max(nowMicro(), o.LastModified), true)
	if err != nil {
		return nil, err
	}
	v := *o
	v.Container, v.Name, v.LastModified, v.DeleteAt, v.Meta = hidden, versionKey(o.Name, ts), ts, 0, maps.Clone(o.Meta)
	if err := addObject(ctx, tx, &v); err != nil {
		return nil, err
	}
	garbage, err := storeLink(ctx, tx, newLink(o, &v, ts))
	if err != nil {
		return nil, err
	}
	o.LastModified, o.versionID = ts, versionID(ts)
	return garbage, nil
}

// deleteResult is what a DELETE did.
type deleteResult struct {
	gone      *Object // the object (or link) removed, nil when none was
	versionID string  // X-Object-Version-Id: the delete marker's, in a versioned container
}

// deleteVersioned is a DELETE in a container with versioning on: the
// current object, if unversioned, becomes a version, a delete marker is
// written and the name's link removed. The marker is written even when
// nothing had the name (Swift then answers 404 with the marker's id).
func deleteVersioned(ctx context.Context, tx store.Querier, hidden, account, container, name string) (deleteResult, []string, error) {
	var res deleteResult
	var garbage []string
	cur, err := getObjectRow(ctx, tx, account, container, name)
	if err != nil && !isNotFound(err) {
		return res, nil, err
	}
	if cur != nil {
		live := cur.DeleteAt == 0 || cur.DeleteAt > time.Now().Unix()
		switch {
		case live && !isVersionLink(cur):
			if _, err := moveToVersions(ctx, tx, hidden, cur); err != nil {
				return res, nil, err
			}
		default:
			if garbage, err = removeObject(ctx, tx, cur); err != nil {
				return res, nil, err
			}
		}
		if live {
			res.gone = cur
		}
	}
	ts, err := freeVersionTS(ctx, tx, account, hidden, name, nowMicro(), true)
	if err != nil {
		return res, nil, err
	}
	m := &Object{Account: account, Container: hidden, Name: versionKey(name, ts), BlobKey: newInlineKey(), ETag: emptyMD5,
		ContentType: deleteMarkerType, LastModified: ts, Meta: map[string]string{}}
	if err := insertInline(ctx, tx, m.BlobKey, []byte{}); err != nil {
		return res, nil, err
	}
	if err := addObject(ctx, tx, m); err != nil {
		return res, nil, err
	}
	res.versionID = versionID(ts)
	return res, garbage, nil
}

// versionedCache remembers for a few seconds whether a container has a
// versions container, for the one header that needs it on reads the owner
// makes without reading the container row (X-Object-Version-Id: null on an
// unversioned object of a versioned container): a container read per GET
// added 50 allocations to the 214 of an owner's 4 KiB GET (BenchmarkGet4K,
// docs/benchmarks.md), the cache 3. A node forgets
// a container when it changes it; another node's change shows within the
// TTL (Swift caches container info for a minute). Version links are known
// from their own row, never from here.
type versionedCache struct {
	mu sync.Mutex
	m  map[string]versionedEntry
}

type versionedEntry struct {
	yes   bool
	until time.Time
}

const versionedTTL = 10 * time.Second

func (vc *versionedCache) has(ctx context.Context, q store.Querier, account, container string) (bool, error) {
	k := containerKey(account, container)
	now := time.Now()
	vc.mu.Lock()
	e, ok := vc.m[k]
	vc.mu.Unlock()
	if ok && now.Before(e.until) {
		return e.yes, nil
	}
	c, err := getContainer(ctx, q, account, container)
	if err != nil && !isNotFound(err) {
		return false, err
	}
	yes := false
	if c != nil {
		hidden, _ := versioning(c)
		yes = hidden != ""
	}
	vc.mu.Lock()
	if vc.m == nil || len(vc.m) > 100000 {
		vc.m = map[string]versionedEntry{}
	}
	vc.m[k] = versionedEntry{yes, now.Add(versionedTTL)}
	vc.mu.Unlock()
	return yes, nil
}

func (vc *versionedCache) forget(account, container string) {
	vc.mu.Lock()
	delete(vc.m, containerKey(account, container))
	vc.mu.Unlock()
}
