package image

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// FuzzDownloadRange: whatever the client sends as Range or Content-Range,
// downloadRange answers an error or one range inside the image.
func FuzzDownloadRange(f *testing.F) {
	for _, s := range []string{"bytes=0-9", "bytes=-5", "bytes=5-", "bytes=1-2,3-4", "bytes 0-9/*", "bytes 0-9/100", "bytes 5-1/*", "bytes 0-9223372036854775807/*", "bytes=0-9223372036854775807"} {
		f.Add(s, int64(100))
	}
	f.Fuzz(func(t *testing.T, v string, size int64) {
		if size <= 0 {
			return
		}
		for _, name := range []string{"Range", "Content-Range"} {
			h := http.Header{}
			h.Set(name, v)
			got, err := downloadRange(h, size)
			if err != nil || got == "" {
				continue
			}
			start, end, ok := parseRangeSpec(got)
			if !ok || start >= size || end != -1 && (end <= start || start < 0) {
				t.Fatalf("%s %q of %d: served %q (%d, %d, %v)", name, v, size, got, start, end, ok)
			}
			if name == "Content-Range" {
				a, b, _ := strings.Cut(strings.TrimPrefix(got, "bytes="), "-")
				x, _ := strconv.ParseInt(a, 10, 64)
				y, err := strconv.ParseInt(b, 10, 64)
				if err != nil || x < 0 || y < x || y >= size {
					t.Fatalf("Content-Range %q of %d: served %q", v, size, got)
				}
			}
		}
	})
}
