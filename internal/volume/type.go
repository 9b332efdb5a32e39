package volume

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

func typeNotFound(id string) error {
	return fault.NotFoundf("Volume type %s could not be found.", id)
}

// visibleType: public types, and private ones the project was given (admin sees all).
func (s *Service) visibleType(ctx context.Context, q store.Querier, p *policy.Principal, t *VolumeType) (bool, error) {
	if t.IsPublic || p.IsAdmin() {
		return true, nil
	}
	return hasTypeAccess(ctx, q, t.ID, p.ProjectID)
}

// VolumeTypes lists the public types and the private ones p's project was
// given. An admin's isPublic (Cinder's is_public filter) picks public
// ("" or true), private (false) or all ("None") types.
func (s *Service) VolumeTypes(ctx context.Context, p *policy.Principal, isPublic string) ([]*VolumeType, error) {
	want := "true"
	if p.IsAdmin() && isPublic != "" {
		if strings.EqualFold(isPublic, "none") {
			want = "all"
		} else if b, ok := parseBool(isPublic); ok {
			want = map[bool]string{true: "true", false: "false"}[b]
		} else {
			return nil, fault.Invalidf("Invalid is_public filter [%s]", isPublic)
		}
	}
	all, err := listTypes(ctx, s.r)
	if err != nil {
		return nil, err
	}
	var out []*VolumeType
	for _, t := range all {
		switch want {
		case "false":
			if t.IsPublic {
				continue
			}
		case "true":
			if !t.IsPublic {
				ok, err := hasTypeAccess(ctx, s.r, t.ID, p.ProjectID)
				if err != nil {
					return nil, err
				}
				if !ok {
					continue
				}
			}
		}
		out = append(out, t)
	}
	return out, nil
}

// VolumeType returns a type by id ("default" is the default type).
func (s *Service) VolumeType(ctx context.Context, p *policy.Principal, id string) (*VolumeType, error) {
	var t *VolumeType
	var err error
	if id == "default" {
		t, err = getTypeByName(ctx, s.r, DefaultTypeName)
		if errors.Is(err, store.ErrNotFound) {
			return nil, fault.NotFoundf("Default volume type can not be found.")
		}
	} else {
		t, err = getType(ctx, s.r, id)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, typeNotFound(id)
	}
	if err != nil {
		return nil, err
	}
	if ok, err := s.visibleType(ctx, s.r, p, t); err != nil || !ok {
		return nil, errors.Join(err, typeNotFound(id))
	}
	return t, nil
}

// typeByNameOrID resolves a create request's volume_type (Cinder's
// get_by_name_or_id): 404 when unknown or private to another project.
func (s *Service) typeByNameOrID(ctx context.Context, q store.Querier, p *policy.Principal, ref string) (*VolumeType, error) {
	t, err := getType(ctx, q, ref)
	if errors.Is(err, store.ErrNotFound) {
		t, err = getTypeByName(ctx, q, ref)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, typeNotFound(ref)
	}
	if err != nil {
		return nil, err
	}
	ok, err := s.visibleType(ctx, q, p, t)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, typeNotFound(ref)
	}
	return t, nil
}

// TypeFields are what an admin sets on a type.
type TypeFields struct {
	Name        *string
	Description *string
	IsPublic    *bool
	ExtraSpecs  map[string]string
}

var specKeyRe = regexp.MustCompile(`^[a-zA-Z0-9-_:. /]{1,255}$`)

func checkSpecs(path string, specs map[string]string) error {
	for k, v := range specs {
		if !specKeyRe.MatchString(k) {
			return validation(path, k, "Additional properties are not allowed ('"+k+"' was unexpected)")
		}
		if len(v) > 255 {
			return validation(path+"/"+k, v, "'"+v+"' is too long")
		}
	}
	return nil
}

// CreateType creates a volume type (admin).
func (s *Service) CreateType(ctx context.Context, p *policy.Principal, f TypeFields) (*VolumeType, error) {
	if f.Name == nil || strings.TrimSpace(*f.Name) == "" || len(*f.Name) > 255 {
		return nil, validation("volume_type/name", f.Name, "The 'name' can not be empty.")
	}
	if err := checkSpecs("volume_type/extra_specs", f.ExtraSpecs); err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	t := &VolumeType{ID: newID(), Name: strings.TrimSpace(*f.Name), Description: f.Description, IsPublic: true,
		ExtraSpecs: f.ExtraSpecs, CreatedAt: now, UpdatedAt: now}
	if f.IsPublic != nil {
		t.IsPublic = *f.IsPublic
	}
	if t.ExtraSpecs == nil {
		t.ExtraSpecs = map[string]string{}
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error { return insertType(ctx, tx, t) })
	if errors.Is(err, store.ErrConflict) {
		return nil, fault.Conflictf("Volume Type %s already exists.", t.Name)
	}
	return t, err
}

