// Package compute is the Nova v2/v2.1 API (K5 §1.1–1.4 and the compute
// parts of §1.8, with seed 003's createImage): flavors, key pairs,
// quotas and limits, servers with their actions and sub-resources, server
// groups, availability zones, and the Nova image proxy, which it routes
// for the image service.
//
// The service keeps Nova's records and state machine; the VMs themselves
// are a hypervisor.Driver's. Networking is the network service's, reached
// through the narrow Network interface; images are the image service's,
// reached through Images.
package compute

import (
	"context"
	"log/slog"

	"github.com/stratus-iaas/stratus/internal/store"
)

// Options configure the service.
type Options struct {
	DB  *store.DB
	Log *slog.Logger
	// KeyAlgorithm is what generated key pairs use: "rsa" (2048 bits, as
	// Nova) or "ed25519".
	KeyAlgorithm string
	// Quotas are the default limits (QuotaDefaults when zero).
	Quotas map[string]int64
}

// Service is the compute service.
type Service struct {
	db     *store.DB
	r      store.Querier
	log    *slog.Logger
	keyAlg string
	quotas map[string]int64
}

// New returns the service.
func New(ctx context.Context, opts Options) (*Service, error) {
	s := &Service{db: opts.DB, r: opts.DB.R(), log: opts.Log, keyAlg: opts.KeyAlgorithm, quotas: QuotaDefaults()}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.keyAlg == "" {
		s.keyAlg = "rsa"
	}
	for k, v := range opts.Quotas {
		s.quotas[k] = v
	}
	return s, nil
}

// Close stops the service's workers.
func (s *Service) Close() error { return nil }
