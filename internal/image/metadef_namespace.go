package image

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// NamespaceListOptions are GET /v2/metadefs/namespaces's parameters.
type NamespaceListOptions struct {
	Limit         int    // at most this many (Glance: default 25, at most 1000)
	Marker        string // a namespace name
	SortKey       string // default created_at
	SortDir       string // asc, desc (default)
	Visibility    string // "", public, private
	ResourceTypes []string
}

// NamespaceDetail is a namespace with its contents, as GET shows it.
type NamespaceDetail struct {
	Namespace
	RTs        []*RTAssociation
	Objects    []*MetadefObject
	Properties []*MetadefProperty
	Tags       []*MetadefTag
}

// nsSortKeys are the namespace columns a list may sort by.
var nsSortKeys = []string{"namespace", "display_name", "description", "visibility", "protected", "owner", "created_at", "updated_at", "id"}

// ListNamespaces returns a page of the namespaces p may see, each with
// its resource type associations, and whether more follow.
func (s *Service) ListNamespaces(ctx context.Context, p *policy.Principal, o NamespaceListOptions) ([]*NamespaceDetail, bool, error) {
	if o.SortKey == "" {
		o.SortKey = "created_at"
	}
	if !slices.Contains(nsSortKeys, o.SortKey) {
		return nil, false, fault.Invalidf("Invalid sort key: %s", o.SortKey)
	}
	all, err := listNamespaces(ctx, s.r, p.ProjectID, p.IsAdmin(), o.Visibility, o.ResourceTypes)
	if err != nil {
		return nil, false, err
	}
	slices.SortStableFunc(all, func(a, b *Namespace) int {
		c := cmp.Or(compareNS(a, b, o.SortKey), a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
		if o.SortDir != "asc" {
			c = -c
		}
		return c
	})
	if o.Marker != "" {
		// A marker p may not see is missing, as every other read of it.
		i := slices.IndexFunc(all, func(ns *Namespace) bool { return ns.Name == o.Marker })
		if i < 0 {
			return nil, false, nsMissing(o.Marker)
		}
		all = all[i+1:]
	}
	if len(all) > o.Limit {
		all = all[:o.Limit]
	}
	out := make([]*NamespaceDetail, len(all))
	for i, ns := range all {
		rts, err := listAssociations(ctx, s.r, ns.ID)
		if err != nil {
			return nil, false, err
		}
		out[i] = &NamespaceDetail{Namespace: *ns, RTs: rts}
	}
	// Glance offers a next page whenever the page is full.
	return out, len(out) > 0 && len(out) == o.Limit, nil
}

func compareNS(a, b *Namespace, key string) int {
	str := func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	switch key {
	case "namespace":
		return strings.Compare(a.Name, b.Name)
	case "display_name":
		return strings.Compare(str(a.DisplayName), str(b.DisplayName))
	case "description":
		return strings.Compare(str(a.Description), str(b.Description))
	case "visibility":
		return strings.Compare(a.Visibility, b.Visibility)
	case "protected":
		return cmp.Compare(boolInt(a.Protected), boolInt(b.Protected))
	case "owner":
		return strings.Compare(a.Owner, b.Owner)
	case "updated_at":
		t := func(x *time.Time) int64 {
			if x == nil {
				return 0
			}
			return x.UnixMicro()
		}
		return cmp.Compare(t(a.UpdatedAt), t(b.UpdatedAt))
	case "id":
		return strings.Compare(a.ID, b.ID)
	}
	return a.CreatedAt.Compare(b.CreatedAt)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// lookupNamespace loads a namespace p may see. Glance words a missing
// namespace and one p may not see differently depending on the call, so
// the caller gives both refusals.
func lookupNamespace(ctx context.Context, q store.Querier, p *policy.Principal, name string, missing, hidden error) (*Namespace, error) {
	ns, err := getNamespace(ctx, q, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, missing
	}
	if err != nil {
		return nil, err
	}
	if !nsVisible(p, ns) {
		return nil, hidden
	}
	return ns, nil
}

// Namespace returns a namespace and its contents as p sees it. With a
// resource type, property names take that association's prefix.
func (s *Service) Namespace(ctx context.Context, p *policy.Principal, name, resourceType string) (*NamespaceDetail, error) {
	ns, err := lookupNamespace(ctx, s.r, p, name, nsMissing(name), fault.NotFoundf("The resource could not be found."))
	if err != nil {
		return nil, err
	}
	d := &NamespaceDetail{Namespace: *ns}
	if d.Objects, err = listObjects(ctx, s.r, ns.ID); err != nil {
		return nil, err
	}
	if d.RTs, err = listAssociations(ctx, s.r, ns.ID); err != nil {
		return nil, err
	}
	if d.Properties, err = listProperties(ctx, s.r, ns.ID); err != nil {
		return nil, err
	}
	if d.Tags, err = listTags(ctx, s.r, ns.ID); err != nil {
		return nil, err
	}
	if resourceType != "" {
		prefixNames(d, resourceType)
	}
	return d, nil
}

// prefixNames is Glance's _prefix_property_name: the association's prefix
// before every property name, also inside objects and their required lists.
func prefixNames(d *NamespaceDetail, resourceType string) {
	prefix := ""
	for _, a := range d.RTs {
		if a.Name == resourceType && a.Prefix != nil {
			prefix = *a.Prefix
			break
		}
	}
	if prefix == "" {
		return
	}
	for _, pr := range d.Properties {
		pr.Name = prefix + pr.Name
	}
	for _, o := range d.Objects {
		props := make(map[string]json.RawMessage, len(o.Properties))
		for k, v := range o.Properties {
			props[prefix+k] = v
		}
		o.Properties = props
		for i, r := range o.Required {
			o.Required[i] = prefix + r
		}
	}
}

// CreateNamespace creates a namespace with its contents, all or nothing.
func (s *Service) CreateNamespace(ctx context.Context, p *policy.Principal, f NamespaceFields) (*Namespace, error) {
	if err := mayWrite(p, "add_metadef_namespace"); err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	ns := &Namespace{ID: newID(), Name: f.Name, DisplayName: f.DisplayName, Description: f.Description,
		Visibility: nsPrivate, Protected: f.Protected != nil && *f.Protected, Owner: p.ProjectID, CreatedAt: now, UpdatedAt: &now}
	if f.Visibility != nil {
		ns.Visibility = *f.Visibility
	}
	if f.Owner != nil {
		ns.Owner = *f.Owner
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := getNamespace(ctx, tx, ns.Name); err == nil {
			return fault.Conflictf("The metadata definition namespace=%s already exists.", ns.Name)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := insertNamespace(ctx, tx, ns); err != nil {
			return err
		}
		return addContents(ctx, tx, ns, f, now)
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, fault.Conflictf("The metadata definition namespace=%s already exists.", ns.Name)
	}
	if err != nil {
		return nil, err
	}
	return ns, nil
}

// addContents creates the associations, objects, tags and properties of
// a new namespace, refusing duplicates as Glance does.
func addContents(ctx context.Context, tx *sql.Tx, ns *Namespace, f NamespaceFields, now time.Time) error {
	for i := range f.RTs {
		a := f.RTs[i]
		a.CreatedAt = now
		if err := associate(ctx, tx, ns, &a); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for i := range f.Objects {
		o := f.Objects[i]
		if seen[o.Name] {
			return objDuplicate(o.Name, ns.Name)
		}
		seen[o.Name] = true
		o.ID, o.CreatedAt = newID(), now
		if err := insertObject(ctx, tx, ns.ID, &o); err != nil {
			return err
		}
	}
	if err := insertTags(ctx, tx, ns, f.Tags, now); err != nil {
		return err
	}
	for i := range f.Properties {
		pr := f.Properties[i]
		pr.ID = newID()
		if err := insertProperty(ctx, tx, ns.ID, &pr, now.UnixMicro()); err != nil {
			return err
		}
	}
	return nil
}

// UpdateNamespace replaces a namespace's attributes, as Glance's PUT:
// what the body leaves out takes its default (no display name or
// description, private, unprotected, owned by p's project).
func (s *Service) UpdateNamespace(ctx context.Context, p *policy.Principal, name string, f NamespaceFields) (*Namespace, error) {
	var ns *Namespace
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if ns, err = lookupNamespace(ctx, tx, p, name, nsNotFound(name), nsNotFound(name)); err != nil {
			return err
		}
		if err := mayWrite(p, "modify_metadef_namespace"); err != nil {
			return err
		}
		if f.Name != ns.Name {
			if _, err := getNamespace(ctx, tx, f.Name); err == nil {
				return nsRenameConflict(f.Name)
			}
		}
		ns.Name, ns.DisplayName, ns.Description = f.Name, f.DisplayName, f.Description
		ns.Visibility, ns.Protected, ns.Owner = nsPrivate, f.Protected != nil && *f.Protected, p.ProjectID
		if f.Visibility != nil {
			ns.Visibility = *f.Visibility
		}
		if f.Owner != nil && *f.Owner != "" {
			ns.Owner = *f.Owner
		}
		if err := updateNamespace(ctx, tx, ns); err != nil {
			return err
		}
		now := time.Now().UTC()
		ns.UpdatedAt = &now
		return nil
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, nsRenameConflict(f.Name)
	}
	return ns, err
}

func nsRenameConflict(name string) error {
	return fault.Conflictf("Invalid update. It would result in a duplicate metadata definition namespace with the same name of %s", name)
}

// DeleteNamespace deletes an unprotected namespace and its contents.
func (s *Service) DeleteNamespace(ctx context.Context, p *policy.Principal, name string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		ns, err := lookupNamespace(ctx, tx, p, name, nsNotFound(name), nsNotFound(name))
		if err != nil {
			return err
		}
		if err := mayWrite(p, "delete_metadef_namespace"); err != nil {
			return err
		}
		if ns.Protected {
			return nsProtected(ns.Name)
		}
		return deleteNamespaceRow(ctx, tx, ns.ID)
	})
}

// Contents of a namespace that DELETE /v2/metadefs/namespaces/{ns}/<kind>
// removes at once.
const (
	ContentObjects    = "objects"
	ContentProperties = "properties"
	ContentTags       = "tags"
)

var contentTables = map[string]string{
	ContentObjects: "metadef_objects", ContentProperties: "metadef_properties", ContentTags: "metadef_tags",
}

// DeleteNamespaceContents deletes all of one kind of a namespace's
// contents. Glance checks the namespace's delete policy (and for tags the
// tags' too) and refuses a protected namespace.
func (s *Service) DeleteNamespaceContents(ctx context.Context, p *policy.Principal, name, kind string) error {
	table, ok := contentTables[kind]
	if !ok {
		return fault.NotFoundf("The resource could not be found.")
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		ns, err := lookupNamespace(ctx, tx, p, name, nsNotFound(name), nsNotFound(name))
		if err != nil {
			return err
		}
		if err := mayWrite(p, "delete_metadef_namespace"); err != nil {
			return err
		}
		if ns.Protected {
			return nsProtected(ns.Name)
		}
		return deleteContents(ctx, tx, table, ns.ID)
	})
}
