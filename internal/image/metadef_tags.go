package image

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// TagListOptions are GET .../tags's parameters.
type TagListOptions struct {
	Limit   int    // 0: all
	Marker  string // a tag name
	SortKey string // created_at (default), name, updated_at, id
	SortDir string // asc, desc (default)
}

var tagSortKeys = []string{"created_at", "updated_at", "name", "id"}

// MetadefTags lists a namespace's tags.
func (s *Service) MetadefTags(ctx context.Context, p *policy.Principal, ns string, o TagListOptions) (out []*MetadefTag, err error) {
	if o.SortKey == "" {
		o.SortKey = "created_at"
	}
	if !slices.Contains(tagSortKeys, o.SortKey) {
		return nil, fault.Invalidf("Invalid sort key: %s", o.SortKey)
	}
	err = s.inNamespace(ctx, p, ns, false, func(tx *sql.Tx, n *Namespace) error {
		if out, err = listTags(ctx, tx, n.ID); err != nil {
			return err
		}
		if o.Marker != "" {
			if _, err := tagIn(ctx, tx, n.ID, o.Marker); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b *MetadefTag) int {
		var c int
		switch o.SortKey {
		case "name":
			c = strings.Compare(a.Name, b.Name)
		case "id":
			c = strings.Compare(a.ID, b.ID)
		case "updated_at":
			c = cmp.Compare(timeOr0(a.UpdatedAt), timeOr0(b.UpdatedAt))
		}
		c = cmp.Or(c, a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
		if o.SortDir != "asc" {
			c = -c
		}
		return c
	})
	if o.Marker != "" {
		i := slices.IndexFunc(out, func(t *MetadefTag) bool { return t.Name == o.Marker })
		out = out[i+1:]
	}
	if o.Limit > 0 && len(out) > o.Limit {
		out = out[:o.Limit]
	}
	return out, nil
}

func timeOr0(t *time.Time) int64 {
	if t == nil {
		return 0
	}
	return t.UnixMicro()
}

func tagIn(ctx context.Context, tx *sql.Tx, nsID, name string) (*MetadefTag, error) {
	t, err := getTag(ctx, tx, nsID, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fault.NotFoundf("Could not find metadata tag %s", name)
	}
	return t, err
}

// MetadefTag returns one tag.
func (s *Service) MetadefTag(ctx context.Context, p *policy.Principal, ns, name string) (t *MetadefTag, err error) {
	err = s.inNamespace(ctx, p, ns, false, func(tx *sql.Tx, n *Namespace) error {
		t, err = tagIn(ctx, tx, n.ID, name)
		return err
	})
	return t, err
}

// insertTags adds tags to ns, refusing a name taken without regard to
// case (by another tag of the list or in the namespace).
func insertTags(ctx context.Context, tx *sql.Tx, ns *Namespace, names []string, now time.Time) error {
	for _, name := range names {
		taken, err := tagTaken(ctx, tx, ns.ID, name, "")
		if err != nil {
			return err
		}
		if taken {
			return tagDuplicate(name, ns.Name)
		}
		if err := insertTag(ctx, tx, ns.ID, &MetadefTag{ID: newID(), Name: name, CreatedAt: now}); err != nil {
			return err
		}
	}
	return nil
}

// CreateMetadefTag adds one tag.
func (s *Service) CreateMetadefTag(ctx context.Context, p *policy.Principal, ns, name string) (*MetadefTag, error) {
	t := &MetadefTag{Name: name}
	err := s.inNamespace(ctx, p, ns, false, func(tx *sql.Tx, n *Namespace) error {
		if err := mayWrite(p, "add_metadef_tag"); err != nil {
			return err
		}
		now := time.Now().UTC()
		t.CreatedAt, t.UpdatedAt = now, &now
		return insertTags(ctx, tx, n, []string{name}, now)
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, tagDuplicate(name, ns)
	}
	return t, err
}

// CreateMetadefTags adds tags in bulk: they replace the namespace's tags unless
// appending (X-Openstack-Append: true). An empty list changes nothing.
func (s *Service) CreateMetadefTags(ctx context.Context, p *policy.Principal, ns string, names []string, appending bool) error {
	err := s.inNamespace(ctx, p, ns, false, func(tx *sql.Tx, n *Namespace) error {
		if err := mayWrite(p, "add_metadef_tags"); err != nil {
			return err
		}
		if len(names) == 0 {
			return nil
		}
		if !appending {
			if err := deleteContents(ctx, tx, "metadef_tags", n.ID); err != nil {
				return err
			}
		}
		return insertTags(ctx, tx, n, names, time.Now().UTC())
	})
	if errors.Is(err, store.ErrConflict) {
		return fault.Conflictf("A metadata tag with name=%s already exists in namespace=%s. "+
			"(Please note that metadata tag names are case insensitive).", strings.Join(names, ","), ns)
	}
	return err
}

// UpdateMetadefTag renames a tag.
func (s *Service) UpdateMetadefTag(ctx context.Context, p *policy.Principal, ns, name, newName string) (t *MetadefTag, err error) {
	err = s.inNamespace(ctx, p, ns, false, func(tx *sql.Tx, n *Namespace) error {
		if err := mayWrite(p, "modify_metadef_tag"); err != nil {
			return err
		}
		if t, err = tagIn(ctx, tx, n.ID, name); err != nil {
			return err
		}
		taken, err := tagTaken(ctx, tx, n.ID, newName, t.ID)
		if err != nil {
			return err
		}
		if taken {
			return tagDuplicate(newName, n.Name)
		}
		now := time.Now().UTC()
		t.Name, t.UpdatedAt = newName, &now
		return updateTag(ctx, tx, t)
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, tagDuplicate(newName, ns)
	}
	return t, err
}

// DeleteMetadefTag removes a tag (not from a protected namespace).
func (s *Service) DeleteMetadefTag(ctx context.Context, p *policy.Principal, ns, name string) error {
	return s.inNamespace(ctx, p, ns, false, func(tx *sql.Tx, n *Namespace) error {
		if err := mayWrite(p, "delete_metadef_tag"); err != nil {
			return err
		}
		t, err := tagIn(ctx, tx, n.ID, name)
		if err != nil {
			return err
		}
		if n.Protected {
			return fault.Forbiddenf("Metadata definition tag %s is protected and cannot be deleted.", t.Name)
		}
		return deleteRow(ctx, tx, "metadef_tags", t.ID)
	})
}

// DeleteMetadefTags removes all of a namespace's tags (Glance checks the
// namespace's delete policy, then the tags'; a protected namespace refuses).
func (s *Service) DeleteMetadefTags(ctx context.Context, p *policy.Principal, ns string) error {
	return s.DeleteNamespaceContents(ctx, p, ns, ContentTags)
}