// UpdateType changes a type's name, description or visibility (admin).
func (s *Service) UpdateType(ctx context.Context, p *policy.Principal, id string, f TypeFields) (*VolumeType, error) {
	if f.Name != nil && strings.TrimSpace(*f.Name) == "" {
		return nil, fault.Invalidf("Volume type name can not be empty.")
	}
	if f.Name == nil && f.Description == nil && f.IsPublic == nil {
		return nil, fault.Invalidf("Specify volume type name, description, is_public or a combination thereof.")
	}
	var t *VolumeType
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if t, err = getType(ctx, tx, id); err != nil {
			return err
		}
		if f.Name != nil {
			t.Name = strings.TrimSpace(*f.Name)
		}
		if f.Description != nil {
			t.Description = f.Description
		}
		if f.IsPublic != nil {
			t.IsPublic = *f.IsPublic
		}
		t.UpdatedAt = time.Now().UTC()
		return updateType(ctx, tx, t)
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, typeNotFound(id)
	case errors.Is(err, store.ErrConflict):
		return nil, fault.Conflictf("Volume Type %s already exists.", *f.Name)
	}
	return t, err
}

// DeleteType deletes a type no volume uses (admin).
func (s *Service) DeleteType(ctx context.Context, p *policy.Principal, id string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		t, err := getType(ctx, tx, id)
		if errors.Is(err, store.ErrNotFound) {
			return typeNotFound(id)
		}
		if err != nil {
			return err
		}
		if t.Name == DefaultTypeName {
			return fault.Invalidf("The volume type %s is a default volume type and cannot be deleted.", t.ID)
		}
		if used, err := typeInUse(ctx, tx, id); err != nil || used {
			return errors.Join(err, fault.Invalidf("Target volume type is still in use."))
		}
		return deleteType(ctx, tx, id)
	})
}

// SetExtraSpecs adds or replaces extra specs of a type (admin). Cinder
// refuses changes to a type in use.
func (s *Service) SetExtraSpecs(ctx context.Context, p *policy.Principal, id string, specs map[string]string, remove string) (*VolumeType, error) {
	var t *VolumeType
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if t, err = getType(ctx, tx, id); errors.Is(err, store.ErrNotFound) {
			return typeNotFound(id)
		} else if err != nil {
			return err
		}
		if used, err := typeInUse(ctx, tx, id); err != nil || used {
			return errors.Join(err, fault.Invalidf("Volume Type is currently in use."))
		}
		if remove != "" {
			if _, ok := t.ExtraSpecs[remove]; !ok {
				return fault.NotFoundf("Volume Type %s has no extra specs with key %s.", id, remove)
			}
			delete(t.ExtraSpecs, remove)
		}
		for k, v := range specs {
			t.ExtraSpecs[k] = v
		}
		t.UpdatedAt = time.Now().UTC()
		return updateType(ctx, tx, t)
	})
	return t, err
}

// TypeAccess lists the projects given a private type (admin).
func (s *Service) TypeAccess(ctx context.Context, p *policy.Principal, id string) ([]string, error) {
	t, err := getType(ctx, s.r, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, typeNotFound(id)
	}
	if err != nil {
		return nil, err
	}
	if t.IsPublic {
		return nil, fault.NotFoundf("Access list not available for public volume types.")
	}
	return typeAccess(ctx, s.r, id)
}

// SetTypeAccess gives (add) or takes a private type from a project (admin).
func (s *Service) SetTypeAccess(ctx context.Context, p *policy.Principal, id, project string, add bool) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		t, err := getType(ctx, tx, id)
		if errors.Is(err, store.ErrNotFound) {
			return typeNotFound(id)
		}
		if err != nil {
			return err
		}
		if t.IsPublic {
			return fault.Invalidf("Invalid volume type: Type access modification is not applicable to public volume type.")
		}
		if add {
			err = addTypeAccess(ctx, tx, id, project)
			if errors.Is(store.Map(err), store.ErrConflict) {
				return fault.Conflictf("Volume type access for %s / %s combination already exists.", id, project)
			}
			return err
		}
		err = removeTypeAccess(ctx, tx, id, project)
		if errors.Is(err, store.ErrNotFound) {
			return fault.NotFoundf("Volume type access not found for %s / %s combination.", id, project)
		}
		return err
	})
}

// parseBool is oslo's bool_from_string, strict: ok false for anything else.
func parseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "t", "true", "on", "y", "yes":
		return true, true
	case "0", "f", "false", "off", "n", "no":
		return false, true
	}
	return false, false
}
