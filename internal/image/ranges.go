package image

import (
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/stratus-iaas/stratus/internal/fault"
)

// downloadRange applies Glance's rules for the byte range of an image
// download (glance/common/wsgi.py get_range_from_request) and returns the
// single Range header to serve, "" for the whole image. Glance serves one
// range only, refuses several with 400, and still accepts the legacy
// Content-Range request header ("bytes 0-99/*") as a range.
func downloadRange(h http.Header, size int64) (string, error) {
	if v := h.Get("Range"); v != "" {
		if strings.Contains(v, ",") {
			return "", fault.Invalidf("Requests with multiple ranges are not supported in Glance. You may make multiple single-range requests instead.")
		}
		start, _, ok := parseRangeSpec(v)
		if !ok {
			return "", unsatisfiable("Invalid Range header.")
		}
		if start >= size {
			return "", unsatisfiable("Invalid start position in Range header. Start position MUST be in the inclusive range [0, %d].", size-1)
		}
		return v, nil
	}
	if v := h.Get("Content-Range"); v != "" {
		start, stop, length, ok := parseContentRange(v)
		if !ok {
			return "", unsatisfiable("Invalid Content-Range header.")
		}
		if length < 0 && stop > size {
			return "", unsatisfiable("Invalid stop position in Content-Range header. The stop position MUST be in the inclusive range [0, %d].", size-1)
		}
		if start >= size {
			return "", unsatisfiable("Invalid start position in Content-Range header. Start position MUST be in the inclusive range [0, %d].", size-1)
		}
		return "bytes=" + strconv.FormatInt(start, 10) + "-" + strconv.FormatInt(min(stop, size)-1, 10), nil
	}
	return "", nil
}

func unsatisfiable(format string, args ...any) error {
	return fault.New(fault.Invalid, format, args...).WithStatus(http.StatusRequestedRangeNotSatisfiable)
}

// parseRangeSpec parses one "bytes=a-b", "bytes=a-" or "bytes=-n" as
// webob's Range.parse does; start is negative for a suffix, end is
// exclusive (-1 when open).
func parseRangeSpec(v string) (start, end int64, ok bool) {
	unit, spec, found := strings.Cut(strings.TrimSpace(v), "=")
	if !found || strings.TrimSpace(unit) != "bytes" {
		return 0, 0, false
	}
	a, b, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, 0, false
	}
	if a == "" { // suffix: the last n bytes
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			return 0, 0, false
		}
		return -n, -1, true
	}
	s, err := strconv.ParseInt(a, 10, 64)
	if err != nil || s < 0 {
		return 0, 0, false
	}
	if b == "" {
		return s, -1, true
	}
	e, err := strconv.ParseInt(b, 10, 64)
	if err != nil || e < s {
		return 0, 0, false
	}
	return s, exclusive(e), true
}

// parseContentRange parses "bytes a-b/len" or "bytes a-b/*" as webob's
// ContentRange.parse does; stop is exclusive, length -1 for "*".
func parseContentRange(v string) (start, stop, length int64, ok bool) {
	unit, rest, found := strings.Cut(strings.TrimSpace(v), " ")
	if !found || unit != "bytes" {
		return 0, 0, 0, false
	}
	rng, total, found := strings.Cut(strings.TrimSpace(rest), "/")
	if !found {
		return 0, 0, 0, false
	}
	a, b, found := strings.Cut(rng, "-")
	if !found {
		return 0, 0, 0, false
	}
	s, err1 := strconv.ParseInt(a, 10, 64)
	e, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || s < 0 || e < s {
		return 0, 0, 0, false
	}
	length = -1
	if total != "*" {
		n, err := strconv.ParseInt(total, 10, 64)
		if err != nil || n <= e {
			return 0, 0, 0, false
		}
		length = n
	}
	return s, exclusive(e), length, true
}

// exclusive is the exclusive end after the last byte e; webob's integers
// do not overflow, so the largest int64 stays the largest.
func exclusive(e int64) int64 {
	if e == math.MaxInt64 {
		return e
	}
	return e + 1
}
