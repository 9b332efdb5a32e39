package network

import (
	"context"
	"net/http"
)

func (s *Service) createSubnetHTTP(w http.ResponseWriter, r *http.Request) error {
	items, bulk, err := decodeCreate(r, "subnet")
	if err != nil {
		return err
	}
	p := principal(r)
	return createMany(w, r, subnetCollection, items, bulk, func(it item) (any, string, error) {
		if err := subnetAttrs.check(it, true); err != nil {
			return nil, "", err
		}
		f, err := subnetFromItem(it, true)
		if err != nil {
			return nil, "", err
		}
		sn, err := s.CreateSubnet(r.Context(), p, f)
		if err != nil {
			return nil, "", err
		}
		return subnetToWire(sn), sn.ID, nil
	}, func(ctx context.Context, id string) error { return s.DeleteSubnet(ctx, p, id) })
}

func (s *Service) listSubnetsHTTP(w http.ResponseWriter, r *http.Request) error {
	subs, err := s.ListSubnets(r.Context(), principal(r))
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(subs))
	for i, sn := range subs {
		items[i] = toMap(subnetToWire(sn))
	}
	return writeList(w, r, subnetCollection, items)
}

func (s *Service) getSubnetHTTP(w http.ResponseWriter, r *http.Request) error {
	sn, err := s.Subnet(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeOne(w, r, http.StatusOK, "subnet", subnetToWire(sn))
}

func (s *Service) updateSubnetHTTP(w http.ResponseWriter, r *http.Request) error {
	it, err := decodeUpdate(r, "subnet", subnetAttrs)
	if err != nil {
		return err
	}
	f, err := subnetFromItem(it, false)
	if err != nil {
		return err
	}
	sn, err := s.UpdateSubnet(r.Context(), principal(r), r.PathValue("id"), f)
	if err != nil {
		return err
	}
	return writeOne(w, r, http.StatusOK, "subnet", subnetToWire(sn))
}

func (s *Service) deleteSubnetHTTP(w http.ResponseWriter, r *http.Request) error {
	if err := s.DeleteSubnet(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
