package objectstore

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/stratus-iaas/stratus/internal/fault"
)

// sloKeys are the keys a manifest entry may carry, by the key that gives
// its type (slo.py's SLO_KEYS, in its order).
var sloKeys = []struct {
	kind     string
	optional []string
}{
	{"data", nil},
	{"path", []string{"range", "etag", "size_bytes"}},
}

// parseManifest is slo.py's parse_and_validate_input: it checks every
// entry of a multipart-manifest=put body before any segment is looked at
// and returns all the problems found, one "Index N: ..." line each.
// self is "container/object" of the manifest being written.
func parseManifest(raw []byte, self string) ([]sloPutSegment, []string, error) {
	var entries []json.RawMessage
	if err := json.Unmarshal(raw, &entries); err != nil {
		var v any
		if json.Unmarshal(raw, &v) == nil {
			return nil, nil, fault.Invalidf("Manifest must be a list.\n")
		}
		return nil, nil, fault.Invalidf("Manifest must be valid JSON.\n")
	}
	var errs []string
	fail := func(i int, format string, args ...any) {
		errs = append(errs, fmt.Sprintf("Index %d: ", i)+fmt.Sprintf(format, args...))
	}
	segs := make([]sloPutSegment, 0, len(entries))
	for i, e := range entries {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(e, &m); err != nil || bytes.Equal(bytes.TrimSpace(e), []byte("null")) {
			fail(i, "not a JSON object")
			continue
		}
		kind, allowed := "", map[string]bool{}
		for _, k := range sloKeys {
			if _, ok := m[k.kind]; ok {
				kind, allowed[k.kind] = k.kind, true
				for _, o := range k.optional {
					allowed[o] = true
				}
				break
			}
		}
		if kind == "" {
			fail(i, "expected keys to include one of 'data' or 'path'")
			continue
		}
		var extra []string
		for k := range m {
			if !allowed[k] {
				extra = append(extra, pyJSON(k))
			}
		}
		if len(extra) > 0 {
			sort.Strings(extra)
			fail(i, "extraneous keys %s", strings.Join(extra, ", "))
			continue
		}
		if kind == "data" {
			d, ok := sloData(m["data"])
			switch {
			case !ok:
				fail(i, "data must be valid base64")
			case len(d) < 1:
				fail(i, "too small; each segment must be at least 1 byte.")
			default:
				segs = append(segs, sloPutSegment{Data: d})
			}
			continue
		}
		var sg sloPutSegment
		if json.Unmarshal(m["path"], &sg.Path) != nil {
			fail(i, `"path" must be a string`)
			continue
		}
		if et, ok := m["etag"]; ok && string(et) != "null" {
			var s string
			if json.Unmarshal(et, &s) != nil {
				fail(i, `"etag" must be a string or null (if provided)`)
				continue
			}
			sg.ETag = &s
		}
		if !strings.Contains(strings.Trim(sg.Path, "/"), "/") {
			fail(i, "path does not refer to an object. Path must be of the form /container/object.")
			continue
		}
		if sz, ok := m["size_bytes"]; ok && string(sz) != "null" {
			n, ok := pyInt(sz)
			if !ok {
				fail(i, "invalid size_bytes")
				continue
			}
			if n < 1 && i != len(entries)-1 {
				fail(i, "too small; each segment must be at least 1 byte.")
				continue
			}
			sg.SizeBytes = &n
		}
		if strings.TrimLeft(sg.Path, "/") == self {
			fail(i, "manifest must not include itself as a segment")
			continue
		}
		if rg, ok := m["range"]; ok && string(rg) != "null" {
			if json.Unmarshal(rg, &sg.Range) != nil {
				fail(i, "invalid range")
				continue
			}
			if sg.Range != "" {
				specs, ok := parseRangeSpec(strings.ReplaceAll(sg.Range, " ", ""))
				switch {
				case !ok:
					fail(i, "invalid range")
					continue
				case len(specs) > 1:
					fail(i, "multiple ranges (only one allowed)")
					continue
				case sg.SizeBytes != nil:
					if rs, _ := parseRange("bytes="+sg.Range, *sg.SizeBytes); len(rs) != 1 {
						fail(i, "unsatisfiable range")
						continue
					}
				}
			}
		}
		segs = append(segs, sg)
	}
	if len(entries) > 0 && allData(entries) {
		errs = append(errs, "Inline data segments require at least one object-backed segment.")
	}
	return segs, errs, nil
}

// sloData is swift.common.utils.strict_b64decode of a "data" value: a
// string of base64 characters (padding only at the ends) that decodes.
func sloData(v json.RawMessage) ([]byte, bool) {
	var s string
	if json.Unmarshal(v, &s) != nil {
		return nil, false
	}
	if strings.ContainsFunc(strings.Trim(s, "="), func(r rune) bool {
		return !('0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || r == '+' || r == '/')
	}) {
		return nil, false
	}
	// Not Strict: Python's b64decode ignores the unused bits of the last
	// character, as the standard decoder does.
	d, err := base64.StdEncoding.DecodeString(s)
	return d, err == nil
}

// allData reports whether every entry has a "data" key.
func allData(entries []json.RawMessage) bool {
	for _, e := range entries {
		var m map[string]json.RawMessage
		if json.Unmarshal(e, &m) != nil {
			return false
		}
		if _, ok := m["data"]; !ok {
			return false
		}
	}
	return true
}

// pyInt is Python's int() of a JSON value: integers, floats (truncated),
// booleans and decimal strings.
func pyInt(v json.RawMessage) (int64, bool) {
	var x any
	if json.Unmarshal(v, &x) != nil {
		return 0, false
	}
	switch x := x.(type) {
	case float64:
		if n, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			return n, true
		}
		if math.IsInf(x, 0) || math.IsNaN(x) || math.Abs(x) > math.MaxInt64 {
			return 0, false
		}
		return int64(x), true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		return n, err == nil
	}
	return 0, false
}
