package compute

import (
	"bytes"
	"context"
	"net/http"
	"net/netip"
	"net/url"

	"github.com/stratus-iaas/stratus/internal/httpapi"
)

func (s *Service) createServer(w http.ResponseWriter, r *http.Request) error {
	top, m, err := body(r, "server", "os:scheduler_hints", "OS-SCH-HNT:scheduler_hints")
	if err != nil {
		return err
	}
	c, err := parseCreate(r, top, m)
	if err != nil {
		return err
	}
	out, err := s.CreateServers(r.Context(), principal(r), c, httpapi.RequestID(r.Context()))
	if err != nil {
		return err
	}
	if c.ReturnReservation {
		return httpapi.WriteJSON(w, http.StatusAccepted, map[string]any{"reservation_id": out.ReservationID})
	}
	sv := out.Servers[0]
	groups := c.SecurityGroups
	if len(groups) == 0 {
		groups = []string{"default"}
	}
	sgs := make([]map[string]string, len(groups))
	for i, g := range groups {
		sgs[i] = map[string]string{"name": g}
	}
	lk := selfLinks(r, "servers", sv.ID)
	body := map[string]any{"id": sv.ID, "links": lk, "OS-DCF:diskConfig": "MANUAL", "security_groups": sgs, "adminPass": out.AdminPass}
	if sv.AutoDiskConfig {
		body["OS-DCF:diskConfig"] = "AUTO"
	}
	w.Header().Set("Location", lk[0].Href)
	return httpapi.WriteJSON(w, http.StatusAccepted, map[string]any{"server": body})
}

// portsOf reads the ports of a page of servers at once.
func (s *Service) portsOf(ctx context.Context, svs []*Server) (map[string][]Port, error) {
	ids := make([]string, 0, len(svs))
	for _, sv := range svs {
		if sv.VMState != vmBuilding && sv.DeletedAt == 0 {
			ids = append(ids, sv.ID)
		}
	}
	if len(ids) == 0 {
		return map[string][]Port{}, nil
	}
	return s.net.PortsOfServers(ctx, ids)
}

func (s *Service) listServers(detail bool) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		f, err := parseServerFilter(r)
		if err != nil {
			return err
		}
		if !f.needsGo() {
			return s.listFast(w, r, f, detail)
		}
		var svs []*Server
		if f.Limit > 0 { // limit=0 is an empty page, as in Nova
			if svs, err = s.ListServers(r.Context(), principal(r), f); err != nil {
				return err
			}
		}
		out := make([]map[string]any, len(svs))
		if detail {
			ports, err := s.portsOf(r.Context(), svs)
			if err != nil {
				return err
			}
			if err := s.loadVolumes(r.Context(), svs); err != nil {
				return err
			}
			o := fullView(r)
			o.serverGroups = false // not in the detail list, as Nova
			for i, sv := range svs {
				out[i] = serverView(r, sv, ports[sv.ID], nil, o)
			}
		} else {
			for i, sv := range svs {
				out[i] = briefView(r, sv)
			}
		}
		body := map[string]any{"servers": out}
		coll := "servers"
		if detail {
			coll = "servers/detail"
		}
		if len(svs) > 0 {
			if l := nextLinks(r, len(svs), f.Limit, coll, svs[len(svs)-1].ID); l != nil {
				body["servers_links"] = l
			}
		}
		return httpapi.WriteJSON(w, http.StatusOK, body)
	}
}

// render is a server's full or update view with its ports and groups.
func (s *Service) render(r *http.Request, sv *Server, o viewOpts) (map[string]any, error) {
	var ports []Port
	var err error
	if sv.VMState != vmBuilding {
		if ports, err = s.net.ServerPorts(r.Context(), sv.ID); err != nil {
			return nil, err
		}
	}
	if o.extVolumes {
		if err := s.loadVolumes(r.Context(), []*Server{sv}); err != nil {
			return nil, err
		}
	}
	var groups []string
	if o.serverGroups {
		groups = s.groupsOf(r.Context(), sv.ID)
	}
	v := serverView(r, sv, ports, groups, o)
	s.addAccess(r.Context(), v, sv)
	return v, nil
}

func (s *Service) getServer(w http.ResponseWriter, r *http.Request) error {
	sv, err := s.Server(r.Context(), principal(r), r.PathValue("server_id"))
	if err != nil {
		return err
	}
	v, err := s.render(r, sv, fullView(r))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"server": v})
}

