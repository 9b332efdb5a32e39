// Package objectstore is the Swift v1 object-storage service: accounts,
// containers and objects with metadata, ACLs, temp URLs, large objects
// (DLO/SLO), bulk delete and versioning.
//
// Bytes live in the blob store under immutable keys (a new key per write),
// rows live in SQL; a write commits its blob (fsync, rename, directory
// fsync) before its row, and a request is acknowledged only after the
// row's transaction commits, so a crash leaves the old version or the new
// one, never a torn object. Row writes are group-committed.
//
// Other services use the Go API (api.go) to read and write objects as a
// caller, under the very rules of the HTTP handlers, which are thin over
// the same functions:
//
//	r, err := svc.OpenObject(ctx, p, "AUTH_"+project, container, name) // as GET: ACLs, segments, expiry
//	defer r.Close()                                                    // r: io.ReaderAt, io.ReadCloser, Size, ETag, ContentType
//	info, err := svc.HeadObject(ctx, p, account, container, name)     // as HEAD
//	etag, err := svc.PutObject(ctx, p, account, container, name, body, objectstore.PutOptions{Size: n})
//	err = svc.DeleteObject(ctx, p, account, container, name)
//
// A nil principal is an anonymous caller. Errors are *fault.Error
// (NotFound, Forbidden, Unauthorized for a refused anonymous caller, ...).
//
// Access is decided in access.go from one reqCtx: the account owner
// (read; write unless a lone reader), container ACLs, and a temp URL's
// grant, which is limited to the container of the key that signed it
// unless an account key did. Names enter only through names.go's rules.
package objectstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync"
	"time"

	"github.com/stratus-iaas/stratus/internal/blob"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Limits reported by /info and enforced on requests (Swift's defaults).
const (
	maxFileSize           = 5368709122
	maxMetaNameLength     = 128
	maxMetaValueLength    = 256
	maxMetaCount          = 90
	maxMetaOverallSize    = 4096
	maxHeaderSize         = 8192
	maxObjectNameLength   = 1024
	maxContainerNameLen   = 256
	maxAccountNameLength  = 256
	containerListingLimit = 10000
	accountListingLimit   = 10000
	maxManifestSegments   = 1000
	maxManifestSize       = 8388608
	maxBulkDeletes        = 10000
	maxFailedDeletes      = 1000
)

// Options configure the service.
type Options struct {
	DB    *store.DB
	Blobs blob.Store
	Log   *slog.Logger
	// ExpiryInterval is how often expired objects are reaped (default 5 s).
	ExpiryInterval time.Duration
	// InlineMax is the largest object kept in the database with its row
	// instead of in Blobs (0: 64 KiB; negative: none).
	InlineMax int
	// TempURLMethods are the methods a temp URL may be signed for
	// (tempurl.py's methods; default GET HEAD PUT POST DELETE).
	TempURLMethods []string
	// ProjectDomain returns the domain of a project, so that ACL entries
	// naming projects and users by name match only in the default domain
	// (keystoneauth). Nil: names match only on the caller's own account.
	ProjectDomain func(ctx context.Context, projectID string) (string, error)
}

// DefaultTempURLMethods are tempurl.py's default methods.
var DefaultTempURLMethods = []string{"GET", "HEAD", "PUT", "POST", "DELETE"}

// Service is the object-storage service.
type Service struct {
	db        *store.DB
	blobs     blob.Store
	log       *slog.Logger
	commit    *committer
	inlineMax int
	// tempURLMethods may be signed; projectDomain is Options.ProjectDomain.
	tempURLMethods []string
	projectDomain  func(ctx context.Context, projectID string) (string, error)
	quit           chan struct{}
	wg             sync.WaitGroup
	versionedCache versionedCache // which containers have versions (versions.go)
}

// New returns the service and starts its committer and expirer.
func New(ctx context.Context, opts Options) (*Service, error) {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.ExpiryInterval <= 0 {
		opts.ExpiryInterval = 5 * time.Second
	}
	if err := pgByteOrder(ctx, opts.DB); err != nil {
		return nil, err
	}
	s := &Service{db: opts.DB, blobs: opts.Blobs, log: opts.Log, commit: newCommitter(opts.DB), quit: make(chan struct{}),
		inlineMax: opts.InlineMax, tempURLMethods: opts.TempURLMethods, projectDomain: opts.ProjectDomain}
	if len(s.tempURLMethods) == 0 {
		s.tempURLMethods = DefaultTempURLMethods
	}
	if s.inlineMax == 0 {
		s.inlineMax = defaultInlineMax
	}
	s.wg.Add(2)
	go s.expirer(opts.ExpiryInterval)
	go s.sweeper()
	return s, nil
}

// Close stops the background work; queued commits finish first.
func (s *Service) Close() error {
	close(s.quit)
	s.wg.Wait()
	s.commit.close()
	return nil
}

// newBlobKey is a fresh, never reused key. Keys written in the same minute
// share a directory, so a batch of concurrent writes fsyncs few directories.
func newBlobKey() string {
	var b [16]byte
	rand.Read(b[:])
	return "swift/" + time.Now().UTC().Format("20060102/1504") + "/" + hex.EncodeToString(b[:])
}

// expirer deletes objects whose X-Delete-At has passed. Reads already hide
// them; this frees their rows, counters and bytes.
func (s *Service) expirer(every time.Duration) {
	defer s.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.quit:
			return
		case <-t.C:
		}
		ctx := context.Background()
		objs, err := expiredObjects(ctx, s.db.R(), time.Now().Unix(), 1000)
		if err != nil {
			s.log.Warn("expirer: list", "err", err)
			continue
		}
		for _, o := range objs {
			var garbage []string
			err := s.commit.Do(ctx, func(tx store.Querier) error {
				cur, err := getObjectRow(ctx, tx, o.Account, o.Container, o.Name)
				if err != nil || cur.DeleteAt == 0 || cur.DeleteAt > time.Now().Unix() {
					return nil // gone or changed since
				}
				if garbage, err = removeObject(ctx, tx, cur); err != nil {
					return err
				}
				garbage, err = reapInline(ctx, tx, garbage)
				return err
			})
			if err == nil {
				s.dropBlobs(garbage)
			}
		}
	}
}

