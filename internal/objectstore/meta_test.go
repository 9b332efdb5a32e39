package objectstore

import (
	"fmt"
	"strings"
	"testing"
)

// metaHeaders is n headers "<prefix>K<i>: <value of size bytes>".
func metaHeaders(prefix string, from, n, size int) []string {
	var hs []string
	for i := from; i < from+n; i++ {
		hs = append(hs, fmt.Sprintf("%sK%03d: %s", prefix, i, strings.Repeat("v", size)))
	}
	return hs
}

// TestMetadataLimits: Swift checks MAX_META_COUNT (90) and
// MAX_META_OVERALL_SIZE (4096) per request and again on the merged
// metadata of an account or container (db.py validate_metadata).
func TestMetadataLimits(t *testing.T) {
	e := newEnv(t)
	e.must(201, "PUT", acctA+"/c", "tok-a", "")
	type step struct {
		method, path string
		hdr          []string
		status       int
	}
	const am, cm = "X-Account-Meta-", "X-Container-Meta-"
	// Each "K000" item is 4 bytes of name; 16 of 252-byte values are 4096.
	cases := []struct {
		name  string
		steps []step
		want  string
	}{
		{"account count per request", []step{{"POST", acctA, metaHeaders(am, 0, 91, 1), 400}}, "Too many metadata items; max 90"},
		{"account count merged", []step{
			{"POST", acctA, metaHeaders(am, 0, 90, 1), 204},
			{"POST", acctA, metaHeaders(am, 90, 1, 1), 400},
			{"POST", acctA, append(metaHeaders(am, 90, 1, 1), am+"K000:"), 204}, // one removed, one added
		}, "Too many metadata items; max 90"},
		{"account size merged", []step{
			{"POST", acctA, metaHeaders(am, 1, 90, 0), 204}, // empty values remove all
			{"POST", acctA, metaHeaders(am, 0, 16, 252), 204},
			{"POST", acctA, metaHeaders(am, 16, 1, 1), 400},
			{"POST", acctA, append(metaHeaders(am, 16, 1, 1), "X-Remove-"+am[2:]+"K000: x"), 204},
			{"POST", acctA, metaHeaders(am, 17, 1, 247), 204}, // 3845 + 251
			{"POST", acctA, metaHeaders(am, 18, 1, 0), 204},   // an empty value is no item
			{"POST", acctA, []string{am + "K017: " + strings.Repeat("v", 248)}, 400},
		}, "Total metadata too large; max 4096"},
		{"container size per request", []step{
			{"POST", acctA + "/c", metaHeaders(cm, 0, 16, 252), 204},
			{"POST", acctA + "/c", metaHeaders(cm, 0, 16, 253), 400},
		}, "Total metadata too large; max 4096"},
		{"container size merged", []step{{"POST", acctA + "/c", metaHeaders(cm, 16, 1, 1), 400}}, "Total metadata too large; max 4096"},
		{"container put merged", []step{{"PUT", acctA + "/c", metaHeaders(cm, 16, 1, 1), 400}}, "Total metadata too large; max 4096"},
		{"container put replaces", []step{{"PUT", acctA + "/c", append(metaHeaders(cm, 16, 1, 1), cm+"K000:"), 202}}, ""},
		{"container count merged", []step{
			{"PUT", acctA + "/d", metaHeaders(cm, 0, 90, 1), 201},
			{"POST", acctA + "/d", metaHeaders(cm, 90, 1, 1), 400},
		}, "Too many metadata items; max 90"},
	}
	for _, c := range cases {
		var b string
		for _, s := range c.steps {
			if _, body := e.must(s.status, s.method, s.path, "tok-a", "", s.hdr...); s.status == 400 {
				b = body
			}
		}
		if c.want != "" && b != c.want {
			t.Errorf("%s: %q want %q", c.name, b, c.want)
		}
	}
}
