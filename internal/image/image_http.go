package image

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
)

func principal(r *http.Request) *policy.Principal { return policy.FromContext(r.Context()) }

func writeImage(w http.ResponseWriter, status int, im *Image) error {
	var buf bytes.Buffer
	if err := appendImage(&buf, im); err != nil {
		return err
	}
	return writeRaw(w, status, buf.Bytes())
}

func writeRaw(w http.ResponseWriter, status int, b []byte) error {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, err := w.Write(b)
	return err
}

func (s *Service) createImage(w http.ResponseWriter, r *http.Request) error {
	var raw map[string]json.RawMessage
	if err := httpapi.DecodeJSON(r, &raw); err != nil {
		return err
	}
	if raw == nil {
		return fault.Invalidf("Body expected in request.")
	}
	p := principal(r)
	f, err := fieldsFromWire(raw, p.IsAdmin())
	if err != nil {
		return err
	}
	im, err := s.CreateImage(r.Context(), p, f)
	if err != nil {
		return err
	}
	w.Header().Set("Location", httpapi.BaseURL(r)+"/image/v2/images/"+im.ID)
	if s.jobs != nil {
		w.Header().Set(ImportMethodsHeader, strings.Join(ImportMethods, ","))
	}
	return writeImage(w, http.StatusCreated, im)
}

func (s *Service) getImage(w http.ResponseWriter, r *http.Request) error {
	im, err := s.Image(r.Context(), principal(r), r.PathValue("image_id"))
	if err != nil {
		return err
	}
	return writeImage(w, http.StatusOK, im)
}

func (s *Service) updateImage(w http.ResponseWriter, r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if !strings.HasPrefix(ct, "application/openstack-images-v2.1-json-patch") &&
		!strings.HasPrefix(ct, "application/openstack-images-v2.0-json-patch") {
		e := fault.New(fault.UnsupportedMediaType, "Unsupported Content-Type")
		e.Header = http.Header{"Accept-Patch": {"application/openstack-images-v2.0-json-patch, application/openstack-images-v2.1-json-patch"}}
		return e
	}
	var ops []PatchOp
	if strings.HasPrefix(ct, "application/openstack-images-v2.0-json-patch") {
		var raw []map[string]json.RawMessage
		if err := httpapi.DecodeJSON(r, &raw); err != nil {
			return err
		}
		for _, m := range raw {
			op, err := patchOpV20(m)
			if err != nil {
				return err
			}
			ops = append(ops, op)
		}
	} else if err := httpapi.DecodeJSON(r, &ops); err != nil {
		return err
	}
	im, err := s.UpdateImage(r.Context(), principal(r), r.PathValue("image_id"), ops)
	if err != nil {
		return err
	}
	return writeImage(w, http.StatusOK, im)
}

