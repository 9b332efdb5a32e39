package volume

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
)

type actionFunc func(s *Service, w http.ResponseWriter, r *http.Request, id string, o object) error

// volumeActions are the actions of POST /volumes/{id}/action; admin ones
// are marked.
var volumeActions = map[string]struct {
	admin bool
	fn    actionFunc
}{
	"os-extend":                {false, (*Service).extendAction},
	"os-volume_upload_image":   {false, (*Service).uploadAction},
	"os-attach":                {false, (*Service).attachAction},
	"os-detach":                {false, (*Service).detachAction},
	"os-reserve":               {false, simple((*Service).Reserve)},
	"os-unreserve":             {false, simple((*Service).Unreserve)},
	"os-begin_detaching":       {false, simple((*Service).BeginDetaching)},
	"os-roll_detaching":        {false, simple((*Service).RollDetaching)},
	"os-set_bootable":          {false, (*Service).bootableAction},
	"os-update_readonly_flag":  {false, (*Service).readonlyAction},
	"os-set_image_metadata":    {false, (*Service).setImageMetadataAction},
	"os-unset_image_metadata":  {false, (*Service).unsetImageMetadataAction},
	"os-show_image_metadata":   {false, (*Service).showImageMetadataAction},
	"os-reset_status":          {true, (*Service).resetStatusAction},
	"os-force_delete":          {true, (*Service).forceDeleteAction},
	"os-force_detach":          {true, (*Service).forceDetachAction},
	"os-initialize_connection": {false, unbuiltAction},
	"os-terminate_connection":  {false, unbuiltAction},
	"os-migrate_volume":        {true, unbuiltAction},
	"os-retype":                {false, (*Service).retypeAction},
	"os-reimage":               {false, unbuiltAction},
	"revert":                   {false, unbuiltAction},
}

// decodeAction reads {"<action>": {...}}: one action per request.
func decodeAction(r *http.Request) (string, json.RawMessage, error) {
	var top map[string]json.RawMessage
	if err := httpapi.DecodeJSON(r, &top); err != nil {
		return "", nil, err
	}
	if len(top) != 1 {
		return "", nil, fault.Invalidf("Malformed request body")
	}
	for k, v := range top {
		return k, v, nil
	}
	return "", nil, nil
}

func (s *Service) volumeActionHTTP(w http.ResponseWriter, r *http.Request) error {
	name, raw, err := decodeAction(r)
	if err != nil {
		return err
	}
	a, ok := volumeActions[name]
	if !ok {
		return fault.Invalidf("There is no such action: %s", name)
	}
	if a.admin && !principal(r).IsAdmin() {
		return fault.Forbiddenf("Policy doesn't allow volume_extension:volume_admin_actions:%s to be performed.", name[3:])
	}
	o := object{path: name, m: map[string]json.RawMessage{}}
	if !isNull(raw) {
		if o, err = toObject(name, raw); err != nil {
			return err
		}
	}
	return a.fn(s, w, r, r.PathValue("volume_id"), o)
}

func accepted(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusAccepted)
	return nil
}

func unbuiltAction(s *Service, w http.ResponseWriter, r *http.Request, id string, o object) error {
	if _, err := s.Volume(r.Context(), principal(r), id); err != nil {
		return err
	}
	return fault.NotImplementedf("The volume action %s is not implemented in stratus yet.", o.path)
}

func simple(fn func(*Service, context.Context, *policy.Principal, string) error) actionFunc {
	return func(s *Service, w http.ResponseWriter, r *http.Request, id string, o object) error {
		if err := fn(s, r.Context(), principal(r), id); err != nil {
			return err
		}
		return accepted(w)
	}
}

func (s *Service) extendAction(w http.ResponseWriter, r *http.Request, id string, o object) error {
	if !o.has("new_size") {
		return validation(o.path, o.raw(), "'new_size' is required property")
	}
	if isNull(o.m["new_size"]) {
		return validation(o.path+"/new_size", "None", "None is not of type 'integer', 'string'")
	}
	n, _, err := o.size("new_size")
	if err != nil {
		return err
	}
	if err := s.ExtendVolume(r.Context(), principal(r), id, n); err != nil {
		return err
	}
	return accepted(w)
}

