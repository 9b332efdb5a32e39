package image

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// NovaRoutes are the Nova image proxy routes (images and image metadata),
// with patterns relative to a compute API root ("/images", ...). The
// compute service mounts them under each of its prefixes; linkBase gives
// the self and bookmark URL prefixes of a request, which the views use.
func (s *Service) NovaRoutes(linkBase func(*http.Request) (self, bookmark string)) []httpapi.Route {
	read := policy.ProjectReader
	withBase := func(h httpapi.HandlerFunc) httpapi.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) error {
			return h(w, r.WithContext(context.WithValue(r.Context(), linkBaseKey{}, linkBase)))
		}
	}
	rts := []httpapi.Route{
		{Method: http.MethodGet, Pattern: "/images", Policy: read, Handler: s.novaList(false)},
		{Method: http.MethodGet, Pattern: "/images/detail", Policy: read, Handler: s.novaList(true)},
		{Method: http.MethodGet, Pattern: "/images/{image_id}", Policy: read, Handler: k5Denied(s.novaGet)},
		{Method: http.MethodDelete, Pattern: "/images/{image_id}", Policy: policy.ProjectMember, Handler: s.novaDelete},
		{Method: http.MethodGet, Pattern: "/images/{image_id}/metadata", Policy: read, Handler: k5Denied(s.novaMetadata)},
		{Method: http.MethodPut, Pattern: "/images/{image_id}/metadata", Policy: read, Handler: k5Denied(s.novaSetMetadata(true))},
		{Method: http.MethodPost, Pattern: "/images/{image_id}/metadata", Policy: read, Handler: k5Denied(s.novaSetMetadata(false))},
		{Method: http.MethodGet, Pattern: "/images/{image_id}/metadata/{key}", Policy: read, Handler: k5Denied(s.novaMetaItem)},
		{Method: http.MethodPut, Pattern: "/images/{image_id}/metadata/{key}", Policy: read, Handler: k5Denied(s.novaSetMetaItem)},
		{Method: http.MethodDelete, Pattern: "/images/{image_id}/metadata/{key}", Policy: read, Handler: k5Denied(s.novaDeleteMetaItem)},
	}
	for i := range rts {
		rts[i].Handler = withBase(rts[i].Handler)
	}
	return rts
}

type linkBaseKey struct{}

// k5Denied reproduces K5's quirk (inventory 0.1 "Role-denial quirks"):
// these image APIs answer a role denial with 500, not 403.
func k5Denied(h httpapi.HandlerFunc) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p := principal(r)
		if r.Method != http.MethodGet && !p.CanWrite() && !p.IsAdmin() {
			return roleDenied()
		}
		err := h(w, r)
		var attr *attrError
		if fault.KindOf(err) == fault.Forbidden && !errors.As(err, &attr) {
			return roleDenied().WithCause(err)
		}
		return err
	}
}

func roleDenied() *fault.Error {
	return fault.Internalf("The server has either erred or is incapable of performing the requested operation.").WithCause(errors.New("K5: role denied"))
}

// novaErr turns Glance-worded faults into Nova's wording.
func novaErr(err error) error {
	if fault.KindOf(err) == fault.NotFound {
		return fault.NotFoundf("Image not found.")
	}
	return err
}

func (s *Service) novaList(detail bool) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		page, err := httpapi.ParsePage(r, 1000, 1000, "Invalid limit")
		if err != nil {
			return err
		}
		o := ListOptions{Limit: page.Limit, Marker: page.Marker, In: map[string][]string{}, Properties: map[string]string{}}
		if v := q.Get("name"); v != "" {
			o.In["name"] = []string{v}
		}
		if v := q.Get("status"); v != "" {
			o.In["status"] = glanceStatuses(v)
		}
		if v := q.Get("changes-since"); v != "" {
			tf, err := ParseTimeFilter("updated_at", "gte:"+v)
			if err != nil {
				return fault.Invalidf("Invalid changes-since value")
			}
			o.Times = append(o.Times, tf)
		}
		if v := q.Get("server"); v != "" {
			o.Properties["instance_uuid"] = path.Base(v)
		}
		// Nova hands minRam/minDisk to Glance v2 as min_ram/min_disk, which
		// Glance compares for equality, and property-<key> as <key>.
		o.Equal = map[string]string{}
		for param, col := range map[string]string{"minRam": "min_ram", "minDisk": "min_disk"} {
			if v := q.Get(param); v != "" {
				o.Equal[col] = v
			}
		}
		for k, vs := range q {
			if key, ok := strings.CutPrefix(k, "property-"); ok && key != "" && len(vs) > 0 {
				o.Properties[key] = vs[0]
			}
		}
		// K5's types (BASE, SERVER, ALL); any other value is Nova's own
		// filter, property image_type (snapshot, backup).
		switch t := q.Get("type"); t {
		case "", "ALL":
		case "SERVER":
			o.Properties["image_type"] = "snapshot"
		case "BASE":
			o.NotProperties = map[string]string{"image_type": "snapshot"}
		default:
			o.Properties["image_type"] = t
		}
		imgs, more, err := s.ListImages(r.Context(), principal(r), o)
		if err != nil {
			if fault.KindOf(err) == fault.Invalid && page.Marker != "" {
				return fault.Invalidf("marker [%s] not found", page.Marker)
			}
			return err
		}
		out := make([]novaImageBody, len(imgs))
		for i, im := range imgs {
			out[i] = novaImage(r, im, detail)
		}
		body := map[string]any{"images": out}
		if more && len(imgs) > 0 {
			q.Set("marker", imgs[len(imgs)-1].ID)
			q.Set("limit", strconv.Itoa(page.Limit))
			self, _ := novaBase(r)
			href := self + "/images"
			if detail {
				href += "/detail"
			}
			body["images_links"] = []novaLink{{Href: href + "?" + encode(q), Rel: "next"}}
		}
		return httpapi.WriteJSON(w, http.StatusOK, body)
	}
}

