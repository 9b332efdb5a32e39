package volume

import (
	"encoding/json"
	"net/http"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

type qosWire struct {
	ID       string            `json:"id"`
	Name     string            `json:"name"`
	Consumer string            `json:"consumer"`
	Specs    map[string]string `json:"specs"`
}

func qosView(q *QoSSpec) qosWire {
	specs := q.Specs
	if specs == nil {
		specs = map[string]string{}
	}
	return qosWire{ID: q.ID, Name: q.Name, Consumer: q.Consumer, Specs: specs}
}

func (s *Service) writeQoS(w http.ResponseWriter, r *http.Request, q *QoSSpec) error {
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"qos_specs": qosView(q), "links": links(r, "qos-specs", q.ID)})
}

// qosValues reads a QoS spec body's values: strings, or numbers and
// booleans as their JSON text (clients send "read_iops_sec": 2000).
func qosValues(o object, skip string) (map[string]string, error) {
	out := map[string]string{}
	for k, raw := range o.m {
		if k == skip {
			continue
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case float64, bool:
			s = string(raw)
		default:
			return nil, validation(o.path+"/"+k, jsonRepr(v), jsonRepr(v)+" is not of type 'string'")
		}
		if !specKeyRe.MatchString(k) {
			return nil, validation(o.path, o.raw(), "Additional properties are not allowed ('"+k+"' was unexpected)")
		}
		if len(s) > 255 {
			return nil, validation(o.path+"/"+k, s, "'"+s+"' is too long")
		}
		out[k] = s
	}
	return out, nil
}

func (s *Service) createQoSHTTP(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeBody(r, "qos_specs")
	if err != nil {
		return err
	}
	name, _, err := o.str("name")
	if err != nil {
		return err
	}
	if name == nil {
		return validation("qos_specs", o.raw(), "'name' is a required property")
	}
	specs, err := qosValues(o, "name")
	if err != nil {
		return err
	}
	q, err := s.CreateQoS(r.Context(), principal(r), *name, specs)
	if err != nil {
		return err
	}
	return s.writeQoS(w, r, q)
}

func (s *Service) listQoSHTTP(w http.ResponseWriter, r *http.Request) error {
	lq, err := parseListQuery(r.URL.Query(), []string{"id", "name", "consumer", "created_at"})
	if err != nil {
		return err
	}
	all, err := s.QoSSpecs(r.Context(), principal(r))
	if err != nil {
		return err
	}
	var marker *QoSSpec
	if lq.marker != "" {
		for _, q := range all {
			if q.ID == lq.marker {
				marker = q
			}
		}
		if marker == nil {
			return fault.NotFoundf("Marker %s could not be found.", lq.marker)
		}
	}
	page := paginate(all, lq, marker, marker != nil, func(q *QoSSpec, k string) any {
		switch k {
		case "name":
			return q.Name
		case "consumer":
			return q.Consumer
		case "created_at":
			return q.CreatedAt
		}
		return q.ID
	})
	out := make([]qosWire, 0, len(page))
	for _, q := range page {
		out = append(out, qosView(q))
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"qos_specs": out})
}

func (s *Service) showQoSHTTP(w http.ResponseWriter, r *http.Request) error {
	q, err := s.QoS(r.Context(), principal(r), r.PathValue("qos_id"))
	if err != nil {
		return err
	}
	return s.writeQoS(w, r, q)
}

// setQoSHTTP is PUT /qos-specs/{id}: the body's keys are set and echoed.
func (s *Service) setQoSHTTP(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeBody(r, "qos_specs")
	if err != nil {
		return err
	}
	specs, err := qosValues(o, "")
	if err != nil {
		return err
	}
	if _, err := s.SetQoSKeys(r.Context(), principal(r), r.PathValue("qos_id"), specs); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"qos_specs": specs})
}

func (s *Service) unsetQoSHTTP(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Keys *[]string `json:"keys"`
	}
	var top map[string]json.RawMessage
	if err := httpapi.DecodeJSON(r, &top); err != nil {
		return err
	}
	raw, ok := top["keys"]
	if !ok {
		return fault.Invalidf("'keys' is a required property")
	}
	if err := json.Unmarshal(raw, &body.Keys); err != nil || body.Keys == nil {
		return validation("keys", string(raw), string(raw)+" is not of type 'array'")
	}
	if err := s.UnsetQoSKeys(r.Context(), principal(r), r.PathValue("qos_id"), *body.Keys); err != nil {
		return err
	}
	return accepted(w)
}

func (s *Service) deleteQoSHTTP(w http.ResponseWriter, r *http.Request) error {
	force := false
	if v := r.URL.Query().Get("force"); v != "" {
		b, ok := parseBool(v)
		if !ok {
			return fault.Invalidf("Unrecognized value '%s', acceptable values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'", v)
		}
		force = b
	}
	if err := s.DeleteQoS(r.Context(), principal(r), r.PathValue("qos_id"), force); err != nil {
		return err
	}
	return accepted(w)
}

func (s *Service) qosAssociationsHTTP(w http.ResponseWriter, r *http.Request) error {
	as, err := s.QoSAssociations(r.Context(), principal(r), r.PathValue("qos_id"))
	if err != nil {
		return err
	}
	type wire struct {
		Type string `json:"association_type"`
		Name string `json:"name"`
		ID   string `json:"id"`
	}
	out := make([]wire, 0, len(as))
	for _, a := range as {
		out = append(out, wire{"volume_type", a.TypeName, a.TypeID})
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"qos_associations": out})
}

// qosAssociateHTTP is GET .../associate, .../disassociate (?vol_type_id=)
// and .../disassociate_all, each 202 as in Cinder.
func (s *Service) qosAssociateHTTP(op string) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, typeID := r.PathValue("qos_id"), r.URL.Query().Get("vol_type_id")
		var err error
		switch op {
		case "associate":
			err = s.AssociateQoS(r.Context(), principal(r), id, typeID)
		case "disassociate":
			err = s.DisassociateQoS(r.Context(), principal(r), id, typeID)
		default:
			err = s.DisassociateAllQoS(r.Context(), principal(r), id)
		}
		if err != nil {
			return err
		}
		return accepted(w)
	}
}
