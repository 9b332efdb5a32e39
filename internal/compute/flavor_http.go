package compute

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// flavorView is Nova's flavor view builder (views/flavors.py) for the
// request's microversion; detail false is the index (brief) view.
func flavorView(r *http.Request, f *Flavor, detail, withSpecs bool) map[string]any {
	v := map[string]any{"id": f.ID, "name": f.Name, "links": selfLinks(r, "flavors", f.ID)}
	if atLeast(r, 55) {
		v["description"] = f.Description
	}
	if !detail {
		return v
	}
	v["ram"], v["disk"], v["vcpus"] = f.MemoryMB, f.RootGB, f.VCPUs
	v["OS-FLV-EXT-DATA:ephemeral"], v["OS-FLV-DISABLED:disabled"] = f.EphemeralGB, f.Disabled
	v["os-flavor-access:is_public"] = f.IsPublic
	v["rxtx_factor"] = f.RxtxFactor
	switch {
	case atLeast(r, 75):
		v["swap"] = f.Swap
	case f.Swap == 0:
		v["swap"] = ""
	default:
		v["swap"] = f.Swap
	}
	if withSpecs && atLeast(r, 61) {
		specs := f.ExtraSpecs
		if specs == nil {
			specs = map[string]string{}
		}
		v["extra_specs"] = specs
	}
	return v
}

func (s *Service) listFlavors(detail bool) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p := principal(r)
		q := r.URL.Query()
		limit, marker, err := page(r)
		if err != nil {
			return err
		}
		f := FlavorFilter{SortKey: q.Get("sort_key"), SortDir: q.Get("sort_dir"), Limit: limit, Marker: marker}
		if f.SortKey == "" || f.SortKey == "flavorid" {
			f.SortKey = "flavorid"
		}
		t := true
		f.IsPublic = &t
		if p.IsAdmin() {
			if v, ok := q["is_public"]; ok {
				switch b, valid := strictBool(v[0]); {
				case v[0] == "none" || v[0] == "None":
					f.IsPublic = nil
				case !valid:
					return fault.Invalidf("Invalid is_public filter [%s]", v[0])
				default:
					f.IsPublic = &b
				}
			}
		}
		for param, dst := range map[string]*int64{"minRam": &f.MinRAM, "minDisk": &f.MinDisk} {
			if v := q.Get(param); v != "" {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					return fault.Invalidf("Invalid %s filter [%s]", param, v)
				}
				*dst = n
			}
		}
		withSpecs := detail && atLeast(r, 61)
		var fs []*Flavor
		if limit > 0 { // limit=0 is an empty page, as in Nova
			if fs, err = s.ListFlavors(r.Context(), p, f, withSpecs); err != nil {
				return err
			}
		}
		out := make([]map[string]any, len(fs))
		for i, fl := range fs {
			out[i] = flavorView(r, fl, detail, withSpecs)
		}
		body := map[string]any{"flavors": out}
		coll := "flavors"
		if detail {
			coll = "flavors/detail"
		}
		if len(fs) > 0 {
			if l := nextLinks(r, len(fs), limit, coll, fs[len(fs)-1].ID); l != nil {
				body["flavors_links"] = l
			}
		}
		return httpapi.WriteJSON(w, http.StatusOK, body)
	}
}

func (s *Service) getFlavor(w http.ResponseWriter, r *http.Request) error {
	f, err := s.Flavor(r.Context(), principal(r), r.PathValue("flavor_id"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"flavor": flavorView(r, f, true, true)})
}

func (s *Service) createFlavor(w http.ResponseWriter, r *http.Request) error {
	_, m, err := body(r, "flavor")
	if err != nil {
		return err
	}
	f, err := parseFlavorCreate(r, m)
	if err != nil {
		return err
	}
	if f, err = s.CreateFlavor(r.Context(), f); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"flavor": flavorView(r, f, true, true)})
}

