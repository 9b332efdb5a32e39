package httpapi

import (
	"net/http"
	"strconv"

	"github.com/stratus-iaas/stratus/internal/fault"
)

// Page is a marker/limit page request.
type Page struct {
	Marker string
	Limit  int
}

// ParsePage reads ?marker= and ?limit=. A missing limit is def; a limit
// above max is max; a negative or non-numeric limit is a 400 with the
// given message (services quote upstream's text).
func ParsePage(r *http.Request, def, max int, badLimitMsg string) (Page, error) {
	q := r.URL.Query()
	p := Page{Marker: q.Get("marker"), Limit: def}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return p, fault.Invalidf("%s", badLimitMsg)
		}
		p.Limit = n
	}
	if max > 0 && p.Limit > max {
		p.Limit = max
	}
	return p, nil
}
