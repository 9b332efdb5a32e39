package image

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

func memberNotFound(member, image string) error {
	return fault.NotFoundf("%s is not a member of image %s", member, image)
}

// onlyShared is why Glance refuses member calls on an image that is not
// (or no longer) shared: every member call checks the visibility first.
const onlyShared = "Only shared images have members."

// AddMember shares an image with a project (owner only, shared images only).
func (s *Service) AddMember(ctx context.Context, p *policy.Principal, imageID, member string) (*Member, error) {
	if member == "" || len(member) > 255 {
		return nil, schemaErr("member", "'"+clip(member, 64)+"' is not a valid member id")
	}
	var m *Member
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		im, err := s.visible(ctx, tx, p, imageID)
		if err != nil {
			return err
		}
		if im.Visibility != VisibilityShared {
			return fault.Forbiddenf("Not allowed to create members for image %s.", imageID)
		}
		if !canModify(p, im) {
			return notAuthorized("add_member")
		}
		now := time.Now().UTC()
		m = &Member{ImageID: imageID, Member: member, Status: MemberPending, CreatedAt: now, UpdatedAt: now}
		return insertMember(ctx, tx, m)
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, fault.Conflictf("Member %s is duplicated for image %s", member, imageID)
	}
	return m, err
}

// ListMembers: the owner sees every member, a member only itself, anyone
// else gets 404 (K5 1.8.6.14).
func (s *Service) ListMembers(ctx context.Context, p *policy.Principal, imageID string) ([]*Member, error) {
	q := s.r
	im, err := s.visible(ctx, q, p, imageID)
	if err != nil {
		return nil, err
	}
	if im.Visibility != VisibilityShared {
		return nil, fault.Forbiddenf("Not allowed to list members for image %s: %s", imageID, onlyShared)
	}
	if p.IsAdmin() || im.Owner == p.ProjectID {
		return listMembers(ctx, q, imageID)
	}
	m, err := getMember(ctx, q, imageID, p.ProjectID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(imageID)
	}
	if err != nil {
		return nil, err
	}
	return []*Member{m}, nil
}

// GetMember shows one member to the owner or to that member.
func (s *Service) GetMember(ctx context.Context, p *policy.Principal, imageID, member string) (*Member, error) {
	q := s.r
	im, err := s.visible(ctx, q, p, imageID)
	if err != nil {
		return nil, err
	}
	if im.Visibility != VisibilityShared {
		return nil, fault.NotFoundf("%s", onlyShared) // Glance hides it as 404
	}
	if !p.IsAdmin() && im.Owner != p.ProjectID && member != p.ProjectID {
		return nil, memberNotFound(member, imageID)
	}
	m, err := getMember(ctx, q, imageID, member)
	if errors.Is(err, store.ErrNotFound) {
		return nil, memberNotFound(member, imageID)
	}
	return m, err
}

// UpdateMember sets a member's status; only the member itself (or admin)
// may, as in Glance.
func (s *Service) UpdateMember(ctx context.Context, p *policy.Principal, imageID, member, status string) (*Member, error) {
	switch status {
	case MemberPending, MemberAccepted, MemberRejected:
	default:
		return nil, schemaErr("member", "'"+clip(status, 64)+"' is not one of ['pending', 'accepted', 'rejected']")
	}
	var m *Member
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		im, err := s.visible(ctx, tx, p, imageID)
		if err != nil {
			return err
		}
		if im.Visibility != VisibilityShared {
			return fault.Forbiddenf("Not allowed to update members for image %s.", imageID)
		}
		if m, err = getMember(ctx, tx, imageID, member); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return memberNotFound(member, imageID)
			}
			return err
		}
		if !p.IsAdmin() && member != p.ProjectID {
			if im.Owner == p.ProjectID {
				return fault.Forbiddenf("You are not permitted to modify 'status' on this image member.")
			}
			return memberNotFound(member, imageID)
		}
		m.Status, m.UpdatedAt = status, time.Now().UTC()
		return updateMember(ctx, tx, m)
	})
	return m, err
}

// DeleteMember stops sharing with member (owner only).
func (s *Service) DeleteMember(ctx context.Context, p *policy.Principal, imageID, member string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		im, err := s.visible(ctx, tx, p, imageID)
		if err != nil {
			return err
		}
		if im.Visibility != VisibilityShared {
			return fault.Forbiddenf("Not allowed to delete members for image %s.", imageID)
		}
		if !canModify(p, im) {
			return notAuthorized("delete_member")
		}
		if err := deleteMember(ctx, tx, imageID, member); errors.Is(err, store.ErrNotFound) {
			return memberNotFound(member, imageID)
		} else {
			return err
		}
	})
}
