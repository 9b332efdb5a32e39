package identity

import (
	"net/http"
	"net/url"
	"strings"
)

// List filters, as Keystone's build_driver_hints: a query parameter named
// after a filterable attribute is an exact match ("name=x"); one named
// attr__op with op contains, startswith or endswith (prefixed with i for
// case-insensitive) is an inexact one. Other parameters are ignored.
// Filters are applied to the wire form, so extra attributes and computed
// ones (enabled, domain_id) behave alike.

type listFilter struct {
	attr, op string // op "" is exact
	fold     bool
	value    string
}

var inexactOps = map[string]bool{"contains": true, "startswith": true, "endswith": true, "equals": true}

func parseFilters(q url.Values, allowed []string) []listFilter {
	var out []listFilter
	for key, vals := range q {
		for _, a := range allowed {
			switch {
			case key == a:
				for _, v := range vals {
					out = append(out, listFilter{attr: a, value: v})
				}
			case strings.HasPrefix(key, a+"__"):
				op := strings.TrimPrefix(key, a+"__")
				fold := false
				if strings.HasPrefix(op, "i") {
					fold, op = true, op[1:]
				}
				if !inexactOps[op] {
					continue
				}
				for _, v := range vals {
					out = append(out, listFilter{attr: a, op: op, fold: fold, value: v})
				}
			}
		}
	}
	return out
}

func (f listFilter) match(m map[string]any) bool {
	v, ok := m[f.attr]
	if !ok || v == nil {
		return false
	}
	switch x := v.(type) {
	case bool:
		return f.op == "" && queryBool(f.value) == x
	case string:
		got, want := x, f.value
		if f.fold {
			got, want = strings.ToLower(got), strings.ToLower(want)
		}
		switch f.op {
		case "", "equals":
			return got == want
		case "contains":
			return strings.Contains(got, want)
		case "startswith":
			return strings.HasPrefix(got, want)
		case "endswith":
			return strings.HasSuffix(got, want)
		}
	}
	return false
}

// matchesFilters reports whether a wire entity passes every filter of the
// request on the allowed attributes.
func matchesFilters(r *http.Request, allowed []string, m map[string]any) bool {
	for _, f := range parseFilters(r.URL.Query(), allowed) {
		if !f.match(m) {
			return false
		}
	}
	return true
}
