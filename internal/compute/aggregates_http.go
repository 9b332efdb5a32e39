package compute

import (
	"net/http"
	"strings"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// os-aggregates on the wire; the aggregates are in aggregates.go.

func aggregateView(r *http.Request, a *Aggregate, full bool) map[string]any {
	v := map[string]any{"id": a.ID, "name": a.Name, "availability_zone": a.Zone, "created_at": naiveTime(a.CreatedAt),
		"updated_at": nil, "deleted": false, "deleted_at": nil}
	if a.UpdatedAt != nil {
		v["updated_at"] = naiveTime(*a.UpdatedAt)
	}
	if full {
		meta := map[string]string{}
		for k, val := range a.Metadata {
			meta[k] = val
		}
		if a.Zone != nil {
			meta["availability_zone"] = *a.Zone
		}
		v["hosts"], v["metadata"] = a.Hosts, meta
	}
	if atLeast(r, 41) {
		v["uuid"] = a.UUID
	}
	return v
}

func (s *Service) listAggregates(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Aggregates(r.Context())
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, a := range list {
		out = append(out, aggregateView(r, a, true))
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"aggregates": out})
}

// aggregateFields reads name and availability_zone of a create or update.
func aggregateFields(m map[string]any, create bool) (name *string, zone *string, zoneSet bool, err error) {
	if err := only("aggregate", m, "name", "availability_zone"); err != nil {
		return nil, nil, false, err
	}
	if create {
		if err := required("aggregate", m, "name"); err != nil {
			return nil, nil, false, err
		}
	} else if len(m) == 0 {
		return nil, nil, false, schemaErr("aggregate", m, "{} does not have enough properties")
	}
	if v, ok, err := str(m, "name"); err != nil {
		return nil, nil, false, err
	} else if ok {
		if err := length("name", v, 1, 255); err != nil {
			return nil, nil, false, err
		}
		if strings.TrimSpace(v) == "" {
			return nil, nil, false, fault.Invalidf("Aggregate name cannot be blank.")
		}
		name = &v
	}
	if raw, ok := m["availability_zone"]; ok {
		zoneSet = true
		if raw != nil {
			v, _, err := str(m, "availability_zone")
			if err != nil {
				return nil, nil, false, err
			}
			if err := length("availability_zone", v, 1, 255); err != nil {
				return nil, nil, false, err
			}
			if strings.Contains(v, ":") {
				return nil, nil, false, fault.Invalidf("Invalid input received: Availability zone name can not contain ':'.")
			}
			zone = &v
		}
	}
	return name, zone, zoneSet, nil
}

func (s *Service) createAggregate(w http.ResponseWriter, r *http.Request) error {
	_, m, err := body(r, "aggregate")
	if err != nil {
		return err
	}
	name, zone, _, err := aggregateFields(m, true)
	if err != nil {
		return err
	}
	a, err := s.CreateAggregate(r.Context(), *name, zone)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"aggregate": aggregateView(r, a, false)})
}

func (s *Service) getAggregate(w http.ResponseWriter, r *http.Request) error {
	a, err := s.aggregate(r.Context(), s.r, r.PathValue("aggregate_id"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"aggregate": aggregateView(r, a, true)})
}

func (s *Service) updateAggregate(w http.ResponseWriter, r *http.Request) error {
	_, m, err := body(r, "aggregate")
	if err != nil {
		return err
	}
	name, zone, zoneSet, err := aggregateFields(m, false)
	if err != nil {
		return err
	}
	a, err := s.UpdateAggregate(r.Context(), r.PathValue("aggregate_id"), name, zone, zoneSet)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"aggregate": aggregateView(r, a, true)})
}

func (s *Service) deleteAggregate(w http.ResponseWriter, r *http.Request) error {
	return s.DeleteAggregate(r.Context(), r.PathValue("aggregate_id"))
}

// aggregateActionRequest reads POST /os-aggregates/{id}/action: the one
// action (add_host, remove_host, set_metadata) and its host or metadata.
func aggregateActionRequest(r *http.Request) (action, host string, meta map[string]any, err error) {
	top, err := decodeObject(r)
	if err != nil {
		return "", "", nil, err
	}
	if len(top) != 1 {
		return "", "", nil, fault.Invalidf("Invalid request body: exactly one action is needed")
	}
	var arg any
	for k, val := range top {
		action, arg = k, val
	}
	m, err := object(action, arg)
	if err != nil {
		return "", "", nil, err
	}
	switch action {
	case "add_host", "remove_host":
		if err := required(action, m, "host"); err != nil {
			return "", "", nil, err
		}
		if err := only(action, m, "host"); err != nil {
			return "", "", nil, err
		}
		if host, _, err = str(m, "host"); err != nil {
			return "", "", nil, err
		}
		if err := length("host", host, 1, 255); err != nil {
			return "", "", nil, err
		}
	case "set_metadata":
		if err := required(action, m, "metadata"); err != nil {
			return "", "", nil, err
		}
		if err := only(action, m, "metadata"); err != nil {
			return "", "", nil, err
		}
		if meta, err = object("metadata", m["metadata"]); err != nil {
			return "", "", nil, err
		}
	default:
		return "", "", nil, fault.Invalidf("Invalid request body: unknown action %s", action)
	}
	return action, host, meta, nil
}

// aggregateAction is POST /os-aggregates/{id}/action.
func (s *Service) aggregateAction(w http.ResponseWriter, r *http.Request) error {
	action, host, meta, err := aggregateActionRequest(r)
	if err != nil {
		return err
	}
	id := r.PathValue("aggregate_id")
	var a *Aggregate
	switch action {
	case "add_host":
		a, err = s.AddAggregateHost(r.Context(), id, host)
	case "remove_host":
		a, err = s.RemoveAggregateHost(r.Context(), id, host)
	default:
		a, err = s.SetAggregateMetadata(r.Context(), id, meta)
	}
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"aggregate": aggregateView(r, a, true)})
}
