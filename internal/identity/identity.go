// Package identity is the Keystone v3 (and v2.0 token) service.
//
// STUB: the identity engineer replaces this file; the exported API below is
// the contract internal/server relies on.
package identity

import (
	"context"
	"log/slog"
	"time"

	"github.com/stratus-iaas/stratus/internal/catalog"
	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
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
}

// Service is the identity service.
type Service struct{ opts Options }

// New returns the service.
func New(opts Options) (*Service, error) { return &Service{opts: opts}, nil }

// Bootstrap creates, on first start, the Default domain, the admin project
// and user (role admin), the member and reader roles and region. When
// adminPassword is empty on first start a password is generated and
// returned with generated=true. On later starts a non-empty adminPassword
// resets the admin password; the returned password is "" when unknown.
func (s *Service) Bootstrap(ctx context.Context, adminPassword string) (password string, generated bool, err error) {
	return adminPassword, false, nil
}

// Authenticate validates a token (httpapi.Authenticator).
func (s *Service) Authenticate(ctx context.Context, token string) (*policy.Principal, error) {
	return nil, fault.Unauthorizedf("The request you have made requires authentication.")
}

// Group is the service's routes under catalog.IdentityPrefix.
func (s *Service) Group() httpapi.Group {
	return httpapi.Group{Name: "identity", Prefix: catalog.IdentityPrefix, Dialect: httpapi.Keystone}
}
