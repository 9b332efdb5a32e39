package volume

import (
	"encoding/json"
	"net/http"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

func (s *Service) listTypesHTTP(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.VolumeTypes(r.Context(), principal(r), r.URL.Query().Get("is_public"))
	if err != nil {
		return err
	}
	out := make([]typeWire, 0, len(ts))
	for _, t := range ts {
		out = append(out, withQoS(r, s.typeView(r, t, false), t))
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"volume_types": out})
}

func (s *Service) showTypeHTTP(w http.ResponseWriter, r *http.Request) error {
	t, err := s.VolumeType(r.Context(), principal(r), r.PathValue("type_id"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"volume_type": withQoS(r, s.typeView(r, t, true), t)})
}

// withQoS adds the type's QoS association for admins (null when none) to
// list and show, as Cinder does (its create and update answers lack it).
func withQoS(r *http.Request, w typeWire, t *VolumeType) typeWire {
	if principal(r).IsAdmin() {
		w.QoSSpecsID, _ = json.Marshal(ptr(t.QoSSpecsID))
	}
	return w
}

func typeFields(o object, create bool) (TypeFields, error) {
	var f TypeFields
	allowed := []string{"name", "description", "is_public"}
	if create {
		allowed = []string{"name", "description", "extra_specs", "os-volume-type-access:is_public"}
	}
	if err := o.only(allowed...); err != nil {
		return f, err
	}
	var err error
	if f.Name, _, err = o.str("name"); err != nil {
		return f, err
	}
	if f.Description, _, err = o.str("description"); err != nil {
		return f, err
	}
	if f.Description != nil && len(*f.Description) > 255 {
		return f, validation(o.path+"/description", *f.Description, "'"+*f.Description+"' is too long")
	}
	pub := "is_public"
	if create {
		pub = "os-volume-type-access:is_public"
	}
	if b, present, err := o.boolean(pub); err != nil {
		return f, err
	} else if present {
		f.IsPublic = &b
	}
	if create {
		if f.ExtraSpecs, err = o.metadata("extra_specs"); err != nil {
			return f, err
		}
	}
	return f, nil
}

func (s *Service) createTypeHTTP(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeBody(r, "volume_type")
	if err != nil {
		return err
	}
	f, err := typeFields(o, true)
	if err != nil {
		return err
	}
	if f.Name == nil {
		return validation("volume_type", o.raw(), "'name' is a required property")
	}
	t, err := s.CreateType(r.Context(), principal(r), f)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"volume_type": s.typeView(r, t, false)})
}

func (s *Service) updateTypeHTTP(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeBody(r, "volume_type")
	if err != nil {
		return err
	}
	f, err := typeFields(o, false)
	if err != nil {
		return err
	}
	t, err := s.UpdateType(r.Context(), principal(r), r.PathValue("type_id"), f)
	if err != nil {
		return err
	}
	// Cinder's volume_type_access extension adds its attribute to show,
	// list and create, not to update.
	v := s.typeView(r, t, false)
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"volume_type": struct {
		ID          string            `json:"id"`
		Name        string            `json:"name"`
		Description *string           `json:"description"`
		IsPublic    bool              `json:"is_public"`
		ExtraSpecs  map[string]string `json:"extra_specs"`
	}{v.ID, v.Name, v.Description, v.IsPublic, v.ExtraSpecs}})
}

func (s *Service) deleteTypeHTTP(w http.ResponseWriter, r *http.Request) error {
	if err := s.DeleteType(r.Context(), principal(r), r.PathValue("type_id")); err != nil {
		return err
	}
	return accepted(w)
}

// typeActionHTTP is addProjectAccess / removeProjectAccess.
func (s *Service) typeActionHTTP(w http.ResponseWriter, r *http.Request) error {
	name, raw, err := decodeAction(r)
	if err != nil {
		return err
	}
	if name != "addProjectAccess" && name != "removeProjectAccess" {
		return fault.Invalidf("There is no such action: %s", name)
	}
	o, err := toObject(name, raw)
	if err != nil {
		return err
	}
	project, _, err := o.str("project")
	if err != nil {
		return err
	}
	if project == nil || *project == "" {
		return validation(name, o.raw(), "'project' is a required property")
	}
	if err := s.SetTypeAccess(r.Context(), principal(r), r.PathValue("type_id"), *project, name == "addProjectAccess"); err != nil {
		return err
	}
	return accepted(w)
}

func (s *Service) typeAccessHTTP(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("type_id")
	projects, err := s.TypeAccess(r.Context(), principal(r), id)
	if err != nil {
		return err
	}
	type entry struct {
		TypeID    string `json:"volume_type_id"`
		ProjectID string `json:"project_id"`
	}
	out := make([]entry, 0, len(projects))
	for _, p := range projects {
		out = append(out, entry{id, p})
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"volume_type_access": out})
}

func (s *Service) listSpecsHTTP(w http.ResponseWriter, r *http.Request) error {
	t, err := s.VolumeType(r.Context(), principal(r), r.PathValue("type_id"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"extra_specs": s.typeView(r, t, false).ExtraSpecs})
}

func (s *Service) createSpecsHTTP(w http.ResponseWriter, r *http.Request) error {
	var top map[string]json.RawMessage
	if err := httpapi.DecodeJSON(r, &top); err != nil {
		return err
	}
	if raw, ok := top["extra_specs"]; !ok || isNull(raw) {
		return fault.Invalidf("'extra_specs' is a required property")
	}
	specs, err := (object{m: top}).metadata("extra_specs")
	if err != nil {
		return err
	}
	if _, err := s.SetExtraSpecs(r.Context(), principal(r), r.PathValue("type_id"), specs, ""); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"extra_specs": specs})
}

func (s *Service) showSpecHTTP(w http.ResponseWriter, r *http.Request) error {
	id, key := r.PathValue("type_id"), r.PathValue("key")
	t, err := s.VolumeType(r.Context(), principal(r), id)
	if err != nil {
		return err
	}
	v, ok := t.ExtraSpecs[key]
	if !ok {
		return fault.NotFoundf("Volume Type %s has no extra specs with key %s.", id, key)
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]string{key: v})
}

func (s *Service) updateSpecHTTP(w http.ResponseWriter, r *http.Request) error {
	var body map[string]any
	if err := httpapi.DecodeJSON(r, &body); err != nil {
		return err
	}
	key := r.PathValue("key")
	if len(body) > 1 {
		return validation("", jsonRepr(body), jsonRepr(body)+" has too many properties")
	}
	v, ok := body[key]
	if !ok {
		return fault.Invalidf("Request body and URI mismatch")
	}
	val, ok := v.(string)
	if !ok || len(val) > 255 {
		return validation(key, v, jsonRepr(v)+" is not of type 'string' or is too long")
	}
	specs := map[string]string{key: val}
	if err := checkSpecs("", specs); err != nil {
		return err
	}
	if _, err := s.SetExtraSpecs(r.Context(), principal(r), r.PathValue("type_id"), specs, ""); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, specs)
}

func (s *Service) deleteSpecHTTP(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.SetExtraSpecs(r.Context(), principal(r), r.PathValue("type_id"), nil, r.PathValue("key")); err != nil {
		return err
	}
	return accepted(w)
}
