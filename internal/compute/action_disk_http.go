package compute

import (
	"net/http"
	"net/netip"
	"strings"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

func (s *Service) actRebuild(w http.ResponseWriter, r *http.Request, id string, arg any) error {
	rb, err := parseRebuild(r, arg)
	if err != nil {
		return err
	}
	sv, err := s.Rebuild(r.Context(), principal(r), id, rb, httpapi.RequestID(r.Context()))
	if err != nil {
		return err
	}
	o := updateView(r)
	o.keypair = o.keypair || atLeast(r, 54)
	o.userData = false
	v, err := s.render(r, sv, o)
	if err != nil {
		return err
	}
	v["adminPass"] = rb.adminPass
	if atLeast(r, 57) {
		v["user_data"] = sv.UserData
	}
	w.Header().Set("Location", selfLinks(r, "servers", id)[0].Href)
	return httpapi.WriteJSON(w, http.StatusAccepted, map[string]any{"server": v})
}

func (s *Service) actResize(w http.ResponseWriter, r *http.Request, id string, arg any) error {
	m, err := object("resize", arg)
	if err != nil {
		return err
	}
	if err := required("resize", m, "flavorRef"); err != nil {
		return err
	}
	if err := only("resize", m, "flavorRef", "OS-DCF:diskConfig"); err != nil {
		return err
	}
	ref := ""
	switch f := m["flavorRef"].(type) {
	case string:
		if f == "" {
			return schemaErr("flavorRef", f, "'' is too short")
		}
		ref = idFromHref(f)
	default:
		if !isNumber(f) {
			return schemaErr("flavorRef", f, pyRepr(f)+" is not of type 'string', 'integer'")
		}
		ref = pyRepr(f)
	}
	var dc *string
	if v, ok, err := str(m, "OS-DCF:diskConfig"); err != nil {
		return err
	} else if ok {
		if v != "AUTO" && v != "MANUAL" {
			return schemaErr("OS-DCF:diskConfig", v, pyRepr(v)+" is not one of ['AUTO', 'MANUAL']")
		}
		dc = &v
	}
	if err := s.Resize(r.Context(), principal(r), id, ref, dc, httpapi.RequestID(r.Context())); err != nil {
		return err
	}
	return accepted(w)
}

func (s *Service) actResizeEnd(confirm bool) actionHandler {
	return func(w http.ResponseWriter, r *http.Request, id string, arg any) error {
		key := map[bool]string{true: "confirmResize", false: "revertResize"}[confirm]
		if err := nullOrEmpty(key, arg); err != nil {
			return err
		}
		if err := s.resizeEnd(r.Context(), principal(r), id, confirm, httpapi.RequestID(r.Context())); err != nil {
			return err
		}
		if confirm {
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
		return accepted(w)
	}
}

func (s *Service) actSecurityGroup(add bool) actionHandler {
	return func(w http.ResponseWriter, r *http.Request, id string, arg any) error {
		key := map[bool]string{true: "addSecurityGroup", false: "removeSecurityGroup"}[add]
		m, err := object(key, arg)
		if err != nil {
			return err
		}
		if err := required(key, m, "name"); err != nil {
			return err
		}
		if err := only(key, m, "name"); err != nil {
			return err
		}
		grp, _, err := str(m, "name")
		if err != nil {
			return err
		}
		if strings.TrimSpace(grp) == "" {
			return fault.Invalidf("Security group name cannot be empty")
		}
		p := principal(r)
		if _, err := s.Server(r.Context(), p, id); err != nil {
			return err
		}
		sgs, ok := s.net.(SecurityGroups)
		if !ok {
			return fault.NotImplementedf("Security groups need the network service.")
		}
		if add {
			err = sgs.AddServerSecurityGroup(r.Context(), p, id, grp)
			s.pc.forget(id)
		} else {
			err = sgs.RemoveServerSecurityGroup(r.Context(), p, id, grp)
			s.pc.forget(id)
		}
		if err != nil {
			switch fault.KindOf(err) {
			case fault.NotFound:
				return fault.NotFoundf("%s", faultMessage(err))
			case fault.Invalid, fault.Conflict:
				return fault.Invalidf("%s", faultMessage(err))
			}
			return err
		}
		return accepted(w)
	}
}

// parseRebuild decodes the rebuild action's body (its fields depend on
// the microversion); a missing adminPass is generated.
func parseRebuild(r *http.Request, arg any) (rebuildRequest, error) {
	m, err := object("rebuild", arg)
	if err != nil {
		return rebuildRequest{}, err
	}
	allowed := []string{"imageRef", "name", "adminPass", "metadata", "accessIPv4", "accessIPv6", "OS-DCF:diskConfig", "preserve_ephemeral"}
	if !atLeast(r, 57) {
		allowed = append(allowed, "personality")
	}
	if atLeast(r, 19) {
		allowed = append(allowed, "description")
	}
	if atLeast(r, 54) {
		allowed = append(allowed, "key_name")
	}
	if atLeast(r, 57) {
		allowed = append(allowed, "user_data")
	}
	if atLeast(r, 63) {
		allowed = append(allowed, "trusted_image_certificates")
	}
	if err := required("rebuild", m, "imageRef"); err != nil {
		return rebuildRequest{}, err
	}
	if err := only("rebuild", m, allowed...); err != nil {
		return rebuildRequest{}, err
	}
	var rb rebuildRequest
	if rb.imageRef, _, err = str(m, "imageRef"); err != nil {
		return rebuildRequest{}, err
	}
	if rb.adminPass, _, err = str(m, "adminPass"); err != nil {
		return rebuildRequest{}, err
	}
	if v, ok, err := str(m, "name"); err != nil {
		return rebuildRequest{}, err
	} else if ok {
		if err := name("name", v); err != nil {
			return rebuildRequest{}, err
		}
		rb.name = &v
	}
	if v, ok := m["metadata"]; ok {
		if rb.metadata, err = parseMetadata("metadata", v); err != nil {
			return rebuildRequest{}, err
		}
	}
	for key, dst := range map[string]**string{"accessIPv4": &rb.ipv4, "accessIPv6": &rb.ipv6} {
		if v, ok, err := str(m, key); err != nil {
			return rebuildRequest{}, err
		} else if ok {
			a, perr := netip.ParseAddr(v)
			if perr != nil || (key == "accessIPv4") != a.Is4() {
				return rebuildRequest{}, schemaErr(key, v, pyRepr(v)+" is not a '"+map[string]string{"accessIPv4": "ipv4", "accessIPv6": "ipv6"}[key]+"'")
			}
			v = a.String()
			*dst = &v
		}
	}
	if v, ok, err := str(m, "OS-DCF:diskConfig"); err != nil {
		return rebuildRequest{}, err
	} else if ok {
		if v != "AUTO" && v != "MANUAL" {
			return rebuildRequest{}, schemaErr("OS-DCF:diskConfig", v, pyRepr(v)+" is not one of ['AUTO', 'MANUAL']")
		}
		rb.diskConfig = &v
	}
	if v, ok := m["description"]; ok {
		rb.descSet = true
		if v != nil {
			d, isStr := v.(string)
			if !isStr {
				return rebuildRequest{}, schemaErr("description", v, pyRepr(v)+" is not of type 'string', 'null'")
			}
			rb.desc = &d
		}
	}
	if v, ok := m["key_name"]; ok {
		rb.keySet = true
		if v != nil {
			k, isStr := v.(string)
			if !isStr {
				return rebuildRequest{}, schemaErr("key_name", v, pyRepr(v)+" is not of type 'string', 'null'")
			}
			rb.keyName = &k
		}
	}
	if v, ok := m["user_data"]; ok {
		rb.userSet = true
		if v != nil {
			u, isStr := v.(string)
			if !isStr {
				return rebuildRequest{}, schemaErr("user_data", v, pyRepr(v)+" is not of type 'string', 'null'")
			}
			rb.userData = &u
		}
	}
	if rb.adminPass == "" {
		rb.adminPass = generatePassword()
	}
	return rb, nil
}
