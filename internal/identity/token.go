package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// A token is 32 random bytes, base64url-encoded. Only its SHA-256 is
// stored, so validating costs a hash and (at most once a second per token)
// a few indexed reads; no password hashing happens per request.

// errInvalidToken is any reason a token does not validate: unknown,
// expired, revoked, user or project disabled, no role left on the scope.
var errInvalidToken = errors.New("identity: invalid token")

const authRequired = "The request you have made requires authentication."

// unauthorized is Keystone's 401. The reason is not sent (as Keystone
// does without insecure_debug) and not logged as an error either: a
// wrong password is the client's business. It goes to the debug log.
func unauthorized(reason error) *fault.Error {
	if reason != nil {
		slog.Debug("identity: authentication failed", "reason", reason)
	}
	return fault.Unauthorizedf(authRequired)
}

// tokenInfo is a validated token: everything the principal, the v3 body
// and the v2.0 body need.
type tokenInfo struct {
	token         string
	hash          string
	methods       []string
	auditIDs      []string
	issuedAt      time.Time
	expiresAt     time.Time
	user          *User
	userDomain    *Domain
	project       *Project // project scope
	projectDomain *Domain
	domain        *Domain // domain scope
	system        bool    // system scope
	trust         *Trust  // trust-scoped token
	trustor       *User   // the trust's trustor
	trustorDomain *Domain
	appCred       *AppCred
	roles         []*Role // including implied roles
	principal     *policy.Principal

	// body caches the rendered v3 body, without and with the catalog:
	// an info never changes once built (a refresh builds a new one).
	body [2]atomic.Pointer[[]byte]
}

func (t *tokenInfo) unscoped() bool { return t.project == nil && t.domain == nil && !t.system }

// scope is what the token was stored with, for re-resolution.
func (t *tokenInfo) scope() tokenScope {
	var sc tokenScope
	if t.project != nil {
		sc.projectID = t.project.ID
	}
	if t.domain != nil {
		sc.domainID = t.domain.ID
	}
	sc.system = t.system
	if t.trust != nil {
		sc.trustID = t.trust.ID
	}
	if t.appCred != nil {
		sc.appCredID = t.appCred.ID
	}
	return sc
}

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func newToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func newAuditID() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// tokenCache holds validated tokens by hash. An entry is trusted for ttl
// after it was read from the database; local changes that may invalidate
// tokens (revocation, disabling, unassigning) drop entries at once.
type tokenCache struct {
	ttl time.Duration
	mu  sync.RWMutex
	m   map[string]cacheEntry
}

type cacheEntry struct {
	info    *tokenInfo
	checked time.Time
}

const maxCacheEntries = 100_000

func newTokenCache(ttl time.Duration) *tokenCache {
	return &tokenCache{ttl: ttl, m: map[string]cacheEntry{}}
}

func (c *tokenCache) get(hash string, now time.Time) *tokenInfo {
	c.mu.RLock()
	e, ok := c.m[hash]
	c.mu.RUnlock()
	if !ok || now.Sub(e.checked) >= c.ttl || now.Before(e.checked) {
		return nil
	}
	return e.info
}

func (c *tokenCache) put(info *tokenInfo, now time.Time) {
	c.mu.Lock()
	if len(c.m) >= maxCacheEntries {
		c.m = map[string]cacheEntry{}
	}
	c.m[info.hash] = cacheEntry{info: info, checked: now}
	c.mu.Unlock()
}

// clear drops every entry: identity data changed here.
func (c *tokenCache) clear() {
	c.mu.Lock()
	c.m = map[string]cacheEntry{}
	c.mu.Unlock()
}

