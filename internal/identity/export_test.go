package identity

import "github.com/stratus-iaas/stratus/internal/store"

// DBForTest exposes the database to the external test package.
func (s *Service) DBForTest() *store.DB { return s.db }

// VerificationsForTest is how many bcrypt verifications logins have spent.
func (s *Service) VerificationsForTest() int64 { return s.verifications.Load() }
