package objectstore

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
)

// checkMeta applies Swift's metadata limits to the request's
// <prefix>* headers (prefix like "X-Object-Meta-").
func checkMeta(h http.Header, prefix string) error {
	count, size := 0, 0
	for k, vs := range h {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		key := k[len(prefix):]
		v := strings.Join(vs, ",")
		if key == "" {
			return fault.Invalidf("Metadata name cannot be empty")
		}
		count++
		size += len(key) + len(v)
		if len(key) > maxMetaNameLength {
			return fault.Invalidf("Metadata name too long: %s%s", prefix, key)
		}
		if len(v) > maxMetaValueLength {
			return fault.Invalidf("Metadata value longer than %d: %s%s", maxMetaValueLength, prefix, key)
		}
	}
	return checkMetaTotals(count, size)
}

// checkMetaTotals applies Swift's limits on the number of metadata items
// and on their overall size (names without the prefix, plus values).
func checkMetaTotals(count, size int) error {
	if count > maxMetaCount {
		return fault.Invalidf("Too many metadata items; max %d", maxMetaCount)
	}
	if size > maxMetaOverallSize {
		return fault.Invalidf("Total metadata too large; max %d", maxMetaOverallSize)
	}
	return nil
}

// checkMergedMeta applies the count and overall-size limits to an account's
// or container's metadata after a request merged into it, as Swift's
// DatabaseBroker.validate_metadata does: a request within the limits may
// still take the stored total over them.
func checkMergedMeta(m map[string]string, prefix string) error {
	count, size := 0, 0
	for k, v := range m {
		if v != "" && strings.HasPrefix(k, prefix) {
			count++
			size += len(k) - len(prefix) + len(v)
		}
	}
	return checkMetaTotals(count, size)
}

// mergeMeta applies POST semantics to m: "<prefix>X: v" sets, an empty
// value or "X-Remove-<rest>" deletes. sys lists further headers (without
// the prefix) kept the same way, e.g. X-Container-Read.
func mergeMeta(m map[string]string, h http.Header, prefix string, sys ...string) {
	removePrefix := "X-Remove-" + strings.TrimPrefix(prefix, "X-")
	for k, vs := range h {
		v := strings.Join(vs, ",")
		k = metaKey(k)
		switch {
		case strings.HasPrefix(k, prefix) && len(k) > len(prefix):
			if v == "" {
				delete(m, k)
			} else {
				m[k] = v
			}
		case strings.HasPrefix(k, removePrefix) && len(k) > len(removePrefix):
			delete(m, prefix+k[len(removePrefix):])
		}
	}
	for _, name := range sys {
		if vs, ok := h[name]; ok {
			if v := strings.Join(vs, ","); v == "" {
				delete(m, name)
			} else {
				m[name] = v
			}
		}
		if _, ok := h["X-Remove-"+strings.TrimPrefix(name, "X-")]; ok {
			delete(m, name)
		}
	}
}

// writeMeta copies stored metadata into response headers, but for
// sysmeta, which never leaves the service (Swift's gatekeeper).
func writeMeta(h http.Header, m map[string]string) {
	for k, v := range m {
		if !isSysmeta(k) {
			h[k] = []string{v}
		}
	}
}

// isSysmeta reports whether a stored key is system metadata.
func isSysmeta(k string) bool {
	return strings.HasPrefix(k, "X-Object-Sysmeta-") || strings.HasPrefix(k, "X-Container-Sysmeta-")
}

// swiftTimestamp formats unix micro as Swift's X-Timestamp ("1389453423.35964").
func swiftTimestamp(us int64) string {
	return fmt.Sprintf("%d.%05d", us/1e6, (us%1e6)/10)
}

// lastModified is the HTTP date Swift sends: the timestamp rounded up to
// the second.
func lastModified(us int64) time.Time {
	sec := us / 1e6
	if us%1e6 != 0 {
		sec++
	}
	return time.Unix(sec, 0).UTC()
}

func httpDate(t time.Time) string { return t.UTC().Format(http.TimeFormat) }

// isoTime is the listing format: "2014-01-15T16:41:49.390270".
func isoTime(us int64) string {
	return time.UnixMicro(us).UTC().Format("2006-01-02T15:04:05.000000")
}

func setTimestamp(w http.ResponseWriter, us int64) {
	w.Header().Set("X-Timestamp", swiftTimestamp(us))
}

func truthy(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "1", "yes", "on", "t", "y":
		return true
	}
	return false
}

// deleteAt reads X-Delete-At / X-Delete-After as constraints.py's
// check_delete_headers does: both must be integers (a header sent empty
// is not), After wins, and the time must be after now. set is false when
// neither is sent.
func deleteAt(h http.Header) (at int64, set bool, err error) {
	now := time.Now().Unix()
	if vs, ok := h["X-Delete-After"]; ok {
		n, perr := strconv.ParseInt(strings.TrimSpace(vs[0]), 10, 64)
		if perr != nil {
			return 0, false, fault.Invalidf("Non-integer X-Delete-After")
		}
		if n <= 0 {
			return 0, false, fault.Invalidf("X-Delete-After in past")
		}
		return now + n, true, nil
	}
	if vs, ok := h["X-Delete-At"]; ok {
		n, perr := strconv.ParseInt(strings.TrimSpace(vs[0]), 10, 64)
		if perr != nil {
			return 0, false, fault.Invalidf("Non-integer X-Delete-At")
		}
		if n <= now {
			return 0, false, fault.Invalidf("X-Delete-At in past")
		}
		return n, true, nil
	}
	return 0, false, nil
}

// objectSysHeaders are the system headers an object keeps beside its
// custom metadata.
var objectSysHeaders = []string{"Content-Encoding", "Content-Disposition"}

// metaKey is the stored form of a metadata header: underscores become
// hyphens, as they do on their way through Swift's WSGI stack.
func metaKey(k string) string {
	if strings.Contains(k, "_") {
		return http.CanonicalHeaderKey(strings.ReplaceAll(k, "_", "-"))
	}
	return k
}

// objectMetaFrom builds an object's metadata from a PUT/POST request.
// Unlike account and container metadata, an empty value is kept (Swift
// stores the header as sent); X-Remove-Object-Meta-* drops a name.
func objectMetaFrom(h http.Header) map[string]string {
	m := map[string]string{}
	for k, vs := range h {
		if strings.HasPrefix(k, "X-Object-Meta-") && len(k) > len("X-Object-Meta-") {
			m[metaKey(k)] = strings.Join(vs, ",")
		}
	}
	for k := range h {
		if strings.HasPrefix(k, "X-Remove-Object-Meta-") && len(k) > len("X-Remove-Object-Meta-") {
			delete(m, metaKey("X-Object-Meta-"+k[len("X-Remove-Object-Meta-"):]))
		}
	}
	for _, k := range objectSysHeaders {
		if v := h.Get(k); v != "" {
			m[k] = v
		}
	}
	return m
}
