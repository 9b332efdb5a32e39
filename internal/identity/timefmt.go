package identity

import (
	"strings"
	"time"
)

// parseExpiration reads a client's expires_at as Keystone's
// parse_expiration_date does: ISO 8601, UTC when no zone is given, not in
// the past. It returns unix microseconds.
func parseExpiration(s string, now time.Time) (int64, error) {
	if !strings.HasSuffix(s, "Z") && !hasZone(s) {
		s += "Z"
	}
	var t time.Time
	var err error
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05.999999999Z0700", "2006-01-02Z07:00"} {
		if t, err = time.Parse(layout, s); err == nil {
			break
		}
	}
	if err != nil {
		return 0, validationErrorText("Timestamp not in expected format.")
	}
	if t.Before(now) {
		return 0, validationErrorText("The 'expires_at' must not be before now.")
	}
	return t.UnixMicro(), nil
}

// hasZone reports whether an ISO 8601 time ends in a numeric zone.
func hasZone(s string) bool {
	i := strings.LastIndexAny(s, "+-")
	return i > 10 && strings.Contains(s[i:], ":") || (i > 10 && len(s)-i == 5)
}

// isoMicro is Keystone's isotime(subsecond=True): microseconds and Z.
func isoMicro(us int64) string { return isoTime(time.UnixMicro(us)) }

// pyISO is Python's datetime.isoformat() of a naive UTC time, as Keystone
// renders application credentials' expires_at: no zone, microseconds
// only when not zero.
func pyISO(us int64) string {
	t := time.UnixMicro(us).UTC()
	if t.Nanosecond() == 0 {
		return t.Format("2006-01-02T15:04:05")
	}
	return t.Format("2006-01-02T15:04:05.000000")
}
