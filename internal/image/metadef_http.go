package image

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// Handlers of /v2/metadefs. Bodies are decoded in order and validated
// against Glance's schemas (decodeBody) before the service runs, as
// Glance's deserializers run before its controllers.

func readBody(r *http.Request, schema string) (*jobject, error) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	return decodeBody(raw, schema)
}

// listLimit is Glance's limit parameter: default 25, at most 1000.
func listLimit(q url.Values, dflt int) (int, error) {
	v, ok := q["limit"]
	if !ok {
		return dflt, nil
	}
	n, err := strconv.Atoi(v[0])
	if err != nil {
		return 0, fault.Invalidf("limit param must be an integer")
	}
	if n < 0 {
		return 0, fault.Invalidf("limit param must be positive")
	}
	return min(n, 1000), nil
}

func sortDir(q url.Values) (string, error) {
	d := q.Get("sort_dir")
	if _, ok := q["sort_dir"]; !ok {
		d = "desc"
	}
	if d != "asc" && d != "desc" {
		return "", fault.Invalidf("Invalid sort direction: %s", d)
	}
	return d, nil
}

func (s *Service) listNamespacesHTTP(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	o := NamespaceListOptions{Marker: q.Get("marker"), SortKey: q.Get("sort_key"), Visibility: q.Get("visibility")}
	var err error
	if o.Limit, err = listLimit(q, 25); err != nil {
		return err
	}
	if o.SortDir, err = sortDir(q); err != nil {
		return err
	}
	if o.Visibility != "" && o.Visibility != nsPublic && o.Visibility != nsPrivate {
		return fault.Invalidf("Invalid visibility value: %s", o.Visibility)
	}
	if v := q.Get("resource_types"); v != "" {
		o.ResourceTypes = strings.Split(v, ",")
	}
	list, next, err := s.ListNamespaces(r.Context(), principal(r), o)
	if err != nil {
		return err
	}
	out := make([]nsWire, len(list))
	for i, d := range list {
		out[i] = detailToWire(d)
	}
	q.Del("marker")
	body := map[string]any{"namespaces": out, "schema": "/v2/schemas/metadefs/namespaces", "first": withQuery("/v2/metadefs/namespaces", q)}
	if next && len(list) > 0 {
		q.Set("marker", list[len(list)-1].Name)
		body["next"] = withQuery("/v2/metadefs/namespaces", q)
	}
	return httpapi.WriteJSON(w, http.StatusOK, body)
}

func withQuery(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// detailToWire renders a namespace with what d holds of its contents.
func detailToWire(d *NamespaceDetail) nsWire {
	w := nsToWire(&d.Namespace)
	for _, a := range d.RTs {
		w.RTs = append(w.RTs, rtToWire(a))
	}
	for _, o := range d.Objects {
		w.Objects = append(w.Objects, objToWire(d.Name, o))
	}
	if len(d.Properties) > 0 {
		w.Properties = map[string]json.RawMessage{}
		for _, p := range d.Properties {
			w.Properties[p.Name] = p.Schema
		}
	}
	for _, t := range d.Tags {
		w.Tags = append(w.Tags, tagWire{Name: t.Name})
	}
	return w
}

func (s *Service) createNamespaceHTTP(w http.ResponseWriter, r *http.Request) error {
	b, err := readBody(r, "namespace")
	if err != nil {
		return err
	}
	f, err := namespaceFrom(b)
	if err != nil {
		return err
	}
	ns, err := s.CreateNamespace(r.Context(), principal(r), f)
	if err != nil {
		return err
	}
	// Glance answers with the namespace and the contents as the request gave them.
	d := &NamespaceDetail{Namespace: *ns}
	for i := range f.RTs {
		d.RTs = append(d.RTs, &f.RTs[i])
	}
	for i := range f.Properties {
		d.Properties = append(d.Properties, &f.Properties[i])
	}
	for _, t := range f.Tags {
		d.Tags = append(d.Tags, &MetadefTag{Name: t})
	}
	out := detailToWire(d)
	for i := range f.Objects {
		o := f.Objects[i]
		out.Objects = append(out.Objects, objWire{Name: o.Name, Description: o.Description, Properties: o.Properties, Required: o.Required})
	}
	w.Header().Set("Location", httpapi.BaseURL(r)+"/image"+nsHref(ns.Name))
	return httpapi.WriteJSON(w, http.StatusCreated, out)
}

func (s *Service) getNamespaceHTTP(w http.ResponseWriter, r *http.Request) error {
	d, err := s.Namespace(r.Context(), principal(r), r.PathValue("namespace"), r.URL.Query().Get("resource_type"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, detailToWire(d))
}

func (s *Service) updateNamespaceHTTP(w http.ResponseWriter, r *http.Request) error {
	b, err := readBody(r, "namespace")
	if err != nil {
		return err
	}
	f, err := namespaceFrom(b)
	if err != nil {
		return err
	}
	ns, err := s.UpdateNamespace(r.Context(), principal(r), r.PathValue("namespace"), f)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, nsToWire(ns))
}

func (s *Service) deleteNamespaceHTTP(w http.ResponseWriter, r *http.Request) error {
	return noContent(w, s.DeleteNamespace(r.Context(), principal(r), r.PathValue("namespace")))
}

// deleteContentsHTTP is DELETE .../{objects,properties,tags}.
func (s *Service) deleteContentsHTTP(kind string) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return noContent(w, s.DeleteNamespaceContents(r.Context(), principal(r), r.PathValue("namespace"), kind))
	}
}

func noContent(w http.ResponseWriter, err error) error {
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- resource types ---

func (s *Service) listResourceTypesHTTP(w http.ResponseWriter, r *http.Request) error {
	rts, err := s.ResourceTypes(r.Context(), principal(r))
	if err != nil {
		return err
	}
	out := make([]tagWire, len(rts)) // name, created_at, updated_at: a tag's shape
	for i, rt := range rts {
		out[i] = tagWire{CreatedAt: isoTime(rt.CreatedAt), Name: rt.Name, UpdatedAt: isoTimePtr(rt.UpdatedAt)}
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"resource_types": out})
}

func (s *Service) listAssociationsHTTP(w http.ResponseWriter, r *http.Request) error {
	as, err := s.Associations(r.Context(), principal(r), r.PathValue("namespace"))
	if err != nil {
		return err
	}
	out := make([]rtWire, len(as))
	for i, a := range as {
		out[i] = rtToWire(a)
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"resource_type_associations": out})
}

func (s *Service) associateHTTP(w http.ResponseWriter, r *http.Request) error {
	b, err := readBody(r, "resource_type")
	if err != nil {
		return err
	}
	a := RTAssociation{Name: *strField(b, "name"), Prefix: strField(b, "prefix"), PropertiesTarget: strField(b, "properties_target")}
	got, err := s.Associate(r.Context(), principal(r), r.PathValue("namespace"), a)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusCreated, rtToWire(got))
}

func (s *Service) dissociateHTTP(w http.ResponseWriter, r *http.Request) error {
	return noContent(w, s.Dissociate(r.Context(), principal(r), r.PathValue("namespace"), r.PathValue("resource_type")))
}