func (s *Service) deleteImage(w http.ResponseWriter, r *http.Request) error {
	if err := s.DeleteImage(r.Context(), principal(r), r.PathValue("image_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) deactivateImage(w http.ResponseWriter, r *http.Request) error {
	if err := s.Deactivate(r.Context(), principal(r), r.PathValue("image_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) reactivateImage(w http.ResponseWriter, r *http.Request) error {
	if err := s.Reactivate(r.Context(), principal(r), r.PathValue("image_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) addTag(w http.ResponseWriter, r *http.Request) error {
	if err := s.AddTag(r.Context(), principal(r), r.PathValue("image_id"), r.PathValue("tag")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) deleteTag(w http.ResponseWriter, r *http.Request) error {
	if err := s.DeleteTag(r.Context(), principal(r), r.PathValue("image_id"), r.PathValue("tag")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listImages serves GET /v2/images.
func (s *Service) listImages(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	o, err := parseListQuery(q)
	if err != nil {
		return err
	}
	imgs, last, more, err := s.listRendered(r.Context(), principal(r), o)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.Grow(1024 * (len(imgs) + 1))
	buf.WriteString(`{"images":[`)
	for i, b := range imgs {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(b)
	}
	buf.WriteString(`],"first":`)
	q.Del("marker")
	first := "/v2/images"
	if len(q) > 0 {
		first += "?" + q.Encode()
	}
	js, _ := json.Marshal(first)
	buf.Write(js)
	if more && last != "" {
		q.Set("marker", last)
		js, _ := json.Marshal("/v2/images?" + q.Encode())
		buf.WriteString(`,"next":`)
		buf.Write(js)
	}
	buf.WriteString(`,"schema":"/v2/schemas/images"}`)
	return writeRaw(w, http.StatusOK, buf.Bytes())
}

// listParams are the query keys that are not property filters.
var listParams = []string{"limit", "marker", "sort", "sort_key", "sort_dir", "visibility", "member_status",
	"tag", "size_min", "size_max", "created_at", "updated_at", "os_hidden", "protected"}

// inColumns accept "in:a,b" lists.
var inColumns = []string{"name", "id", "status", "disk_format", "container_format", "owner"}

func parseListQuery(q url.Values) (ListOptions, error) {
	o := ListOptions{Limit: 25, In: map[string][]string{}, Equal: map[string]string{}, Properties: map[string]string{}}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return o, fault.Invalidf("limit param must be an integer")
		}
		if n < 0 {
			return o, fault.Invalidf("limit param must be positive")
		}
		o.Limit = min(n, 1000)
	}
	o.Marker = q.Get("marker")
	if err := parseSort(q, &o); err != nil {
		return o, err
	}
	o.Visibility = q.Get("visibility")
	if o.Visibility != "" && o.Visibility != "all" && !slices.Contains(visibilities, o.Visibility) {
		return o, fault.Invalidf("Invalid visibility value: %s", o.Visibility)
	}
	o.MemberStatus = q.Get("member_status")
	switch o.MemberStatus {
	case "", "all", MemberPending, MemberAccepted, MemberRejected:
	default:
		return o, fault.Invalidf("Invalid status value: %s", o.MemberStatus)
	}
	o.Tags = q["tag"]
	for _, k := range []string{"size_min", "size_max"} {
		if v := q.Get(k); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return o, fault.Invalidf("Invalid value for option %s: %s", k, v)
			}
			if k == "size_min" {
				o.SizeMin = &n
			} else {
				o.SizeMax = &n
			}
		}
	}
	for _, k := range []string{"created_at", "updated_at"} {
		for _, v := range q[k] {
			tf, err := ParseTimeFilter(k, v)
			if err != nil {
				return o, err
			}
			o.Times = append(o.Times, tf)
		}
	}
	for _, k := range []string{"os_hidden", "protected"} {
		if v := q.Get(k); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return o, fault.Invalidf("Invalid value '%s' for '%s' filter", v, k)
			}
			if k == "os_hidden" {
				o.Hidden = &b
			} else {
				o.Protected = &b
			}
		}
	}
	for k, vs := range q {
		if slices.Contains(listParams, k) || len(vs) == 0 {
			continue
		}
		v := vs[0]
		if slices.Contains(inColumns, k) || k == "visibility" {
			if list, ok := strings.CutPrefix(v, "in:"); ok {
				o.In[k] = splitIn(list)
			} else {
				o.In[k] = []string{strings.TrimPrefix(v, "eq:")}
			}
			continue
		}
		if _, ok := equalColumns[k]; ok {
			o.Equal[k] = v
			continue
		}
		o.Properties[k] = v
	}
	return o, nil
}

// splitIn splits an "in:" list; values may be double-quoted to hold commas.
func splitIn(s string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	for _, c := range s {
		switch {
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteRune(c)
		}
	}
	return append(out, cur.String())
}

func parseSort(q url.Values, o *ListOptions) error {
	if s := q.Get("sort"); s != "" {
		if q.Has("sort_key") || q.Has("sort_dir") {
			return fault.Invalidf("The sort and sort_key/sort_dir parameters cannot be used together.")
		}
		for _, part := range strings.Split(s, ",") {
			k, dir, _ := strings.Cut(strings.TrimSpace(part), ":")
			if err := ParseSortKey(k); err != nil {
				return err
			}
			if dir == "" {
				dir = "desc"
			}
			if dir != "asc" && dir != "desc" {
				return fault.Invalidf("Invalid sort direction: %s", dir)
			}
			o.Sort = append(o.Sort, SortKey{Key: k, Desc: dir == "desc"})
		}
		return nil
	}
	keys, dirs := q["sort_key"], q["sort_dir"]
	if len(dirs) > 1 && len(dirs) != len(keys) {
		return fault.Invalidf("Number of sort dirs does not match the number of sort keys")
	}
	for _, d := range dirs {
		if d != "asc" && d != "desc" {
			return fault.Invalidf("Invalid sort direction: %s", d)
		}
	}
	if len(keys) == 0 && len(dirs) == 1 {
		keys = []string{"created_at"}
	}
	for i, k := range keys {
		if err := ParseSortKey(k); err != nil {
			return err
		}
		dir := "desc"
		if len(dirs) == 1 {
			dir = dirs[0]
		} else if len(dirs) > 1 {
			dir = dirs[i]
		}
		o.Sort = append(o.Sort, SortKey{Key: k, Desc: dir == "desc"})
	}
	return nil
}