// dropBlobs deletes blobs no row references any more.
func (s *Service) dropBlobs(keys []string) {
	for _, k := range keys {
		if isInline(k) {
			continue // deleted with the last row that used it (reapInline)
		}
		if err := s.blobs.Delete(context.Background(), k); err != nil {
			s.log.Warn("delete blob", "key", k, "err", err)
		}
	}
}

// removeObject deletes o's row and fixes the counters; it returns o's
// blob key when no other row uses it. A transaction that collects such
// keys passes them through reapInline before it ends.
func removeObject(ctx context.Context, tx store.Querier, o *Object) ([]string, error) {
	if err := deleteObjectRow(ctx, tx, o); err != nil {
		return nil, err
	}
	if err := countObject(ctx, tx, o, -1); err != nil {
		return nil, err
	}
	used, err := blobReferenced(ctx, tx, o.BlobKey)
	if err != nil || used {
		return nil, err
	}
	return []string{o.BlobKey}, nil
}

// addObject inserts the row of o, whose bytes are stored already (archived
// and restored versions), and fixes the counters.
func addObject(ctx context.Context, tx store.Querier, o *Object) error {
	if err := insertObjectRow(ctx, tx, o); err != nil {
		return err
	}
	return countObject(ctx, tx, o, 1)
}

// countObject adds sign times o to its container's and account's counters.
func countObject(ctx context.Context, tx store.Querier, o *Object, sign int64) error {
	if err := bumpContainer(ctx, tx, o.Account, o.Container, sign, sign*o.Size); err != nil {
		return err
	}
	return bumpAccount(ctx, tx, o.Account, 0, sign, sign*o.Size)
}

func nowMicro() int64 { return time.Now().UTC().UnixMicro() }
