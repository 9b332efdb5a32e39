package image

import (
	"encoding/binary"
	"strings"
	"testing"
)

// qcow2Image is a minimal qcow2 v2 image of 1 MiB (64 KiB clusters:
// header, refcount table, L1 table), naming backing as its backing file
// when backing is not empty.
func qcow2Image(backing string) []byte {
	const cluster = 1 << 16
	b := make([]byte, 3*cluster)
	be := binary.BigEndian
	copy(b, "QFI\xfb")
	be.PutUint32(b[4:], 2)
	be.PutUint32(b[20:], 16)
	be.PutUint64(b[24:], 1<<20)
	be.PutUint32(b[36:], 1)
	be.PutUint64(b[40:], 2*cluster)
	be.PutUint64(b[48:], cluster)
	be.PutUint32(b[56:], 1)
	if backing != "" {
		be.PutUint64(b[8:], 72)
		be.PutUint32(b[16:], uint32(len(backing)))
		copy(b[72:], backing)
	}
	return b
}

// Issue 11, hole 5: every upload is inspected whatever its container
// format; where the declaration cannot be compared with the bytes, an
// image of another format (which may name other files) is refused.
func TestUploadInspectedWhateverTheContainer(t *testing.T) {
	e := newEnv(t)
	backed, safe := qcow2Image("/etc/passwd"), qcow2Image("")
	archive := []byte(strings.Repeat("an archive's bytes, opaque to the inspector\n", 100))
	for _, tc := range []struct {
		name       string
		disk, cont string
		data       []byte
		want       int
	}{
		{"backed qcow2, bare", "qcow2", "bare", backed, 400},
		{"backed qcow2, ova", "qcow2", "ova", backed, 400},
		{"backed qcow2, docker", "qcow2", "docker", backed, 400},
		{"backed qcow2, compressed", "qcow2", "compressed", backed, 400},
		{"backed qcow2 declared vmdk, ova", "vmdk", "ova", backed, 400},
		{"backed qcow2 declared raw, compressed", "raw", "compressed", backed, 400},
		{"backed qcow2, unknown disk format", "ploop", "bare", backed, 400},
		{"backed qcow2, unknown disk format, ova", "ploop", "ova", backed, 400},
		{"safe qcow2, unknown disk format", "ploop", "bare", safe, 400},
		{"safe qcow2 declared vmdk, ova", "vmdk", "ova", safe, 400},
		{"safe qcow2, ova", "qcow2", "ova", safe, 204},
		{"safe qcow2, compressed", "qcow2", "compressed", safe, 204},
		{"archive, ova", "vmdk", "ova", archive, 204},
		{"archive, docker", "raw", "docker", archive, 204},
		{"archive, compressed", "qcow2", "compressed", archive, 204},
		{"opaque bytes, unknown disk format", "ploop", "bare", archive, 204},
	} {
		id := e.create("alice", map[string]any{"disk_format": tc.disk, "container_format": tc.cont})
		r := e.do("PUT", "/image/v2/images/"+id+"/file", "alice", tc.data)
		if r.Code != tc.want {
			t.Errorf("%s: status %d, want %d: %s", tc.name, r.Code, tc.want, r.Body)
			continue
		}
		m := e.mustCode(e.do("GET", "/image/v2/images/"+id, "alice", nil), 200).JSON(t)
		if want := map[bool]string{true: "active", false: "queued"}[tc.want == 204]; m["status"] != want {
			t.Errorf("%s: status %v, want %s", tc.name, m["status"], want)
		}
	}
}
