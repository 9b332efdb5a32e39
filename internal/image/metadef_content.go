package image

import (
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

// A namespace's objects, properties, tags and resource-type associations.
// Each call finds the namespace as p sees it first (404 otherwise), then
// applies the admin-only write rule (403 naming the policy action), then
// acts, as Glance's controllers do.

func objDuplicate(name, ns string) error {
	return fault.Conflictf("A metadata definition object with name=%s already exists in namespace=%s.", name, ns)
}

func tagDuplicate(name, ns string) error {
	return fault.Conflictf("A metadata tag with name=%s already exists in namespace=%s. "+
		"(Please note that metadata tag names are case insensitive).", name, ns)
}

// inNamespace runs f on namespace name as p sees it, in one transaction.
// Glance's object calls say a missing namespace was not found in the
// catalog's words; the other calls use the repository's.
func (s *Service) inNamespace(ctx context.Context, p *policy.Principal, name string, objects bool, f func(tx *sql.Tx, ns *Namespace) error) error {
	missing := nsNotFound(name)
	if objects {
		missing = nsMissing(name)
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		ns, err := lookupNamespace(ctx, tx, p, name, missing, nsNotFound(name))
		if err != nil {
			return err
		}
		return f(tx, ns)
	})
}

// --- objects ---

// Objects lists a namespace's objects.
func (s *Service) Objects(ctx context.Context, p *policy.Principal, ns string) (out []*MetadefObject, err error) {
	err = s.inNamespace(ctx, p, ns, true, func(tx *sql.Tx, n *Namespace) error {
		out, err = listObjects(ctx, tx, n.ID)
		return err
	})
	return out, err
}

func objectIn(ctx context.Context, tx *sql.Tx, nsID, name string) (*MetadefObject, error) {
	o, err := getObject(ctx, tx, nsID, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fault.NotFoundf("Could not find metadata object %s", name)
	}
	return o, err
}

// Object returns one object.
func (s *Service) Object(ctx context.Context, p *policy.Principal, ns, name string) (o *MetadefObject, err error) {
	err = s.inNamespace(ctx, p, ns, true, func(tx *sql.Tx, n *Namespace) error {
		o, err = objectIn(ctx, tx, n.ID, name)
		return err
	})
	return o, err
}

