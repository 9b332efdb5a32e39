package compute

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
)

// maxLimit is Nova's [api] max_limit: the largest page.
const maxLimit = 1000

type link struct {
	Rel  string `json:"rel"`
	Href string `json:"href"`
	Type string `json:"type,omitempty"`
}

// selfLinks are a resource's self and bookmark links.
func selfLinks(r *http.Request, collection, id string) []link {
	self, bookmark := links(r)
	return []link{
		{Rel: "self", Href: self + "/" + collection + "/" + url.PathEscape(id)},
		{Rel: "bookmark", Href: bookmark + "/" + collection + "/" + url.PathEscape(id)},
	}
}

// bookmarkLink is the one bookmark link Nova puts in embedded references.
func bookmarkLink(r *http.Request, collection, id string) []link {
	_, bookmark := links(r)
	return []link{{Rel: "bookmark", Href: bookmark + "/" + collection + "/" + url.PathEscape(id)}}
}

// nextLinks is Nova's _get_collection_links: a "next" link when the page
// is full, carrying the request's query (sorted) with the last id as marker.
func nextLinks(r *http.Request, n, limit int, collection, lastID string) []link {
	if limit <= 0 || n != limit {
		return nil
	}
	q := r.URL.Query()
	q.Set("marker", lastID)
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(k) + "=" + url.QueryEscape(q.Get(k)))
	}
	self, _ := links(r)
	return []link{{Rel: "next", Href: self + "/" + collection + "?" + b.String()}}
}

// page reads limit and marker as Nova's get_limit_and_marker: a limit is
// a non-negative integer, capped at maxLimit (none means maxLimit; 0 is an
// empty page).
func page(r *http.Request) (limit int, marker string, err error) {
	q := r.URL.Query()
	limit = maxLimit
	if s, ok := q["limit"]; ok {
		n, perr := strconv.Atoi(strings.TrimSpace(s[0]))
		if perr != nil {
			return 0, "", fault.Invalidf("Invalid input received: limit must be an integer")
		}
		if n < 0 {
			return 0, "", fault.Invalidf("Invalid input received: limit must be >= 0")
		}
		limit = min(n, maxLimit)
	}
	return limit, q.Get("marker"), nil
}

// isotime is Nova's utils.isotime: seconds, "Z".
func isotime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// naiveTime is str() of a naive datetime, how Nova prints
// OS-SRV-USG:launched_at and instance-action times.
func naiveTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000") }

// parseTime reads the ISO 8601 times Nova's filters take.
func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04:05.999999", "2006-01-02T15:04:05Z0700", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// idFromHref is Nova's get_id_from_href: the last path segment of a URL
// or the value itself.
func idFromHref(href string) string {
	if u, err := url.Parse(href); err == nil && u.Path != "" {
		href = u.Path
	}
	if i := strings.LastIndexByte(href, '/'); i >= 0 {
		return href[i+1:]
	}
	return href
}
