package image

import (
	"strings"
	"testing"
)

// Every member call checks that the image is shared first, as Glance's
// _check_visibility_and_ownership does: members kept from when an image
// was shared cannot be read or changed once it is private.
func TestMembersOfAnImageNoLongerShared(t *testing.T) {
	e := newEnv(t)
	id := e.create("alice", map[string]any{"name": "s", "visibility": "shared"})
	base := "/image/v2/images/" + id + "/members"
	e.mustCode(e.do("POST", base, "alice", map[string]any{"member": "p-bob"}), 200)
	e.mustCode(e.patch("alice", id, map[string]any{"op": "replace", "path": "/visibility", "value": "private"}), 200)

	for _, tc := range []struct {
		method, path, token string
		body                any
		code                int
		want                string
	}{
		{"GET", base, "alice", nil, 403, "Not allowed to list members for image " + id + ": Only shared images have members."},
		{"GET", base + "/p-bob", "alice", nil, 404, "Only shared images have members."},
		{"POST", base, "alice", map[string]any{"member": "p-carol"}, 403, "Not allowed to create members for image " + id + "."},
		{"PUT", base + "/p-bob", "alice", map[string]any{"status": "accepted"}, 403, "Not allowed to update members for image " + id + "."},
		{"DELETE", base + "/p-bob", "alice", nil, 403, "Not allowed to delete members for image " + id + "."},
	} {
		r := e.mustCode(e.do(tc.method, tc.path, tc.token, tc.body), tc.code)
		if !strings.Contains(string(r.Body), tc.want) {
			t.Errorf("%s %s: %s, want %q", tc.method, tc.path, r.Body, tc.want)
		}
	}
	// Shared again, the member is still there.
	e.mustCode(e.patch("alice", id, map[string]any{"op": "replace", "path": "/visibility", "value": "shared"}), 200)
	if r := e.mustCode(e.do("GET", base+"/p-bob", "alice", nil), 200); !strings.Contains(string(r.Body), `"status": "pending"`) && !strings.Contains(string(r.Body), `"status":"pending"`) {
		t.Fatalf("member after sharing again: %s", r.Body)
	}
}
