package network

import (
	"context"
	"net/http"

	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
)

func principal(r *http.Request) *policy.Principal { return policy.FromContext(r.Context()) }

// createMany runs create for each item of a (possibly bulk) body; when one
// fails, the ones made before it are deleted again, as Neutron's emulated
// bulk create does.
func createMany(w http.ResponseWriter, r *http.Request, c collection, items []item, bulk bool,
	create func(it item) (any, string, error), remove func(ctx context.Context, id string) error) error {
	var made []any
	var ids []string
	for _, it := range items {
		wire, id, err := create(it)
		if err != nil {
			for _, id := range ids {
				remove(context.WithoutCancel(r.Context()), id)
			}
			return err
		}
		made, ids = append(made, wire), append(ids, id)
	}
	if !bulk {
		return writeOne(w, r, http.StatusCreated, c.resource, made[0])
	}
	return httpapi.WriteJSON(w, http.StatusCreated, map[string]any{c.plural: made})
}

func (s *Service) createNetwork(w http.ResponseWriter, r *http.Request) error {
	items, bulk, err := decodeCreate(r, "network")
	if err != nil {
		return err
	}
	p := principal(r)
	return createMany(w, r, networkCollection, items, bulk, func(it item) (any, string, error) {
		if err := networkAttrs.check(it, true); err != nil {
			return nil, "", err
		}
		f, err := networkFromItem(it)
		if err != nil {
			return nil, "", err
		}
		n, err := s.CreateNetwork(r.Context(), p, f)
		if err != nil {
			return nil, "", err
		}
		return networkToWire(n), n.ID, nil
	}, func(ctx context.Context, id string) error { return s.DeleteNetwork(ctx, p, id) })
}

func (s *Service) listNetworks(w http.ResponseWriter, r *http.Request) error {
	nets, err := s.ListNetworks(r.Context(), principal(r))
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(nets))
	for i, n := range nets {
		items[i] = toMap(networkToWire(n))
	}
	return writeList(w, r, networkCollection, items)
}

func (s *Service) getNetworkHTTP(w http.ResponseWriter, r *http.Request) error {
	n, err := s.Network(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeOne(w, r, http.StatusOK, "network", networkToWire(n))
}

func (s *Service) updateNetworkHTTP(w http.ResponseWriter, r *http.Request) error {
	it, err := decodeUpdate(r, "network", networkAttrs)
	if err != nil {
		return err
	}
	f, err := networkFromItem(it)
	if err != nil {
		return err
	}
	n, err := s.UpdateNetwork(r.Context(), principal(r), r.PathValue("id"), f)
	if err != nil {
		return err
	}
	return writeOne(w, r, http.StatusOK, "network", networkToWire(n))
}

func (s *Service) deleteNetworkHTTP(w http.ResponseWriter, r *http.Request) error {
	if err := s.DeleteNetwork(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// decodeCreate reads a create body: its items and whether it was bulk.
func decodeCreate(r *http.Request, resource string) ([]item, bool, error) {
	return decodeItems(r, resource, true)
}

// decodeUpdate reads an update body and checks its attributes.
func decodeUpdate(r *http.Request, resource string, attrs attrMap) (item, error) {
	items, _, err := decodeItems(r, resource, false)
	if err != nil {
		return nil, err
	}
	return items[0], attrs.check(items[0], false)
}
