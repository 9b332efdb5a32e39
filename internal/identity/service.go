// Package identity is the Keystone v3 (and v2.0 token) service: domains,
// projects, users, roles, role assignments, tokens and the service
// catalog. It is also the token verifier every other service relies on
// (Authenticate, an httpapi.Authenticator).
package identity

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stratus-iaas/stratus/internal/catalog"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Options configure the service.
type Options struct {
	DB         *store.DB
	Log        *slog.Logger
	TokenTTL   time.Duration
	BcryptCost int
	Region     string
	PublicURL  string          // base URL; catalog URLs are PublicURL + Entry.Path
	Catalog    []catalog.Entry // every served endpoint

	// Now is the clock (tests shorten time with it); nil is time.Now.
	Now func() time.Time
	// CredentialKey encrypts credential blobs at rest (CredentialKeySize
	// bytes, see LoadCredentialKey); nil uses a random key for this
	// process only (tests).
	CredentialKey []byte

	// AnyProjectAdmin makes the admin role on any project a cloud admin,
	// as Keystone's legacy policy without admin_project_name; by default
	// only the admin project (and system scope) does.
	AnyProjectAdmin bool

	// CacheTTL is how long a validated token is trusted without looking
	// at the database again: the delay before a revocation made on another
	// node sharing the database takes effect here. 0 means 1 s.
	CacheTTL time.Duration
}

// Service is the identity service.
type Service struct {
	opts  Options
	db    *store.DB
	log   *slog.Logger
	cache *tokenCache
	creds *credCipher

	catalogCache catalogCache
	serviceKind  *entity[CatalogService]
	endpointKind *entity[Endpoint]
	regionKind   *entity[Region]

	// pending holds the bootstrap admin's password while its hash is
	// computed in the background, so the listener need not wait for
	// bcrypt; password checks for that user wait on done.
	pendingMu sync.Mutex
	pending   *pendingHash

	purgeMu   sync.Mutex
	lastPurge time.Time

	dummyOnce sync.Once
	dummyHash []byte

	// verifications counts bcrypt verifications of logins (tests check
	// that every failure costs one).
	verifications atomic.Int64
}

type pendingHash struct {
	done chan struct{}
}

// New returns the service.
func New(opts Options) (*Service, error) {
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = 12 * time.Hour
	}
	if opts.BcryptCost == 0 {
		opts.BcryptCost = 12
	}
	if opts.Region == "" {
		opts.Region = "RegionOne"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.CacheTTL <= 0 {
		opts.CacheTTL = time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	s := &Service{opts: opts, db: opts.DB, log: opts.Log}
	s.cache = newTokenCache(opts.CacheTTL)
	key := opts.CredentialKey
	if key == nil {
		key = make([]byte, CredentialKeySize)
		rand.Read(key)
	}
	var err error
	if s.creds, err = newCredCipher(key); err != nil {
		return nil, err
	}
	s.catalogKinds()
	return s, nil
}

func (s *Service) now() time.Time { return s.opts.Now().UTC() }

// nowMicro is the current time as stored in rows.
func (s *Service) nowMicro() int64 { return s.now().UnixMicro() }

// newID is a Keystone-style id: 32 hex digits.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// waitPending blocks while a bootstrap password hash is being computed
// (only in the first moments after a start), so that a login never reads
// a hash that is about to change.
func (s *Service) waitPending(ctx context.Context) {
	s.pendingMu.Lock()
	p := s.pending
	s.pendingMu.Unlock()
	if p == nil {
		return
	}
	select {
	case <-p.done:
	case <-ctx.Done():
	}
}

// Wait blocks until background work started by Bootstrap is done.
func (s *Service) Wait() {
	s.pendingMu.Lock()
	p := s.pending
	s.pendingMu.Unlock()
	if p != nil {
		<-p.done
	}
}

// invalidate drops what this node caches of identity data after a change:
// validated tokens and the catalog.
func (s *Service) invalidate() {
	s.cache.clear()
	s.catalogCache.clear()
}