// validate returns the token's current state, from the cache when fresh.
func (s *Service) validate(ctx context.Context, token string) (*tokenInfo, error) {
	if token == "" {
		return nil, errInvalidToken
	}
	now := s.now()
	hash := tokenHash(token)
	if info := s.cache.get(hash, now); info != nil {
		if !now.Before(info.expiresAt) {
			return nil, errInvalidToken
		}
		return info, nil
	}
	info, err := s.loadToken(ctx, s.db.R(), hash)
	if err != nil {
		return nil, err
	}
	info.token = token
	info.principal.TokenID = token
	if !now.Before(info.expiresAt) {
		return nil, errInvalidToken
	}
	s.cache.put(info, now)
	return info, nil
}

// issueRequest is a resolved authentication: who, on what scope.
type issueRequest struct {
	user    *User
	scope   tokenScope
	methods []string
	parent  *tokenInfo // token method: the token presented
	// expiresAt caps the token's expiry (an application credential's or a
	// trust's); zero for none.
	expiresAt time.Time
}

// issue checks the scope and stores a new token.
func (s *Service) issue(ctx context.Context, req issueRequest) (*tokenInfo, error) {
	now := s.now()
	info := &tokenInfo{token: newToken(), methods: req.methods, issuedAt: now, expiresAt: now.Add(s.opts.TokenTTL)}
	info.hash = tokenHash(info.token)
	info.auditIDs = []string{newAuditID()}
	if req.parent != nil {
		// A token made from a token keeps its expiry and audit chain.
		info.expiresAt = req.parent.expiresAt
		info.auditIDs = append(info.auditIDs, req.parent.auditIDs[0])
	}
	if !req.expiresAt.IsZero() && req.expiresAt.Before(info.expiresAt) {
		info.expiresAt = req.expiresAt
	}
	if err := s.resolveToken(ctx, s.db.R(), info, req.user.ID, req.scope); err != nil {
		if errors.Is(err, errInvalidToken) {
			return nil, unauthorized(err)
		}
		return nil, err
	}
	info.principal.TokenID = info.token
	sc := req.scope
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if sc.trustID != "" {
			if err := consumeTrustUse(ctx, tx, sc.trustID); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO identity_tokens (hash, user_id, project_id, domain_id, system_scope, trust_id, app_cred_id, methods, audit_ids, issued_at, expires_at) "+
			"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
			info.hash, req.user.ID, sc.projectID, sc.domainID, sc.system, sc.trustID, sc.appCredID, strings.Join(info.methods, ","), strings.Join(info.auditIDs, ","),
			info.issuedAt.UnixMicro(), info.expiresAt.UnixMicro())
		return err
	})
	if err != nil {
		return nil, err
	}
	s.cache.put(info, now)
	s.maybePurge(ctx, now)
	return info, nil
}

// revoke revokes a token and every token made from it (same audit chain).
func (s *Service) revoke(ctx context.Context, info *tokenInfo) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE identity_tokens SET revoked_at = $1 WHERE revoked_at = 0 AND (hash = $2 OR audit_ids LIKE $3)",
			s.nowMicro(), info.hash, "%"+info.auditIDs[0]+"%")
		return err
	})
	s.cache.clear()
	return err
}

// maybePurge deletes long-expired tokens, at most once an hour.
func (s *Service) maybePurge(ctx context.Context, now time.Time) {
	s.purgeMu.Lock()
	if now.Sub(s.lastPurge) < time.Hour {
		s.purgeMu.Unlock()
		return
	}
	s.lastPurge = now
	s.purgeMu.Unlock()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM identity_tokens WHERE expires_at < $1", now.Add(-24*time.Hour).UnixMicro())
		return err
	})
	if err != nil {
		s.log.Warn("purge expired tokens", "err", err)
	}
}

// Authenticate validates a token (httpapi.Authenticator). The caller gets
// its own copy of the cached principal.
func (s *Service) Authenticate(ctx context.Context, token string) (*policy.Principal, error) {
	info, err := s.validate(ctx, token)
	if err != nil {
		if errors.Is(err, errInvalidToken) {
			return nil, unauthorized(nil)
		}
		return nil, err
	}
	p := *info.principal
	p.Roles = slices.Clone(p.Roles)
	p.AccessRules = slices.Clone(p.AccessRules)
	return &p, nil
}
