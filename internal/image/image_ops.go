package image

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// PatchOp is one JSON-patch operation (media type
// application/openstack-images-v2.1-json-patch).
type PatchOp struct {
	Op    string          `json:"op"`
	Path  string          `json:"path"`
	Value json.RawMessage `json:"value"`
}

// patchOpV20 reads one operation of the older media type
// application/openstack-images-v2.0-json-patch, whose operation is the key
// holding the path: {"replace": "/name", "value": "x"}.
func patchOpV20(m map[string]json.RawMessage) (PatchOp, error) {
	var op PatchOp
	for _, name := range []string{"add", "remove", "replace"} {
		raw, ok := m[name]
		if !ok {
			continue
		}
		if op.Op != "" {
			return op, fault.Invalidf(`Operation objects must contain only one member named "add", "remove", or "replace".`)
		}
		if err := json.Unmarshal(raw, &op.Path); err != nil {
			return op, fault.Invalidf("Invalid JSON pointer for this resource: '%s'", raw)
		}
		op.Op = name
	}
	if op.Op == "" {
		return op, fault.Invalidf(`Operation objects must contain exactly one member named "add", "remove", or "replace".`)
	}
	op.Value = m["value"]
	return op, nil
}

// modify loads an image p may change, runs fn on it in one transaction and
// writes it back.
func (s *Service) modify(ctx context.Context, p *policy.Principal, id, action string, fn func(im *Image) (tagsChanged bool, err error)) (*Image, error) {
	var out *Image
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		im, err := s.visible(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if !canModify(p, im) {
			return notAuthorized(action)
		}
		tags, err := fn(im)
		if err != nil {
			return err
		}
		im.UpdatedAt = time.Now().UTC()
		out = im
		return updateImage(ctx, tx, im, tags)
	})
	return out, err
}

// UpdateImage applies a JSON patch.
func (s *Service) UpdateImage(ctx context.Context, p *policy.Principal, id string, ops []PatchOp) (*Image, error) {
	return s.modify(ctx, p, id, "modify_image", func(im *Image) (bool, error) {
		tags := false
		for _, op := range ops {
			changed, err := applyOp(im, p, op)
			if err != nil {
				return false, err
			}
			tags = tags || changed
		}
		return tags, im.validate()
	})
}

func applyOp(im *Image, p *policy.Principal, op PatchOp) (tagsChanged bool, err error) {
	switch op.Op {
	case "add", "replace", "remove":
	case "":
		return false, fault.Invalidf("Unable to find `op` in JSON Schema change. It must be one of the following: add, remove, replace.")
	default:
		return false, fault.Invalidf("Invalid operation: `%s`. It must be one of the following: add, remove, replace.", op.Op)
	}
	if op.Path == "" {
		return false, fault.Invalidf("Unable to find 'path' in JSON Schema change")
	}
	if !strings.HasPrefix(op.Path, "/") || strings.Count(op.Path, "/") != 1 {
		if strings.HasPrefix(op.Path, "/locations") {
			return false, fault.Forbiddenf("It's not allowed to update locations if locations are invisible.")
		}
		return false, fault.Invalidf("Invalid JSON pointer for this resource: '%s'", op.Path)
	}
	key := strings.NewReplacer("~1", "/", "~0", "~").Replace(op.Path[1:])
	if err := checkWritable(key, p.IsAdmin()); err != nil {
		return false, err
	}
	if op.Op == "remove" {
		if isBaseAttr(key) {
			return false, fault.Forbiddenf("Properties %s must be set prior to saving data.", key)
		}
		if _, ok := im.Properties[key]; !ok {
			return false, fault.Conflictf("Property %s does not exist.", key)
		}
		delete(im.Properties, key)
		return false, nil
	}
	if len(op.Value) == 0 {
		return false, fault.Invalidf("Unable to find 'value' in JSON Schema change")
	}
	if !isBaseAttr(key) {
		var v string
		if err := json.Unmarshal(op.Value, &v); err != nil {
			return false, schemaErr("image", fmt.Sprintf("%s is not of type 'string'", op.Value))
		}
		if _, ok := im.Properties[key]; op.Op == "replace" && !ok {
			return false, fault.Conflictf("Property %s does not exist.", key)
		}
		im.Properties[key] = v
		return false, nil
	}
	return key == "tags", setAttr(im, p, key, op.Value)
}

