package network

import (
	"context"
	"net/http"
)

func (s *Service) createPortHTTP(w http.ResponseWriter, r *http.Request) error {
	items, bulk, err := decodeCreate(r, "port")
	if err != nil {
		return err
	}
	p := principal(r)
	return createMany(w, r, portCollection, items, bulk, func(it item) (any, string, error) {
		if err := portAttrs.check(it, true); err != nil {
			return nil, "", err
		}
		f, err := portFromItem(it, true)
		if err != nil {
			return nil, "", err
		}
		port, err := s.CreatePort(r.Context(), p, f)
		if err != nil {
			return nil, "", err
		}
		return portToWire(port, p.IsAdmin()), port.ID, nil
	}, func(ctx context.Context, id string) error { return s.DeletePort(ctx, p, id) })
}

func (s *Service) listPortsHTTP(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	// Single-valued filters Nova and clients use most narrow the query in
	// the store; the generic filter then applies every filter again.
	var f PortListFilter
	if v := q["network_id"]; len(v) == 1 {
		f.NetworkID = v[0]
	}
	if v := q["device_id"]; len(v) == 1 {
		f.DeviceID = v[0]
	}
	if v := q["device_owner"]; len(v) == 1 {
		f.DeviceOwner = v[0]
	}
	p := principal(r)
	ports, err := s.ListPorts(r.Context(), p, f)
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(ports))
	for i, port := range ports {
		items[i] = toMap(portToWire(port, p.IsAdmin()))
	}
	return writeList(w, r, portCollection, items)
}

func (s *Service) getPortHTTP(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	port, err := s.Port(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeOne(w, r, http.StatusOK, "port", portToWire(port, p.IsAdmin()))
}

func (s *Service) updatePortHTTP(w http.ResponseWriter, r *http.Request) error {
	it, err := decodeUpdate(r, "port", portAttrs)
	if err != nil {
		return err
	}
	f, err := portFromItem(it, false)
	if err != nil {
		return err
	}
	p := principal(r)
	port, err := s.UpdatePort(r.Context(), p, r.PathValue("id"), f)
	if err != nil {
		return err
	}
	return writeOne(w, r, http.StatusOK, "port", portToWire(port, p.IsAdmin()))
}

func (s *Service) deletePortHTTP(w http.ResponseWriter, r *http.Request) error {
	if err := s.DeletePort(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