func (s *Service) updateServer(w http.ResponseWriter, r *http.Request) error {
	_, m, err := body(r, "server")
	if err != nil {
		return err
	}
	u, err := parseServerUpdate(r, m)
	if err != nil {
		return err
	}
	sv, err := s.UpdateServer(r.Context(), principal(r), r.PathValue("server_id"), u)
	if err != nil {
		return err
	}
	v, err := s.render(r, sv, updateView(r))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"server": v})
}

func (s *Service) deleteServer(w http.ResponseWriter, r *http.Request) error {
	if err := s.DeleteServer(r.Context(), principal(r), r.PathValue("server_id"), httpapi.RequestID(r.Context())); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listFast serves a list whose filters SQL answers alone: the page from
// its narrow query, the views from the view cache.
func (s *Service) listFast(w http.ResponseWriter, r *http.Request, f ServerFilter, detail bool) error {
	var page []pageRow
	var err error
	if f.Limit > 0 { // limit=0 is an empty page, as in Nova
		if page, err = s.listPage(r.Context(), principal(r), f); err != nil {
			return err
		}
	}
	var views [][]byte
	if detail {
		if views, err = s.detailPage(r.Context(), r, page); err != nil {
			return err
		}
	} else {
		views = make([][]byte, len(page))
		self, book := links(r)
		for i, pr := range page {
			if views[i], err = briefJSON(self, book, pr.ID, pr.Name); err != nil {
				return err
			}
		}
	}
	coll := "servers"
	if detail {
		coll = "servers/detail"
	}
	var next any
	if len(page) > 0 {
		if l := nextLinks(r, len(page), f.Limit, coll, page[len(page)-1].ID); l != nil {
			next = l
		}
	}
	return writeList(w, "servers", views, next)
}

// briefJSON is briefView's JSON, written directly (keys sorted as the
// encoder sorts them).
func briefJSON(self, book, id, name string) ([]byte, error) {
	nm, err := httpapi.MarshalJSON(name)
	if err != nil {
		return nil, err
	}
	eid := url.PathEscape(id)
	href := func(base string) []byte { b, _ := httpapi.MarshalJSON(base + "/servers/" + eid); return b }
	idj, _ := httpapi.MarshalJSON(id)
	var b bytes.Buffer
	b.Grow(256 + len(self) + len(book))
	b.WriteString(`{"id":`)
	b.Write(idj)
	b.WriteString(`,"links":[{"rel":"self","href":`)
	b.Write(href(self))
	b.WriteString(`},{"rel":"bookmark","href":`)
	b.Write(href(book))
	b.WriteString(`}],"name":`)
	b.Write(nm)
	b.WriteByte('}')
	return b.Bytes(), nil
}

// parseServerUpdate decodes PUT /servers/{id}'s server object.
func parseServerUpdate(r *http.Request, m map[string]any) (serverUpdate, error) {
	allowed := []string{"name", "accessIPv4", "accessIPv6", "OS-DCF:diskConfig"}
	if atLeast(r, 19) {
		allowed = append(allowed, "description")
	}
	if err := only("server", m, allowed...); err != nil {
		return serverUpdate{}, err
	}
	u := serverUpdate{}
	if v, ok, err := str(m, "name"); err != nil {
		return serverUpdate{}, err
	} else if ok {
		if err := name("name", v); err != nil {
			return serverUpdate{}, err
		}
		u.name = &v
	}
	for key, dst := range map[string]**string{"accessIPv4": &u.ipv4, "accessIPv6": &u.ipv6} {
		v, ok, err := str(m, key)
		if err != nil {
			return serverUpdate{}, err
		}
		if ok {
			if v != "" {
				a, perr := netip.ParseAddr(v)
				if perr != nil || (key == "accessIPv4") != a.Is4() {
					return serverUpdate{}, schemaErr(key, v, pyRepr(v)+" is not a '"+map[string]string{"accessIPv4": "ipv4", "accessIPv6": "ipv6"}[key]+"'")
				}
				v = a.String()
			}
			*dst = &v
		}
	}
	if v, ok, err := str(m, "OS-DCF:diskConfig"); err != nil {
		return serverUpdate{}, err
	} else if ok {
		if v != "AUTO" && v != "MANUAL" {
			return serverUpdate{}, schemaErr("OS-DCF:diskConfig", v, pyRepr(v)+" is not one of ['AUTO', 'MANUAL']")
		}
		u.diskConfig = &v
	}
	if v, ok := m["description"]; ok {
		u.descSet = true
		if v != nil {
			d, isStr := v.(string)
			if !isStr {
				return serverUpdate{}, schemaErr("description", v, pyRepr(v)+" is not of type 'string', 'null'")
			}
			if err := length("description", d, 0, 255); err != nil {
				return serverUpdate{}, err
			}
			u.desc = &d
		}
	}
	return u, nil
}
