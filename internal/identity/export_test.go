package identity

import "github.com/stratus-iaas/stratus/internal/store"

// DBForTest exposes the database to the external test package.
func (s *Service) DBForTest() *store.DB { return s.db }
