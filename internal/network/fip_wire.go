package network

import (
	"context"
	"net/http"
)

type fipWire struct {
	ID                string   `json:"id"`
	TenantID          string   `json:"tenant_id"`
	ProjectID         string   `json:"project_id"`
	FloatingNetworkID string   `json:"floating_network_id"`
	FloatingIPAddress string   `json:"floating_ip_address"`
	FixedIPAddress    *string  `json:"fixed_ip_address"`
	PortID            *string  `json:"port_id"`
	RouterID          *string  `json:"router_id"`
	Status            string   `json:"status"`
	Description       string   `json:"description"`
	Tags              []string `json:"tags"`
	CreatedAt         string   `json:"created_at"`
	UpdatedAt         string   `json:"updated_at"`
	RevisionNumber    int64    `json:"revision_number"`
}

func fipToWire(f *FloatingIP) fipWire {
	return fipWire{ID: f.ID, TenantID: f.ProjectID, ProjectID: f.ProjectID, FloatingNetworkID: f.FloatingNetworkID,
		FloatingIPAddress: f.FloatingIPAddress, FixedIPAddress: optStr(f.FixedIPAddress), PortID: optStr(f.PortID),
		RouterID: optStr(f.RouterID), Status: f.Status, Description: f.Description, Tags: tagsOrEmpty(f.Tags),
		CreatedAt: timeWire(f.CreatedAt), UpdatedAt: timeWire(f.UpdatedAt), RevisionNumber: f.Revision}
}

var fipAttrs = attrMap{
	"id": {}, "floating_ip_address": {post: true}, "subnet_id": {post: true},
	"floating_network_id": {post: true, required: true}, "router_id": {}, "port_id": {post: true, put: true},
	"fixed_ip_address": {post: true, put: true}, "status": {}, "description": {post: true, put: true},
	"tags": {}, "created_at": {}, "updated_at": {}, "revision_number": {},
}

var fipCollection = collection{resource: "floatingip", plural: "floatingips",
	filters: keys("id", "floating_ip_address", "floating_network_id", "router_id", "port_id", "fixed_ip_address",
		"status", "description", "revision_number", "created_at", "updated_at"),
	sorts: keys("id", "floating_ip_address", "floating_network_id", "router_id", "port_id", "fixed_ip_address",
		"status", "revision_number", "created_at", "updated_at")}

func fipFromItem(it item, create bool) (FloatingIPFields, error) {
	var f FloatingIPFields
	var err error
	if f.ProjectID, err = it.project(); err != nil {
		return f, err
	}
	if f.Description, err = it.str("description", descriptionSize); err != nil {
		return f, err
	}
	if create {
		id, err := it.str("floating_network_id", 0)
		if err != nil {
			return f, err
		}
		if !isUUID(*id) {
			return f, invalidAttr("floating_network_id", "'"+*id+"' is not a valid UUID")
		}
		f.FloatingNetworkID = *id
		if it.has("floating_ip_address") && !it.isNull("floating_ip_address") {
			if f.FloatingIPAddress, _, err = it.ipAddr("floating_ip_address"); err != nil {
				return f, err
			}
		}
		if it.has("subnet_id") && !it.isNull("subnet_id") {
			s, err := it.str("subnet_id", 0)
			if err != nil {
				return f, err
			}
			if !isUUID(*s) {
				return f, invalidAttr("subnet_id", "'"+*s+"' is not a valid UUID")
			}
			f.SubnetID = *s
		}
	}
	if it.has("port_id") {
		if f.PortID, err = it.strOrNull("port_id", 0); err != nil {
			return f, err
		}
		if *f.PortID != "" && !isUUID(*f.PortID) {
			return f, invalidAttr("port_id", "'"+*f.PortID+"' is not a valid UUID")
		}
	}
	if it.has("fixed_ip_address") && !it.isNull("fixed_ip_address") {
		a, _, err := it.ipAddr("fixed_ip_address")
		if err != nil {
			return f, err
		}
		f.FixedIPAddress = a.String()
	}
	return f, nil
}

func (s *Service) createFIPHTTP(w http.ResponseWriter, r *http.Request) error {
	items, bulk, err := decodeCreate(r, "floatingip")
	if err != nil {
		return err
	}
	p := principal(r)
	return createMany(w, r, fipCollection, items, bulk, func(it item) (any, string, error) {
		if err := fipAttrs.check(it, true); err != nil {
			return nil, "", err
		}
		f, err := fipFromItem(it, true)
		if err != nil {
			return nil, "", err
		}
		fip, err := s.CreateFloatingIP(r.Context(), p, f)
		if err != nil {
			return nil, "", err
		}
		return fipToWire(fip), fip.ID, nil
	}, func(ctx context.Context, id string) error { return s.DeleteFloatingIP(ctx, p, id) })
}

func (s *Service) listFIPsHTTP(w http.ResponseWriter, r *http.Request) error {
	fips, err := s.ListFloatingIPs(r.Context(), principal(r))
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(fips))
	for i, f := range fips {
		items[i] = toMap(fipToWire(f))
	}
	return writeList(w, r, fipCollection, items)
}

func (s *Service) getFIPHTTP(w http.ResponseWriter, r *http.Request) error {
	f, err := s.FloatingIP(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeOne(w, r, http.StatusOK, "floatingip", fipToWire(f))
}

func (s *Service) updateFIPHTTP(w http.ResponseWriter, r *http.Request) error {
	it, err := decodeUpdate(r, "floatingip", fipAttrs)
	if err != nil {
		return err
	}
	f, err := fipFromItem(it, false)
	if err != nil {
		return err
	}
	fip, err := s.UpdateFloatingIP(r.Context(), principal(r), r.PathValue("id"), f)
	if err != nil {
		return err
	}
	return writeOne(w, r, http.StatusOK, "floatingip", fipToWire(fip))
}

func (s *Service) deleteFIPHTTP(w http.ResponseWriter, r *http.Request) error {
	if err := s.DeleteFloatingIP(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