func (s *Service) attachAction(w http.ResponseWriter, r *http.Request, id string, o object) error {
	if err := o.only("instance_uuid", "host_name", "mountpoint", "mode"); err != nil {
		return err
	}
	var a AttachOpts
	fields := map[string]*string{"instance_uuid": &a.ServerID, "host_name": &a.HostName, "mountpoint": &a.Mountpoint, "mode": &a.Mode}
	for k, dst := range fields {
		v, _, err := o.str(k)
		if err != nil {
			return err
		}
		if v != nil {
			*dst = *v
		}
	}
	if !o.has("mountpoint") {
		return validation(o.path, o.raw(), "'mountpoint' is a required property")
	}
	if a.ServerID == "" && a.HostName == "" {
		return invalidVolume("Invalid request to attach volume to an invalid target")
	}
	if _, err := s.Attach(r.Context(), principal(r), id, a); err != nil {
		return err
	}
	return accepted(w)
}

func (s *Service) detachAction(w http.ResponseWriter, r *http.Request, id string, o object) error {
	att, _, err := o.str("attachment_id")
	if err != nil {
		return err
	}
	if err := s.Detach(r.Context(), principal(r), id, deref(att)); err != nil {
		return err
	}
	return accepted(w)
}

func (s *Service) forceDetachAction(w http.ResponseWriter, r *http.Request, id string, o object) error {
	return s.detachAction(w, r, id, o)
}

func (s *Service) bootableAction(w http.ResponseWriter, r *http.Request, id string, o object) error {
	b, present, err := o.boolean("bootable")
	if err != nil {
		return err
	}
	if !present {
		return validation(o.path, o.raw(), "'bootable' is a required property")
	}
	if err := s.SetBootable(r.Context(), principal(r), id, b); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Service) readonlyAction(w http.ResponseWriter, r *http.Request, id string, o object) error {
	b, present, err := o.boolean("readonly")
	if err != nil {
		return err
	}
	if !present {
		return validation(o.path, o.raw(), "'readonly' is a required property")
	}
	if err := s.SetReadonly(r.Context(), principal(r), id, b); err != nil {
		return err
	}
	return accepted(w)
}

func (s *Service) resetStatusAction(w http.ResponseWriter, r *http.Request, id string, o object) error {
	if err := o.only("status", "attach_status", "migration_status"); err != nil {
		return err
	}
	st, _, err := o.str("status")
	if err != nil {
		return err
	}
	att, _, err := o.str("attach_status")
	if err != nil {
		return err
	}
	mig, _, err := o.str("migration_status")
	if err != nil {
		return err
	}
	if err := s.ResetStatus(r.Context(), principal(r), id, deref(st), deref(att), deref(mig)); err != nil {
		return err
	}
	return accepted(w)
}

func (s *Service) retypeAction(w http.ResponseWriter, r *http.Request, id string, o object) error {
	if err := o.only("new_type", "migration_policy"); err != nil {
		return err
	}
	t, _, err := o.str("new_type")
	if err != nil {
		return err
	}
	if t == nil || *t == "" {
		return validation(o.path, o.raw(), "'new_type' is a required property")
	}
	mp, _, err := o.str("migration_policy")
	if err != nil {
		return err
	}
	if mp != nil && *mp != "never" && *mp != "on-demand" {
		return validation(o.path+"/migration_policy", *mp, "'"+*mp+"' is not one of ['never', 'on-demand']")
	}
	if err := s.Retype(r.Context(), principal(r), id, *t); err != nil {
		return err
	}
	return accepted(w)
}

func (s *Service) forceDeleteAction(w http.ResponseWriter, r *http.Request, id string, o object) error {
	if err := s.DeleteVolume(r.Context(), principal(r), id, true, false); err != nil {
		return err
	}
	return accepted(w)
}