func encode(q url.Values) string { return q.Encode() }

func (s *Service) novaGet(w http.ResponseWriter, r *http.Request) error {
	im, err := s.Image(r.Context(), principal(r), r.PathValue("image_id"))
	if err != nil {
		return novaErr(err)
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"image": novaImage(r, im, true)})
}

func (s *Service) novaDelete(w http.ResponseWriter, r *http.Request) error {
	err := s.DeleteImage(r.Context(), principal(r), r.PathValue("image_id"))
	if fault.KindOf(err) == fault.Forbidden {
		return fault.Forbiddenf("You are not allowed to delete the image.").WithCause(err)
	}
	if err != nil {
		return novaErr(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) novaMetadata(w http.ResponseWriter, r *http.Request) error {
	im, err := s.Image(r.Context(), principal(r), r.PathValue("image_id"))
	if err != nil {
		return novaErr(err)
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"metadata": im.Properties})
}

// checkMetaWritable refuses metadata changes on images with no checksum
// (K5 1.2.6.15-18: use the Glance PATCH for those).
func (s *Service) checkMetaWritable(r *http.Request) error {
	im, err := s.Image(r.Context(), principal(r), r.PathValue("image_id"))
	if err != nil {
		return novaErr(err)
	}
	if im.Checksum == nil {
		return fault.Conflictf("Metadata cannot be changed for an image that has no checksum; use the image service's Update image (PATCH) instead.")
	}
	return nil
}

func (s *Service) novaSetMetadata(replace bool) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var req struct {
			Metadata map[string]string `json:"metadata"`
		}
		if err := httpapi.DecodeJSON(r, &req); err != nil {
			return err
		}
		if req.Metadata == nil {
			return fault.Invalidf("Malformed request body")
		}
		if err := s.checkMetaWritable(r); err != nil {
			return err
		}
		im, err := s.UpdateProperties(r.Context(), principal(r), r.PathValue("image_id"), req.Metadata, replace, "")
		if err != nil {
			return novaErr(err)
		}
		return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"metadata": im.Properties})
	}
}

func (s *Service) novaMetaItem(w http.ResponseWriter, r *http.Request) error {
	im, err := s.Image(r.Context(), principal(r), r.PathValue("image_id"))
	if err != nil {
		return novaErr(err)
	}
	key := r.PathValue("key")
	v, ok := im.Properties[key]
	if !ok {
		return fault.NotFoundf("Image not found.")
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"meta": map[string]string{key: v}})
}

func (s *Service) novaSetMetaItem(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Meta map[string]string `json:"meta"`
	}
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		return err
	}
	key := r.PathValue("key")
	if len(key) > 255 {
		return fault.Invalidf("Image metadata key too long")
	}
	v, ok := req.Meta[key]
	if !ok {
		return fault.Invalidf("Request body and URI mismatch")
	}
	if len(req.Meta) > 1 {
		return fault.Invalidf("Request body contains too many items")
	}
	if err := s.checkMetaWritable(r); err != nil {
		return err
	}
	if _, err := s.UpdateProperties(r.Context(), principal(r), r.PathValue("image_id"), map[string]string{key: v}, false, ""); err != nil {
		return novaErr(err)
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"meta": map[string]string{key: v}})
}

func (s *Service) novaDeleteMetaItem(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkMetaWritable(r); err != nil {
		return err
	}
	_, err := s.UpdateProperties(r.Context(), principal(r), r.PathValue("image_id"), nil, false, r.PathValue("key"))
	if err != nil {
		if fault.KindOf(err) == fault.NotFound {
			return fault.NotFoundf("Image not found.")
		}
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
