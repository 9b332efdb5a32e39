package network

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// collection describes a listable resource: its wire names and which
// attributes filter and sort (is_filter / is_sort_key in Neutron).
type collection struct {
	resource, plural string
	filters, sorts   map[string]bool
}

func keys(s ...string) map[string]bool {
	m := make(map[string]bool, len(s))
	for _, k := range s {
		m[k] = true
	}
	return m
}

// reserved query parameters that are not filters.
var listParams = keys("fields", "sort_key", "sort_dir", "limit", "marker", "page_reverse")

// tagFilters work on every resource with tags.
var tagFilters = keys("tags", "tags-any", "not-tags", "not-tags-any")

// toMap turns a wire struct into the generic form lists filter and trim.
func toMap(v any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		panic(err)
	}
	return m
}

// fieldsOf is the ?fields= list (empty values dropped).
func fieldsOf(r *http.Request) []string {
	var out []string
	for _, f := range r.URL.Query()["fields"] {
		for _, x := range strings.Split(f, ",") {
			if x = strings.TrimSpace(x); x != "" {
				out = append(out, x)
			}
		}
	}
	return out
}

func trimFields(m map[string]any, fields []string) map[string]any {
	if len(fields) == 0 {
		return m
	}
	out := make(map[string]any, len(fields))
	for _, f := range fields {
		if v, ok := m[f]; ok {
			out[f] = v
		}
	}
	return out
}

// writeOne answers one resource, trimmed to ?fields=.
func writeOne(w http.ResponseWriter, r *http.Request, status int, resource string, wire any) error {
	return httpapi.WriteJSON(w, status, map[string]any{resource: trimFields(toMap(wire), fieldsOf(r))})
}

// listQuery is a parsed list request.
type listQuery struct {
	fields      []string
	filters     [][2]string // key, value, in query order
	sortKeys    []string
	sortAsc     []bool
	limit       int
	marker      string
	pageReverse bool
}

func parseListQuery(r *http.Request, c collection) (*listQuery, error) {
	q := r.URL.Query()
	lq := &listQuery{fields: fieldsOf(r), marker: q.Get("marker")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return nil, neutronErr(fault.Invalid, "BadRequest", nil, "Bad limit request: Limit must be an integer 0 or greater and not '%s'.", s)
		}
		lq.limit = n
	}
	lq.pageReverse = strings.EqualFold(q.Get("page_reverse"), "true")
	keys, dirs := nonEmpty(q["sort_key"]), nonEmpty(q["sort_dir"])
	if len(keys) != len(dirs) {
		return nil, badRequest("The number of sort_keys and sort_dirs must be same")
	}
	var badKeys, badDirs []string
	for i, k := range keys {
		if !c.sorts[k] && k != "tenant_id" && k != "project_id" {
			badKeys = append(badKeys, "'"+k+"'")
		}
		if dirs[i] != "asc" && dirs[i] != "desc" {
			badDirs = append(badDirs, "'"+dirs[i]+"'")
		}
		lq.sortKeys, lq.sortAsc = append(lq.sortKeys, k), append(lq.sortAsc, dirs[i] == "asc")
	}
	if len(badKeys) > 0 {
		return nil, badRequest("[%s] is invalid attribute for sort_keys", strings.Join(badKeys, ", "))
	}
	if len(badDirs) > 0 {
		return nil, badRequest("[%s] is invalid value for sort_dirs, valid value is 'asc' and 'desc'", strings.Join(badDirs, ", "))
	}
	var bad []string
	for _, kv := range orderedQuery(r.URL.RawQuery) {
		k := kv[0]
		if listParams[k] {
			continue
		}
		if !c.filters[k] && !tagFilters[k] && k != "tenant_id" && k != "project_id" {
			if !containsStr(bad, "'"+k+"'") {
				bad = append(bad, "'"+k+"'")
			}
			continue
		}
		lq.filters = append(lq.filters, kv)
	}
	if len(bad) > 0 {
		return nil, badRequest("[%s] is invalid attribute for filtering", strings.Join(bad, ", "))
	}
	return lq, nil
}

func nonEmpty(v []string) []string {
	var out []string
	for _, s := range v {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// orderedQuery splits a raw query into key/value pairs in their order.
func orderedQuery(raw string) [][2]string {
	var out [][2]string
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k, err1 := url.QueryUnescape(k)
		v, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			continue
		}
		out = append(out, [2]string{k, v})
	}
	return out
}

