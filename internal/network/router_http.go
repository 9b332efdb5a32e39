package network

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/stratus-iaas/stratus/internal/httpapi"
)

func (s *Service) createRouterHTTP(w http.ResponseWriter, r *http.Request) error {
	items, bulk, err := decodeCreate(r, "router")
	if err != nil {
		return err
	}
	p := principal(r)
	return createMany(w, r, routerCollection, items, bulk, func(it item) (any, string, error) {
		if err := routerAttrs.check(it, true); err != nil {
			return nil, "", err
		}
		f, err := routerFromItem(it)
		if err != nil {
			return nil, "", err
		}
		rt, err := s.CreateRouter(r.Context(), p, f)
		if err != nil {
			return nil, "", err
		}
		return routerToWire(rt), rt.ID, nil
	}, func(ctx context.Context, id string) error { return s.DeleteRouter(ctx, p, id) })
}

func (s *Service) listRoutersHTTP(w http.ResponseWriter, r *http.Request) error {
	routers, err := s.ListRouters(r.Context(), principal(r))
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(routers))
	for i, rt := range routers {
		items[i] = toMap(routerToWire(rt))
	}
	return writeList(w, r, routerCollection, items)
}

func (s *Service) getRouterHTTP(w http.ResponseWriter, r *http.Request) error {
	rt, err := s.Router(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeOne(w, r, http.StatusOK, "router", routerToWire(rt))
}

func (s *Service) updateRouterHTTP(w http.ResponseWriter, r *http.Request) error {
	it, err := decodeUpdate(r, "router", routerAttrs)
	if err != nil {
		return err
	}
	f, err := routerFromItem(it)
	if err != nil {
		return err
	}
	rt, err := s.UpdateRouter(r.Context(), principal(r), r.PathValue("id"), f)
	if err != nil {
		return err
	}
	return writeOne(w, r, http.StatusOK, "router", routerToWire(rt))
}

func (s *Service) deleteRouterHTTP(w http.ResponseWriter, r *http.Request) error {
	if err := s.DeleteRouter(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// interfaceBody reads {"subnet_id": ...} or {"port_id": ...}.
func interfaceBody(r *http.Request) (subnetID, portID string, err error) {
	b, err := readBody(r)
	if err != nil {
		return "", "", err
	}
	var body map[string]json.RawMessage
	if len(b) == 0 || json.Unmarshal(b, &body) != nil || body == nil {
		return "", "", badRequest("Body contains invalid data")
	}
	it := item(body)
	for k := range it {
		if k != "subnet_id" && k != "port_id" {
			return "", "", badRouter("Unrecognized parameters: %s", k)
		}
	}
	var sub, port *string
	if sub, err = it.str("subnet_id", 0); err != nil {
		return "", "", err
	}
	if port, err = it.str("port_id", 0); err != nil {
		return "", "", err
	}
	if sub != nil {
		subnetID = *sub
	}
	if port != nil {
		portID = *port
	}
	return subnetID, portID, nil
}

func (s *Service) addInterfaceHTTP(w http.ResponseWriter, r *http.Request) error {
	sub, port, err := interfaceBody(r)
	if err != nil {
		return err
	}
	ri, err := s.AddRouterInterface(r.Context(), principal(r), r.PathValue("id"), sub, port)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, interfaceToWire(ri))
}

func (s *Service) removeInterfaceHTTP(w http.ResponseWriter, r *http.Request) error {
	sub, port, err := interfaceBody(r)
	if err != nil {
		return err
	}
	ri, err := s.RemoveRouterInterface(r.Context(), principal(r), r.PathValue("id"), sub, port)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, interfaceToWire(ri))
}
