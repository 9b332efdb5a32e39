package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stratus-iaas/stratus/internal/testutil"
)

// TestK5ExportSLO: with 1 MiB export segments, a 3 MiB random image is
// exported as segments in out_segments named as the swift CLI names them
// and an SLO manifest out/{image_id}.vmdk, which downloads whole and which
// qemu-img reads back as the image; a cancel mid-export leaves neither
// manifest nor segments; a container that does not exist is 400/40004 and
// makes no export.
func TestK5ExportSLO(t *testing.T) {
	qemu := testutil.RequireTool(t, "qemu-img")
	const seg = 1 << 20
	n := StartNode(t, fmt.Sprintf("STRATUS_EXPORT_SEGMENT_SIZE=%d", seg))
	k := newK5(t, n, "admin", AdminPassword, "admin")
	data := make([]byte, 3<<20)
	rand.Read(data)
	id := imgCreate(t, n, k.tok, map[string]any{"name": "slo", "disk_format": "raw", "container_format": "bare"})
	if code, msg := imgPut(t, n, k.tok, id, bytes.NewReader(data)); code != 204 {
		t.Fatalf("upload: %d %s", code, msg)
	}
	acct := "/object-store/v1/AUTH_" + k.proj
	const exp = "/import/v1/imageexport"

	// A container that does not exist: refused, and no export is made.
	code, _, body := n.Do(t, "POST", exp, k.tok, map[string]any{"image_id": id, "storage_container": "/v1/AUTH_" + k.proj + "/nope"})
	if code != 400 || string(body) != `{"error_code":"40004","error_message":"Parameter 'storage_container' has invalid value."}` {
		t.Fatalf("export to a missing container: %d %s", code, body)
	}
	if _, l := k.call(t, "GET", exp, nil); len(l["exports"].([]any)) != 0 {
		t.Fatalf("a refused export was listed: %v", l)
	}

	// The export: segments of 1 MiB joined by a manifest.
	k.putObject(t, "out", "keep", []byte("x"))
	code, ex := k.call(t, "POST", exp, map[string]any{"image_id": id, "storage_container": "/v1/AUTH_" + k.proj + "/out"})
	if code != 202 {
		t.Fatalf("export: %d %v", code, ex)
	}
	if st := k.waitStatus(t, exp+"/"+ex["export_id"].(string)+"/status", "export_status"); st["export_status"] != "succeeded" {
		t.Fatalf("export: %v", st)
	}
	code, _, raw := n.Do(t, "GET", acct+"/out/"+id+".vmdk?multipart-manifest=get", k.tok, nil)
	var manifest []struct {
		Name  string `json:"name"`
		Bytes int64  `json:"bytes"`
		Hash  string `json:"hash"`
	}
	if code != 200 || json.Unmarshal(raw, &manifest) != nil || len(manifest) < 4 {
		t.Fatalf("manifest: %d %s", code, raw)
	}
	name := regexp.MustCompile(`^/out_segments/` + id + `\.vmdk/slo/[0-9]+\.000000/1048576/([0-9]{8})$`)
	var total int64
	for i, sg := range manifest {
		m := name.FindStringSubmatch(sg.Name)
		if m == nil || m[1] != fmt.Sprintf("%08d", i) || (i < len(manifest)-1 && sg.Bytes != seg) || sg.Bytes > seg {
			t.Fatalf("segment %d: %+v", i, sg)
		}
		total += sg.Bytes
	}
	code, hdr, vmdk := n.Do(t, "GET", acct+"/out/"+id+".vmdk", k.tok, nil)
	if code != 200 || int64(len(vmdk)) != total || hdr.Get("X-Static-Large-Object") != "True" {
		t.Fatalf("download: %d, %d bytes of %d, %v", code, len(vmdk), total, hdr)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "exported.vmdk"), vmdk, 0o600)
	if b, err := exec.Command(qemu, "convert", "-O", "raw", filepath.Join(dir, "exported.vmdk"), filepath.Join(dir, "exported.raw")).CombinedOutput(); err != nil {
		t.Fatalf("qemu-img convert: %v %s", err, b)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "exported.raw")); !bytes.Equal(got, data) {
		t.Fatal("the exported VMDK does not hold the image")
	}

	// A cancel mid-export of a larger image leaves neither manifest nor segments.
	big := make([]byte, 96<<20)
	rand.Read(big)
	bigID := imgCreate(t, n, k.tok, map[string]any{"name": "big", "disk_format": "raw", "container_format": "bare"})
	if code, msg := imgPut(t, n, k.tok, bigID, bytes.NewReader(big)); code != 204 {
		t.Fatalf("upload: %d %s", code, msg)
	}
	k.putObject(t, "c2", "keep", []byte("x"))
	_, ex = k.call(t, "POST", exp, map[string]any{"image_id": bigID, "storage_container": "/v1/AUTH_" + k.proj + "/c2"})
	eid := ex["export_id"].(string)
	k.waitFor(t, exp+"/"+eid+"/status", processing)
	if code, _, b := n.Do(t, "POST", exp+"/"+eid+"/cancel", k.tok, nil); code != 200 {
		t.Fatalf("cancel: %d %s", code, b)
	}
	if st := k.waitStatus(t, exp+"/"+eid+"/status", "export_status"); st["export_status"] != "canceled" {
		t.Fatalf("after cancel: %v", st)
	}
	if code, _, _ := n.Do(t, "HEAD", acct+"/c2/"+bigID+".vmdk", k.tok, nil); code != 404 {
		t.Fatalf("a cancelled export left its file: %d", code)
	}
	// The segment container is made with the first segment: a cancel that
	// lands before it leaves none (404).
	code, _, list := n.Do(t, "GET", acct+"/c2_segments", k.tok, nil)
	if code == 404 {
		return
	}
	if (code != 200 && code != 204) || strings.TrimSpace(string(list)) != "" {
		t.Fatalf("a cancelled export left segments: %d %s", code, list)
	}
}
