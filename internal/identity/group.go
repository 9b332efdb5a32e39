package identity

import (
	"context"
	"database/sql"
	"errors"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Groups, as keystone/api/groups.py: a named set of users in a domain;
// roles granted to a group count for each member (grant.go,
// assignment.go). group_http.go decodes and renders; group_store.go holds
// the queries.

func (s *Service) group(ctx context.Context, q store.Querier, id string) (*Group, error) {
	return groupKind.load(ctx, q, id)
}

// CreateGroup stores a new group in its domain, the caller's when g names
// none.
func (s *Service) CreateGroup(ctx context.Context, caller *policy.Principal, g *Group) error {
	if g.DomainID == "" {
		g.DomainID = principalDomain(caller)
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.domain(ctx, tx, g.DomainID); err != nil {
			return err
		}
		return insertGroup(ctx, tx, g, s.nowMicro())
	})
	if errors.Is(err, store.ErrConflict) {
		return conflict("group", g.Name, g.DomainID)
	}
	return err
}

// deleteGroupRows removes a group's members and role assignments.
func deleteGroupRows(ctx context.Context, tx *sql.Tx, id string) error {
	return execAll(ctx, tx, id, "DELETE FROM identity_group_members WHERE group_id = $1",
		"DELETE FROM identity_role_assignments WHERE actor_type = 'group' AND actor_id = $1")
}

// membership checks that the group and then the user exist.
func (s *Service) membership(ctx context.Context, q store.Querier, groupID, userID string) error {
	if _, err := s.group(ctx, q, groupID); err != nil {
		return err
	}
	_, err := s.user(ctx, q, userID)
	return err
}

func memberNotFound(g, u string) *fault.Error {
	return fault.NotFoundf("User '%s' not found in group '%s'", u, g)
}

// AddGroupUser makes a user a member of a group (again is no error).
func (s *Service) AddGroupUser(ctx context.Context, groupID, userID string) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.membership(ctx, tx, groupID, userID); err != nil {
			return err
		}
		return insertMember(ctx, tx, groupID, userID)
	})
	if err != nil {
		return err
	}
	s.cache.clear()
	return nil
}

// CheckGroupUser is nil when the user is a member of the group.
func (s *Service) CheckGroupUser(ctx context.Context, groupID, userID string) error {
	if err := s.membership(ctx, s.db.R(), groupID, userID); err != nil {
		return err
	}
	ok, err := hasMember(ctx, s.db.R(), groupID, userID)
	if err != nil {
		return err
	}
	if !ok {
		return memberNotFound(groupID, userID)
	}
	return nil
}

// RemoveGroupUser removes a member; a user not in the group is a 404.
func (s *Service) RemoveGroupUser(ctx context.Context, groupID, userID string) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.membership(ctx, tx, groupID, userID); err != nil {
			return err
		}
		ok, err := deleteMember(ctx, tx, groupID, userID)
		if err == nil && !ok {
			err = memberNotFound(groupID, userID)
		}
		return err
	})
	if err != nil {
		return err
	}
	s.cache.clear()
	return nil
}

// UserGroups are the groups user userID is a member of.
func (s *Service) UserGroups(ctx context.Context, userID string) ([]*Group, error) {
	if _, err := s.user(ctx, s.db.R(), userID); err != nil {
		return nil, err
	}
	return listGroups(ctx, s.db.R(), groupsFilter(userID))
}
