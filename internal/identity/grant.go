package identity

import (
	"context"
	"database/sql"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Grants as a Go API (grant_http.go reads them from the path): a role for
// a user or a group on a project, a domain or the system, inherited or
// not. An Assignment with no RoleID names every role of the actor there.

// grantRefs checks that the grant's target, actor and role exist, in
// that order, and that a domain-specific role may be granted there.
func (s *Service) grantRefs(ctx context.Context, q store.Querier, a Assignment) error {
	var project *Project
	switch a.TargetType {
	case targetProject:
		p, err := s.project(ctx, q, a.TargetID)
		if err != nil {
			return err
		}
		project = p
	case targetDomain:
		if _, err := s.domain(ctx, q, a.TargetID); err != nil {
			return err
		}
	}
	if a.ActorType == actorUser {
		if _, err := s.user(ctx, q, a.ActorID); err != nil {
			return err
		}
	} else if _, err := s.group(ctx, q, a.ActorID); err != nil {
		return err
	}
	if a.RoleID == "" {
		return nil
	}
	role, err := s.role(ctx, q, a.RoleID)
	if err != nil {
		return err
	}
	if role.DomainID != "" {
		if project != nil && project.DomainID != role.DomainID {
			return fault.Forbiddenf("Project %s must be in the same domain as the role %s being assigned.", project.ID, role.ID)
		}
		if a.TargetType == targetSystem {
			return fault.Invalidf("Role %s is a domain-specific role. Unable to use a domain-specific role in a system assignment.", role.ID)
		}
	}
	return nil
}

func grantNotFound(a Assignment) *fault.Error {
	target := a.TargetID
	if a.TargetType == targetSystem {
		target = targetSystem
	}
	return fault.NotFoundf("Could not find role assignment with role: %s, user or group: %s, project, domain, or system: %s.",
		a.RoleID, a.ActorID, target)
}

// PutGrant grants a role (again is no error).
func (s *Service) PutGrant(ctx context.Context, a Assignment) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.grantRefs(ctx, tx, a); err != nil {
			return err
		}
		return insertAssignment(ctx, tx, a)
	})
	if err != nil {
		return err
	}
	s.cache.clear()
	return nil
}

// CheckGrant is nil when the role is granted directly.
func (s *Service) CheckGrant(ctx context.Context, a Assignment) error {
	if err := s.grantRefs(ctx, s.db.R(), a); err != nil {
		return err
	}
	ok, err := hasAssignment(ctx, s.db.R(), a)
	if err != nil {
		return err
	}
	if !ok {
		return grantNotFound(a)
	}
	return nil
}

// DeleteGrant revokes a role; a missing grant is a 404.
func (s *Service) DeleteGrant(ctx context.Context, a Assignment) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.grantRefs(ctx, tx, a); err != nil {
			return err
		}
		ok, err := deleteAssignment(ctx, tx, a)
		if err == nil && !ok {
			err = grantNotFound(a)
		}
		return err
	})
	if err != nil {
		return err
	}
	s.cache.clear()
	return nil
}

// GrantedRoles are the roles granted directly (not through groups or
// inheritance) to the actor on the target of a (its RoleID unused).
func (s *Service) GrantedRoles(ctx context.Context, a Assignment) ([]*Role, error) {
	a.RoleID = ""
	if err := s.grantRefs(ctx, s.db.R(), a); err != nil {
		return nil, err
	}
	var f filter
	f.eq("actor_type", a.ActorType)
	f.eq("actor_id", a.ActorID)
	f.eq("target_type", a.TargetType)
	f.eq("target_id", a.TargetID)
	f.eq("inherited", a.Inherited)
	as, err := listAssignments(ctx, s.db.R(), f)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(as))
	for _, x := range as {
		ids = append(ids, x.RoleID)
	}
	return rolesByID(ctx, s.db.R(), ids)
}