// parseFlavorCreate validates a flavor create body as Nova's schema and
// flavors.create do.
func parseFlavorCreate(r *http.Request, m map[string]any) (*Flavor, error) {
	allowed := []string{"name", "id", "ram", "vcpus", "disk", "OS-FLV-EXT-DATA:ephemeral", "swap", "rxtx_factor", "os-flavor-access:is_public"}
	if atLeast(r, 55) {
		allowed = append(allowed, "description")
	}
	if err := required("flavor", m, "name", "ram", "vcpus", "disk"); err != nil {
		return nil, err
	}
	if err := only("flavor", m, allowed...); err != nil {
		return nil, err
	}
	f := &Flavor{RxtxFactor: 1, IsPublic: true}
	var err error
	if f.Name, _, err = str(m, "name"); err != nil {
		return nil, err
	}
	if err := name("name", f.Name); err != nil {
		return nil, err
	}
	switch id := m["id"].(type) {
	case nil:
	case string:
		if err := length("id", id, 1, 255); err != nil {
			return nil, err
		}
		if !flavorIDRE.MatchString(id) || id[0] == ' ' || id[len(id)-1] == ' ' {
			return nil, schemaErr("id", id, pyRepr(id)+" does not match '^(?! )[a-zA-Z0-9. _-]+(?<! )$'")
		}
		f.ID = id
	case json.Number:
		f.ID = id.String()
	default:
		return nil, schemaErr("id", id, pyRepr(id)+" is not of type 'string', 'number', 'null'")
	}
	for _, fld := range []struct {
		key string
		min int64
		dst *int64
	}{{"ram", 1, &f.MemoryMB}, {"vcpus", 1, &f.VCPUs}, {"disk", 0, &f.RootGB}, {"OS-FLV-EXT-DATA:ephemeral", 0, &f.EphemeralGB}, {"swap", 0, &f.Swap}} {
		if *fld.dst, err = flavorIntField(m, fld.key, fld.key, fld.min, 0); err != nil {
			return nil, err
		}
	}
	if v, ok := m["rxtx_factor"]; ok {
		var x float64
		switch t := v.(type) {
		case json.Number:
			x, err = t.Float64()
		case string:
			x, err = strconv.ParseFloat(t, 64)
		default:
			err = strconv.ErrSyntax
		}
		if err != nil || x <= 0 || x > 3.40282e+38 {
			return nil, fault.Invalidf("Invalid input received: 'rxtx_factor' argument must be a float between 0 and 3.40282e+38")
		}
		f.RxtxFactor = x
	}
	if v, ok := m["os-flavor-access:is_public"]; ok {
		if f.IsPublic, err = boolValue("os-flavor-access:is_public", v); err != nil {
			return nil, err
		}
	}
	if v, ok := m["description"]; ok && v != nil {
		d, isStr := v.(string)
		if !isStr {
			return nil, schemaErr("description", v, pyRepr(v)+" is not of type 'string', 'null'")
		}
		if err := length("description", d, 0, 65535); err != nil {
			return nil, err
		}
		f.Description = &d
	}
	return f, nil
}

func (s *Service) deleteFlavor(w http.ResponseWriter, r *http.Request) error {
	if err := s.DeleteFlavor(r.Context(), r.PathValue("flavor_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

func (s *Service) updateFlavor(w http.ResponseWriter, r *http.Request) error {
	if !atLeast(r, 55) {
		return fault.NotFoundf("The resource could not be found.")
	}
	_, m, err := body(r, "flavor")
	if err != nil {
		return err
	}
	if err := required("flavor", m, "description"); err != nil {
		return err
	}
	if err := only("flavor", m, "description"); err != nil {
		return err
	}
	var desc *string
	if v := m["description"]; v != nil {
		d, ok := v.(string)
		if !ok {
			return schemaErr("description", v, pyRepr(v)+" is not of type 'string', 'null'")
		}
		if err := length("description", d, 0, 65535); err != nil {
			return err
		}
		desc = &d
	}
	f, err := s.SetFlavorDescription(r.Context(), principal(r), r.PathValue("flavor_id"), desc)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"flavor": flavorView(r, f, true, true)})
}
