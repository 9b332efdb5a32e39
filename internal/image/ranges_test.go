package image

import (
	"net/http"
	"testing"

	"github.com/stratus-iaas/stratus/internal/fault"
)

func TestDownloadRange(t *testing.T) {
	const size = 100
	for _, tc := range []struct {
		name, value string
		want        string
		status      int // 0: served
	}{
		{"Range", "", "", 0},
		{"Range", "bytes=0-9", "bytes=0-9", 0},
		{"Range", "bytes=90-", "bytes=90-", 0},
		{"Range", "bytes=-5", "bytes=-5", 0},
		{"Range", "bytes=95-200", "bytes=95-200", 0},
		{"Range", "bytes=0-1,5-6", "", 400},
		{"Range", "bytes=9-8", "", 416},
		{"Range", "items=0-1", "", 416},
		{"Range", "bytes=x-1", "", 416},
		{"Range", "bytes=-0", "", 416},
		{"Range", "bytes=100-", "", 416},
		{"Content-Range", "bytes 10-19/*", "bytes=10-19", 0},
		{"Content-Range", "bytes 10-19/100", "bytes=10-19", 0},
		{"Content-Range", "bytes 90-199/500", "bytes=90-99", 0},
		{"Content-Range", "bytes 90-100/*", "", 416},
		{"Content-Range", "bytes 100-101/200", "", 416},
		{"Content-Range", "bytes 5-4/*", "", 416},
		{"Content-Range", "bytes 0-9/5", "", 416},
		{"Content-Range", "bytes */100", "", 416},
		{"Content-Range", "0-9/100", "", 416},
	} {
		h := http.Header{}
		if tc.value != "" {
			h.Set(tc.name, tc.value)
		}
		got, err := downloadRange(h, size)
		status := 0
		if err != nil {
			status = fault.As(err).HTTPStatus()
		}
		if got != tc.want || status != tc.status {
			t.Errorf("%s: %s: got %q, status %d; want %q, %d", tc.name, tc.value, got, status, tc.want, tc.status)
		}
	}
}
