package identity

import (
	"context"

	"github.com/stratus-iaas/stratus/internal/policy"
)

// The scopes a caller may ask a token for (GET /v3/auth/projects,
// /v3/auth/domains, /v3/auth/system and v2.0's /tenants).

// AuthProjects are the enabled projects on which the caller has a role.
func (s *Service) AuthProjects(ctx context.Context, caller *policy.Principal) ([]*Project, error) {
	projects, err := listUserProjects(ctx, s.db.R(), caller.UserID)
	if err != nil {
		return nil, err
	}
	var out []*Project
	for _, pr := range projects {
		if pr.Enabled {
			out = append(out, pr)
		}
	}
	return out, nil
}

// AuthDomains are the enabled domains on which the caller has a role.
func (s *Service) AuthDomains(ctx context.Context, caller *policy.Principal) ([]*Domain, error) {
	domains, err := listUserDomains(ctx, s.db.R(), caller.UserID)
	if err != nil {
		return nil, err
	}
	var out []*Domain
	for _, d := range domains {
		if d.Enabled {
			out = append(out, d)
		}
	}
	return out, nil
}

// AuthSystem says whether the caller (or a group of it) has a role on the
// whole system.
func (s *Service) AuthSystem(ctx context.Context, caller *policy.Principal) (bool, error) {
	as, err := actorAssignments(ctx, s.db.R(), caller.UserID, [2]string{targetSystem, systemAll})
	if err != nil {
		return false, err
	}
	return len(as) > 0, nil
}

// TenantsV2 are v2.0's tenants of the caller: its enabled projects in the
// Default domain.
func (s *Service) TenantsV2(ctx context.Context, caller *policy.Principal) ([]*Project, error) {
	projects, err := listUserProjects(ctx, s.db.R(), caller.UserID)
	if err != nil {
		return nil, err
	}
	var out []*Project
	for _, pr := range projects {
		if pr.Enabled && pr.DomainID == DefaultDomainID {
			out = append(out, pr)
		}
	}
	return out, nil
}