// writeList filters, sorts, pages and trims items and writes the
// collection with its _links, as Neutron's native pagination does.
func writeList(w http.ResponseWriter, r *http.Request, c collection, items []map[string]any) error {
	lq, err := parseListQuery(r, c)
	if err != nil {
		return err
	}
	items, err = filterItems(items, lq.filters)
	if err != nil {
		return err
	}
	sortItems(items, lq)
	page := items
	if lq.limit > 0 {
		page = paginate(items, lq)
	}
	out := make([]map[string]any, len(page))
	for i, m := range page {
		out[i] = trimFields(m, lq.fields)
	}
	body := map[string]any{c.plural: out}
	if lq.limit > 0 {
		if links := pageLinks(r, page, lq); len(links) > 0 {
			body[c.plural+"_links"] = links
		}
	}
	return httpapi.WriteJSON(w, http.StatusOK, body)
}

// sortItems orders by the sort keys then id; with neither sort keys nor
// a limit, items keep their creation order.
func sortItems(items []map[string]any, lq *listQuery) {
	if len(lq.sortKeys) == 0 && lq.limit == 0 {
		return
	}
	sort.SliceStable(items, func(i, j int) bool {
		for k, key := range lq.sortKeys {
			c := compareValues(items[i][key], items[j][key])
			if c != 0 {
				return (c < 0) == lq.sortAsc[k]
			}
		}
		return fmt.Sprint(items[i]["id"]) < fmt.Sprint(items[j]["id"])
	})
}

func compareValues(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	if x, ok := a.(json.Number); ok {
		if y, ok := b.(json.Number); ok {
			fx, _ := x.Float64()
			fy, _ := y.Float64()
			switch {
			case fx < fy:
				return -1
			case fx > fy:
				return 1
			}
			return 0
		}
	}
	if x, ok := a.(bool); ok {
		if y, ok := b.(bool); ok {
			switch {
			case x == y:
				return 0
			case !x:
				return -1
			}
			return 1
		}
	}
	return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
}

// paginate takes the page after (or, reversed, before) the marker.
func paginate(items []map[string]any, lq *listQuery) []map[string]any {
	start, end := 0, len(items)
	if lq.marker != "" {
		idx := -1
		for i, m := range items {
			if m["id"] == lq.marker {
				idx = i
				break
			}
		}
		if idx < 0 {
			return []map[string]any{}
		}
		if lq.pageReverse {
			end = idx
		} else {
			start = idx + 1
		}
	}
	if lq.pageReverse {
		if end-start > lq.limit {
			start = end - lq.limit
		}
	} else if end-start > lq.limit {
		end = start + lq.limit
	}
	return items[start:end]
}

// pageLinks is get_pagination_links: next unless a short forward page,
// previous unless a short reversed page.
func pageLinks(r *http.Request, page []map[string]any, lq *listQuery) []linkWire {
	var links []linkWire
	base := httpapi.BaseURL(r) + r.URL.Path
	var params [][2]string
	for _, kv := range orderedQuery(r.URL.RawQuery) {
		if kv[0] != "marker" && kv[0] != "page_reverse" {
			params = append(params, kv)
		}
	}
	enc := func(extra ...[2]string) string {
		var parts []string
		for _, kv := range append(append([][2]string{}, params...), extra...) {
			parts = append(parts, url.QueryEscape(kv[0])+"="+url.QueryEscape(kv[1]))
		}
		return base + "?" + strings.Join(parts, "&")
	}
	idOf := func(m map[string]any) string { return fmt.Sprint(m["id"]) }
	if !(len(page) < lq.limit && !lq.pageReverse) {
		var extra [][2]string
		if len(page) > 0 {
			extra = append(extra, [2]string{"marker", idOf(page[len(page)-1])})
		}
		links = append(links, linkWire{Rel: "next", Href: enc(extra...)})
	}
	if !(len(page) < lq.limit && lq.pageReverse) {
		var extra [][2]string
		if len(page) > 0 {
			extra = append(extra, [2]string{"marker", idOf(page[0])})
		}
		extra = append(extra, [2]string{"page_reverse", "True"})
		links = append(links, linkWire{Rel: "previous", Href: enc(extra...)})
	}
	return links
}
