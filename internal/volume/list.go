package volume

import (
	"cmp"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
)

// maxLimit is Cinder's osapi_max_limit.
const maxLimit = 1000

// listQuery is Cinder's pagination and sorting of a collection.
type listQuery struct {
	limit   int // maxLimit when not given
	limited bool
	marker  string
	offset  int
	keys    []string
	dirs    []string
	filters url.Values // what remains of the query
}

// parseListQuery reads limit, marker, offset and sort (or sort_key and
// sort_dir) as Cinder's get_pagination_params and get_sort_params do.
func parseListQuery(q url.Values, sortable []string) (listQuery, error) {
	lq := listQuery{limit: maxLimit, filters: url.Values{}}
	for k, v := range q {
		lq.filters[k] = v
	}
	if s, ok := take(lq.filters, "limit"); ok {
		n, err := strconv.Atoi(s)
		if err != nil {
			return lq, fault.Invalidf("limit param must be an integer")
		}
		if n < 0 {
			return lq, fault.Invalidf("limit param must be positive")
		}
		lq.limit, lq.limited = min(n, maxLimit), true
	}
	lq.marker, _ = take(lq.filters, "marker")
	if s, ok := take(lq.filters, "offset"); ok {
		n, err := strconv.Atoi(s)
		if err != nil {
			return lq, fault.Invalidf("offset must be an integer")
		}
		if n < 0 {
			return lq, fault.Invalidf("offset must be >= 0")
		}
		lq.offset = n
	}
	sort, hasSort := take(lq.filters, "sort")
	key, hasKey := take(lq.filters, "sort_key")
	dir, hasDir := take(lq.filters, "sort_dir")
	if hasSort && (hasKey || hasDir) {
		return lq, fault.Invalidf("The 'sort_key' and 'sort_dir' parameters are deprecated and cannot be used with the 'sort' parameter.")
	}
	if hasSort {
		for _, part := range strings.Split(strings.TrimSpace(sort), ",") {
			k, d, _ := strings.Cut(part, ":")
			if d == "" {
				d = "desc"
			}
			lq.keys, lq.dirs = append(lq.keys, strings.TrimSpace(k)), append(lq.dirs, strings.TrimSpace(d))
		}
	} else {
		if !hasKey {
			key = "created_at"
		}
		if !hasDir {
			dir = "desc"
		}
		lq.keys, lq.dirs = []string{strings.TrimSpace(key)}, []string{strings.TrimSpace(dir)}
	}
	for i, k := range lq.keys {
		if lq.dirs[i] != "asc" && lq.dirs[i] != "desc" {
			return lq, invalidInput("Unknown sort direction, must be 'desc' or 'asc'.")
		}
		if !slices.Contains(sortable, k) {
			return lq, invalidInput("Invalid sort key")
		}
	}
	// Ties are broken by created_at and id, Cinder's default keys.
	for _, k := range []string{"created_at", "id"} {
		if !slices.Contains(lq.keys, k) {
			lq.keys, lq.dirs = append(lq.keys, k), append(lq.dirs, lq.dirs[0])
		}
	}
	return lq, nil
}

func take(q url.Values, k string) (string, bool) {
	if _, ok := q[k]; !ok {
		return "", false
	}
	v := q.Get(k)
	delete(q, k)
	return v, true
}

// compareValues orders field values of one kind.
func compareValues(a, b any) int {
	switch x := a.(type) {
	case string:
		return cmp.Compare(x, b.(string))
	case int64:
		return cmp.Compare(x, b.(int64))
	case time.Time:
		return x.Compare(b.(time.Time))
	case bool:
		y := b.(bool)
		if x == y {
			return 0
		}
		if !x {
			return -1
		}
		return 1
	}
	return 0
}

// paginate sorts items by lq's keys and returns the page after marker (an
// item, which need not be among items: the page starts after where it
// sorts), skipping offset items.
func paginate[T any](items []T, lq listQuery, marker T, hasMarker bool, field func(T, string) any) []T {
	less := func(a, b T) int {
		for i, k := range lq.keys {
			c := compareValues(field(a, k), field(b, k))
			if lq.dirs[i] == "desc" {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	}
	slices.SortStableFunc(items, less)
	start := 0
	if hasMarker {
		start = len(items)
		for i, it := range items {
			if less(it, marker) > 0 {
				start = i
				break
			}
		}
	}
	start = min(start+lq.offset, len(items))
	end := min(start+lq.limit, len(items))
	return items[start:end]
}

// metadataFilter parses Cinder's metadata filter, a Python dict literal
// ("{'k': 'v'}") or JSON object.
func metadataFilter(s string) (map[string]string, bool) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
		return nil, false
	}
	out := map[string]string{}
	body := strings.TrimSpace(s[1 : len(s)-1])
	if body == "" {
		return out, true
	}
	for _, pair := range strings.Split(body, ",") {
		k, v, ok := strings.Cut(pair, ":")
		if !ok {
			return nil, false
		}
		out[unquote(k)] = unquote(v)
	}
	return out, true
}

func unquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && (s[0] == '\'' || s[0] == '"') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

func hasAll(m, want map[string]string) bool {
	for k, v := range want {
		if m[k] != v {
			return false
		}
	}
	return true
}