// CreateObject adds an object to a namespace.
func (s *Service) CreateObject(ctx context.Context, p *policy.Principal, ns string, o MetadefObject) (*MetadefObject, error) {
	err := s.inNamespace(ctx, p, ns, true, func(tx *sql.Tx, n *Namespace) error {
		if err := mayWrite(p, "add_metadef_object"); err != nil {
			return err
		}
		if _, err := getObject(ctx, tx, n.ID, o.Name); err == nil {
			return objDuplicate(o.Name, n.Name)
		}
		o.ID, o.CreatedAt = newID(), time.Now().UTC()
		o.UpdatedAt = &o.CreatedAt
		return insertObject(ctx, tx, n.ID, &o)
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, objDuplicate(o.Name, ns)
	}
	return &o, err
}

// UpdateObject replaces an object (name, description, required, properties).
func (s *Service) UpdateObject(ctx context.Context, p *policy.Principal, ns, name string, with MetadefObject) (o *MetadefObject, err error) {
	dup := func(n string) error {
		return fault.Conflictf("Invalid update. It would result in a duplicate metadata definition object with the same name=%s in namespace=%s.", with.Name, n)
	}
	err = s.inNamespace(ctx, p, ns, true, func(tx *sql.Tx, n *Namespace) error {
		if err := mayWrite(p, "modify_metadef_object"); err != nil {
			return err
		}
		if o, err = objectIn(ctx, tx, n.ID, name); err != nil {
			return err
		}
		if with.Name != o.Name {
			if _, err := getObject(ctx, tx, n.ID, with.Name); err == nil {
				return dup(n.Name)
			}
		}
		now := time.Now().UTC()
		o.Name, o.Description, o.Required, o.Properties, o.UpdatedAt = with.Name, with.Description, with.Required, with.Properties, &now
		return updateObject(ctx, tx, o)
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, dup(ns)
	}
	return o, err
}

// DeleteObject removes an object (not from a protected namespace).
func (s *Service) DeleteObject(ctx context.Context, p *policy.Principal, ns, name string) error {
	return s.inNamespace(ctx, p, ns, true, func(tx *sql.Tx, n *Namespace) error {
		if err := mayWrite(p, "delete_metadef_object"); err != nil {
			return err
		}
		o, err := objectIn(ctx, tx, n.ID, name)
		if err != nil {
			return err
		}
		if n.Protected {
			return fault.Forbiddenf("Metadata definition object %s is protected and cannot be deleted.", o.Name)
		}
		return deleteRow(ctx, tx, "metadef_objects", o.ID)
	})
}

// --- properties ---

// Properties lists a namespace's property definitions.
func (s *Service) Properties(ctx context.Context, p *policy.Principal, ns string) (out []*MetadefProperty, err error) {
	err = s.inNamespace(ctx, p, ns, false, func(tx *sql.Tx, n *Namespace) error {
		out, err = listProperties(ctx, tx, n.ID)
		return err
	})
	return out, err
}

func propertyIn(ctx context.Context, tx *sql.Tx, nsID, name string) (*MetadefProperty, error) {
	pr, err := getProperty(ctx, tx, nsID, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fault.NotFoundf("Could not find property %s", name)
	}
	return pr, err
}

// Property returns one property definition. With a resource type, name
// must carry that association's prefix, which is taken off to find it.
func (s *Service) Property(ctx context.Context, p *policy.Principal, ns, name, resourceType string) (pr *MetadefProperty, err error) {
	err = s.inNamespace(ctx, p, ns, false, func(tx *sql.Tx, n *Namespace) error {
		if resourceType != "" {
			rts, err := listAssociations(ctx, tx, n.ID)
			if err != nil {
				return err
			}
			i := slices.IndexFunc(rts, func(a *RTAssociation) bool { return a.Name == resourceType })
			if i < 0 {
				return fault.NotFoundf("The metadata definition resource-type association of resource-type=%s to namespace=%s, was not found.", resourceType, n.Name)
			}
			prefix := ""
			if rts[i].Prefix != nil {
				prefix = *rts[i].Prefix
			}
			rest, ok := strings.CutPrefix(name, prefix)
			if prefix == "" || !ok {
				return fault.NotFoundf("Property %s does not start with the expected resource type association prefix of '%s'.", name, prefix)
			}
			name = rest
		}
		pr, err = propertyIn(ctx, tx, n.ID, name)
		return err
	})
	return pr, err
}

// CreateProperty adds a property definition to a namespace.
func (s *Service) CreateProperty(ctx context.Context, p *policy.Principal, ns string, pr MetadefProperty) (*MetadefProperty, error) {
	dup := func(n string) error {
		return fault.Conflictf("A metadata definition property with name=%s already exists in namespace=%s.", pr.Name, n)
	}
	err := s.inNamespace(ctx, p, ns, false, func(tx *sql.Tx, n *Namespace) error {
		if err := mayWrite(p, "add_metadef_property"); err != nil {
			return err
		}
		if _, err := getProperty(ctx, tx, n.ID, pr.Name); err == nil {
			return dup(n.Name)
		}
		pr.ID = newID()
		return insertProperty(ctx, tx, n.ID, &pr, store.Now())
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, dup(ns)
	}
	return &pr, err
}

// UpdateProperty replaces a property definition (its name and schema).
func (s *Service) UpdateProperty(ctx context.Context, p *policy.Principal, ns, name string, with MetadefProperty) (pr *MetadefProperty, err error) {
	dup := func(n string) error {
		return fault.Conflictf("Invalid update. It would result in a duplicate metadata definition property with the same name=%s in namespace=%s.", with.Name, n)
	}
	err = s.inNamespace(ctx, p, ns, false, func(tx *sql.Tx, n *Namespace) error {
		if err := mayWrite(p, "modify_metadef_property"); err != nil {
			return err
		}
		if pr, err = propertyIn(ctx, tx, n.ID, name); err != nil {
			return err
		}
		if with.Name != pr.Name {
			if _, err := getProperty(ctx, tx, n.ID, with.Name); err == nil {
				return dup(n.Name)
			}
		}
		pr.Name, pr.Schema = with.Name, with.Schema
		return updateProperty(ctx, tx, pr)
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, dup(ns)
	}
	return pr, err
}

// DeleteProperty removes a property definition (not from a protected namespace).
func (s *Service) DeleteProperty(ctx context.Context, p *policy.Principal, ns, name string) error {
	return s.inNamespace(ctx, p, ns, false, func(tx *sql.Tx, n *Namespace) error {
		if err := mayWrite(p, "remove_metadef_property"); err != nil {
			return err
		}
		pr, err := propertyIn(ctx, tx, n.ID, name)
		if err != nil {
			return err
		}
		if n.Protected {
			return fault.Forbiddenf("Metadata definition property %s is protected and cannot be deleted.", pr.Name)
		}
		return deleteRow(ctx, tx, "metadef_properties", pr.ID)
	})
}

// --- resource types ---

// ResourceTypes lists every known resource type.
func (s *Service) ResourceTypes(ctx context.Context, p *policy.Principal) ([]*ResourceType, error) {
	return listResourceTypes(ctx, s.r)
}

// Associations lists a namespace's resource type associations.
func (s *Service) Associations(ctx context.Context, p *policy.Principal, ns string) (out []*RTAssociation, err error) {
	err = s.inNamespace(ctx, p, ns, false, func(tx *sql.Tx, n *Namespace) error {
		out, err = listAssociations(ctx, tx, n.ID)
		return err
	})
	return out, err
}

// associate adds a to ns, creating its resource type if it is new.
func associate(ctx context.Context, tx *sql.Tx, ns *Namespace, a *RTAssociation) error {
	if err := ensureResourceType(ctx, tx, a.Name, false, a.CreatedAt.UnixMicro()); err != nil {
		return err
	}
	rts, err := listAssociations(ctx, tx, ns.ID)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(rts, func(x *RTAssociation) bool { return x.Name == a.Name }) {
		return fault.Conflictf("The metadata definition resource-type association of resource-type=%s to namespace=%s already exists.", a.Name, ns.Name)
	}
	return insertAssociation(ctx, tx, ns.ID, a)
}

// Associate associates a namespace with a resource type.
func (s *Service) Associate(ctx context.Context, p *policy.Principal, ns string, a RTAssociation) (*RTAssociation, error) {
	err := s.inNamespace(ctx, p, ns, false, func(tx *sql.Tx, n *Namespace) error {
		if err := mayWrite(p, "add_metadef_resource_type_association"); err != nil {
			return err
		}
		a.CreatedAt = time.Now().UTC()
		a.UpdatedAt = &a.CreatedAt
		return associate(ctx, tx, n, &a)
	})
	return &a, err
}

// Dissociate removes a namespace's association with a resource type.
func (s *Service) Dissociate(ctx context.Context, p *policy.Principal, ns, rt string) error {
	return s.inNamespace(ctx, p, ns, false, func(tx *sql.Tx, n *Namespace) error {
		if err := mayWrite(p, "remove_metadef_resource_type_association"); err != nil {
			return err
		}
		rts, err := listAssociations(ctx, tx, n.ID)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(rts, func(x *RTAssociation) bool { return x.Name == rt }) {
			return fault.NotFoundf("Failed to find resource type %s to delete", rt)
		}
		if n.Protected {
			return fault.Forbiddenf("Metadata definition resource-type-association %s is protected and cannot be deleted.", rt)
		}
		_, err = deleteAssociation(ctx, tx, n.ID, rt)
		return err
	})
}
