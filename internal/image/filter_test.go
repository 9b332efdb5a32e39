package image

import (
	"slices"
	"strings"
	"testing"
)

// Every list filter and sort, against a fixed set of images.
func TestListFilters(t *testing.T) {
	e := newEnv(t)
	mk := func(token string, f map[string]any) string { return e.create(token, f) }
	a := mk("alice", map[string]any{"name": "a", "disk_format": "raw", "container_format": "bare", "min_ram": 512})
	mk("alice", map[string]any{"name": "b", "disk_format": "qcow2", "container_format": "bare"})
	mk("alice", map[string]any{"name": "c", "disk_format": "qcow2", "container_format": "ovf", "visibility": "private"})
	mk("bob", map[string]any{"name": "d", "disk_format": "vmdk", "container_format": "bare", "visibility": "community"})
	mk("admin", map[string]any{"name": "e", "disk_format": "raw", "container_format": "bare", "visibility": "public"})
	e.mustCode(e.do("PUT", "/image/v2/images/"+a+"/file", "alice", []byte("0123456789")), 204)

	for _, tc := range []struct{ query, want string }{
		{"status=active", "a"},
		{"status=queued", "b,c,e"},
		{"status=in:active,queued", "a,b,c,e"},
		{"owner=p-alice", "a,b,c"},
		{"owner=p-bob", ""}, // community images are listed only when asked for
		{"owner=p-bob&visibility=community", "d"},
		{"disk_format=qcow2", "b,c"},
		{"disk_format=in:raw,vmdk", "a,e"},
		{"container_format=ovf", "c"},
		{"container_format=in:ovf,bare&disk_format=qcow2", "b,c"},
		{"size_min=10", "a"},
		{"size_min=11", ""},
		{"size_max=9", ""},
		{"size_min=1&size_max=10", "a"},
		{"min_ram=512", "a"},
		{"visibility=private", "c"},
		{"visibility=shared", "a,b"}, // shared is the default visibility, as in Glance
		{"visibility=public", "e"},
		{"visibility=community", "d"},
		{"visibility=all", "a,b,c,d,e"},
		{"visibility=all&sort=disk_format:desc,name:asc", "d,a,e,b,c"},
		{"visibility=all&sort_key=disk_format&sort_key=name&sort_dir=asc&sort_dir=desc", "c,b,e,a,d"},
		{"sort_dir=asc&sort_key=name", "a,b,c,e"},
		{"id=" + a, "a"},
	} {
		m := e.mustCode(e.do("GET", "/image/v2/images?"+tc.query, "alice", nil), 200).JSON(t)
		var got []string
		for _, im := range m["images"].([]any) {
			got = append(got, im.(map[string]any)["name"].(string))
		}
		if !strings.Contains(tc.query, "sort") {
			slices.Sort(got)
		}
		if g := strings.Join(got, ","); g != tc.want {
			t.Errorf("?%s: got %q, want %q", tc.query, g, tc.want)
		}
	}
	for _, bad := range []string{"size_min=x", "size_max=-", "visibility=bogus", "sort=name:sideways", "sort_dir=up", "created_at=gt:yesterday"} {
		e.mustCode(e.do("GET", "/image/v2/images?"+bad, "alice", nil), 400)
	}
}