// setAttr sets a base attribute from its JSON value.
func setAttr(im *Image, p *policy.Principal, key string, raw json.RawMessage) error {
	typeErr := func(want string) error {
		return schemaErr("image", fmt.Sprintf("%s is not of type %s", raw, want))
	}
	nullable := func(dst **string) error {
		if string(raw) == "null" {
			*dst = nil
			return nil
		}
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return typeErr("'string', 'null'")
		}
		*dst = &v
		return nil
	}
	switch key {
	case "name":
		return nullable(&im.Name)
	case "disk_format", "container_format":
		if im.Status != StatusQueued && !p.IsAdmin() {
			return fault.Forbiddenf("Attribute %s can be only replaced for a queued image.", key)
		}
		if key == "disk_format" {
			return nullable(&im.DiskFormat)
		}
		return nullable(&im.ContainerFormat)
	case "visibility":
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return typeErr("'string'")
		}
		if v == VisibilityPublic && !p.IsAdmin() && im.Visibility != VisibilityPublic {
			return notAuthorized("publicize_image")
		}
		if !slices.Contains(visibilities, v) {
			return schemaErr("image", fmt.Sprintf("'%s' is not one of %s", v, pyList(visibilities)))
		}
		im.Visibility = v
	case "protected", "os_hidden":
		var v bool
		if err := json.Unmarshal(raw, &v); err != nil {
			return typeErr("'boolean'")
		}
		if key == "protected" {
			im.Protected = v
		} else {
			im.Hidden = v
		}
	case "min_ram", "min_disk":
		var v int64
		if err := json.Unmarshal(raw, &v); err != nil {
			return typeErr("'integer'")
		}
		if key == "min_ram" {
			im.MinRAM = v
		} else {
			im.MinDisk = v
		}
	case "tags":
		var v []string
		if err := json.Unmarshal(raw, &v); err != nil {
			return typeErr("'array'")
		}
		im.Tags = dedupe(v)
	case "owner":
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return typeErr("'string'")
		}
		im.Owner = v
	}
	return nil
}

// DeleteImage deletes an image and its bytes.
func (s *Service) DeleteImage(ctx context.Context, p *policy.Principal, id string) error {
	var key, staging string
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		im, err := s.visible(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if !canModify(p, im) {
			return notAuthorized("delete_image")
		}
		if im.Protected {
			return fault.Forbiddenf("Image %s is protected and cannot be deleted.", id)
		}
		key = im.BlobKey
		if st, err := getStaged(ctx, tx, id); err == nil {
			staging = st.Key
		}
		return deleteImageRow(ctx, tx, id)
	})
	if err != nil {
		return err
	}
	for _, k := range []string{key, staging} {
		if k == "" {
			continue
		}
		if err := s.blobs.Delete(context.WithoutCancel(ctx), k); err != nil {
			s.log.Warn("image bytes not deleted", "image", id, "key", k, "err", err)
		}
	}
	return nil
}

// Deactivate and Reactivate implement the image actions.
func (s *Service) Deactivate(ctx context.Context, p *policy.Principal, id string) error {
	_, err := s.modify(ctx, p, id, "deactivate", func(im *Image) (bool, error) {
		switch im.Status {
		case StatusActive, StatusDeactivated:
			im.Status = StatusDeactivated
			return false, nil
		}
		return false, fault.Forbiddenf("Not allowed to deactivate image in status '%s'", im.Status)
	})
	return err
}

func (s *Service) Reactivate(ctx context.Context, p *policy.Principal, id string) error {
	_, err := s.modify(ctx, p, id, "reactivate", func(im *Image) (bool, error) {
		switch im.Status {
		case StatusActive, StatusDeactivated:
			im.Status = StatusActive
			return false, nil
		}
		return false, fault.Forbiddenf("Not allowed to reactivate image in status '%s'", im.Status)
	})
	return err
}

// AddTag and DeleteTag implement /v2/images/{id}/tags/{tag}.
func (s *Service) AddTag(ctx context.Context, p *policy.Principal, id, tag string) error {
	if len(tag) > 255 {
		return schemaErr("image", fmt.Sprintf("'%s' is too long", tag))
	}
	_, err := s.modify(ctx, p, id, "modify_image", func(im *Image) (bool, error) {
		if !im.addTag(tag) {
			return false, nil
		}
		if len(im.Tags) > 128 {
			return false, fault.OverLimitf("Maximum number of tags exceeded")
		}
		return true, nil
	})
	return err
}

func (s *Service) DeleteTag(ctx context.Context, p *policy.Principal, id, tag string) error {
	_, err := s.modify(ctx, p, id, "modify_image", func(im *Image) (bool, error) {
		i := slices.Index(im.Tags, tag)
		if i < 0 {
			return false, fault.NotFoundf("Tag %s not found", tag)
		}
		im.Tags = slices.Delete(im.Tags, i, i+1)
		return true, nil
	})
	return err
}

// UpdateProperties changes extra properties only (the Nova metadata API):
// replace drops the properties not in set; remove deletes one key.
func (s *Service) UpdateProperties(ctx context.Context, p *policy.Principal, id string, set map[string]string, replace bool, remove string) (*Image, error) {
	return s.modify(ctx, p, id, "modify_image", func(im *Image) (bool, error) {
		if remove != "" {
			if isReservedProperty(remove) {
				return false, reservedErr(remove)
			}
			if _, ok := im.Properties[remove]; !ok {
				return false, fault.NotFoundf("Metadata item was not found")
			}
			delete(im.Properties, remove)
			return false, nil
		}
		if replace {
			// The service's own os_glance* properties are not the
			// caller's metadata: a replacement keeps them.
			kept := map[string]string{}
			for k, v := range im.Properties {
				if isReservedProperty(k) {
					kept[k] = v
				}
			}
			im.Properties = kept
		}
		for k, v := range set {
			if isBaseAttr(k) || isReservedProperty(k) {
				if err := checkWritable(k, p.IsAdmin()); err != nil {
					return false, err
				}
				continue
			}
			im.Properties[k] = v
		}
		if len(im.Properties) > 128 {
			return false, fault.OverLimitf("Maximum number of metadata items exceeds 128")
		}
		return false, im.validate()
	})
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
