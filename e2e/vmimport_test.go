package e2e

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/testutil"
)

// k5 drives the K5 import/export API of a node as one user.
type k5 struct {
	n    *Node
	tok  string
	proj string
}

func newK5(t *testing.T, n *Node, user, password, project string) *k5 {
	t.Helper()
	tok := n.Token(t, user, password, project)
	return &k5{n: n, tok: tok, proj: tokenProject(t, n, tok)}
}

// tokenProject is the project a token is scoped to.
func tokenProject(t *testing.T, n *Node, tok string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", n.URL+"/identity/v3/auth/tokens", nil)
	req.Header.Set("X-Auth-Token", tok)
	req.Header.Set("X-Subject-Token", tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Token struct {
			Project struct{ ID string } `json:"project"`
		} `json:"token"`
	}
	json.NewDecoder(resp.Body).Decode(&body)
	return body.Token.Project.ID
}

// call sends a request and decodes a JSON reply (nil when there is none).
func (k *k5) call(t *testing.T, method, path string, body any) (int, map[string]any) {
	t.Helper()
	code, _, b := k.n.Do(t, method, path, k.tok, body)
	var m map[string]any
	if len(b) > 0 && json.Unmarshal(b, &m) != nil && code < 300 {
		t.Fatalf("%s %s: %d %q", method, path, code, b)
	}
	return code, m
}

// putObject stores data as container/name in the user's account.
func (k *k5) putObject(t *testing.T, container, name string, data []byte) string {
	t.Helper()
	base := "/object-store/v1/AUTH_" + k.proj + "/" + container
	if code, _, b := k.n.Do(t, "PUT", base, k.tok, nil); code != 201 && code != 202 {
		t.Fatalf("container: %d %s", code, b)
	}
	if code, _, b := k.n.Do(t, "PUT", base+"/"+name, k.tok, data); code != 201 {
		t.Fatalf("object: %d %s", code, b)
	}
	return "/v1/AUTH_" + k.proj + "/" + container + "/" + name
}

// waitStatus polls an import or export status until it is final.
func (k *k5) waitStatus(t *testing.T, path, field string) map[string]any {
	t.Helper()
	for i := 0; i < 2400; i++ {
		code, st := k.call(t, "GET", path, nil)
		if code != 200 {
			t.Fatalf("%s: %d %v", path, code, st)
		}
		switch st[field] {
		case "succeeded", "failed", "canceled":
			return st
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never finished", path)
	return nil
}

// testDisks writes a raw disk of mixed content (random, zero and
// repeated blocks) and the VMDKs qemu-img makes of it; it returns their
// paths and the raw image qemu-img reads back from the streamOptimized one.
func testDisks(t *testing.T, dir string, size int) (stream, sparse, raw []byte) {
	t.Helper()
	qemu := testutil.RequireTool(t, "qemu-img")
	data := make([]byte, size)
	for off := 0; off < size; off += 256 << 10 {
		switch (off / (256 << 10)) % 4 {
		case 0:
			rand.Read(data[off:min(off+(128<<10), size)])
		case 2:
			copy(data[off:min(off+(256<<10), size)], bytes.Repeat([]byte("k5 import "), 26215))
		}
	}
	src := filepath.Join(dir, "src.raw")
	os.WriteFile(src, data, 0o600)
	run := func(args ...string) {
		if b, err := exec.Command(qemu, args...).CombinedOutput(); err != nil {
			t.Fatalf("qemu-img %v: %v %s", args, err, b)
		}
	}
	run("convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", src, filepath.Join(dir, "so.vmdk"))
	run("convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=monolithicSparse", src, filepath.Join(dir, "ms.vmdk"))
	run("convert", "-O", "raw", filepath.Join(dir, "so.vmdk"), filepath.Join(dir, "back.raw"))
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return read("so.vmdk"), read("ms.vmdk"), read("back.raw")
}

func sha1hex(b []byte) string { s := sha1.Sum(b); return hex.EncodeToString(s[:]) }

// imageData downloads an image's bytes (404 when there is no image).
func (k *k5) imageData(t *testing.T, id string) (int, []byte) {
	t.Helper()
	code, _, b := k.n.Do(t, "GET", "/image/v2/images/"+id+"/file", k.tok, nil)
	return code, b
}

// TestK5ImportExport: both parameter sets import qemu-img's
// streamOptimized and monolithicSparse VMDKs from object storage into raw
// images equal to qemu-img's conversion; a wrong SHA1 fails with a message
// and leaves no image; an export writes a VMDK that qemu-img reads back as
// the image.
func TestK5ImportExport(t *testing.T) {
	dir := t.TempDir()
	stream, sparse, want := testDisks(t, dir, 6<<20+512)
	n := StartNode(t)
	k := newK5(t, n, "admin", AdminPassword, "admin")
	locSO := k.putObject(t, "disks", "so.vmdk", stream)
	locMS := k.putObject(t, "disks", "ms.vmdk", sparse)
	if code, cat := k.call(t, "GET", "/identity/v3/auth/catalog", nil); code != 200 || !strings.Contains(fmt.Sprint(cat), "vmimport") {
		t.Fatalf("catalog %d %v", code, cat)
	}

	idNew, idOld := "14294f46-d9fe-45bb-ba5f-0b93a69c4416", "24294f46-d9fe-45bb-ba5f-0b93a69c4416"
	imports := map[string]string{}
	for name, body := range map[string]map[string]any{
		idNew: {"name": "so", "location": locSO, "id": idNew, "checksum": sha1hex(stream), "min_ram": 512, "min_disk": 1,
			"os_type": "Red Hat Enterprise Linux 7", "property-hw_disk_bus": "scsi"},
		idOld: {"name": "ms", "location": locMS, "id": idOld, "conversion": true, "os_type": "centos", "disk_format": "raw",
			"container_format": "bare", "user_name": "admin", "password": base64.StdEncoding.EncodeToString([]byte(AdminPassword)),
			"domain_name": "Default", "checksum": sha1hex(sparse)},
	} {
		code, resp := k.call(t, "POST", "/import/v1/imageimport", body)
		if code != 201 || resp["import_id"] == nil {
			t.Fatalf("import %s: %d %v", name, code, resp)
		}
		imports[name] = resp["import_id"].(string)
	}
	for imageID, importID := range imports {
		st := k.waitStatus(t, "/import/v1/imageimport/"+importID+"/status", "import_status")
		if st["import_status"] != "succeeded" || st["progress"] != 100.0 || st["id"] != imageID || st["disk_format"] != "raw" ||
			st["container_format"] != "bare" || st["is_public"] != false || st["password"] != "" {
			t.Fatalf("status %v", st)
		}
		code, got := k.imageData(t, imageID)
		if code != 200 || !bytes.Equal(got, want) {
			t.Fatalf("image %s: %d, %d bytes, equal to qemu-img's raw: %v", imageID, code, len(got), bytes.Equal(got, want))
		}
	}
	_, im := k.call(t, "GET", "/image/v2/images/"+idNew, nil)
	if im["status"] != "active" || im["min_ram"] != 512.0 || im["hw_disk_bus"] != "scsi" || im["os_type"] != "Red Hat Enterprise Linux 7" {
		t.Fatalf("image %v", im)
	}

	// A wrong SHA1: failed with a message, no image.
	bad := "34294f46-d9fe-45bb-ba5f-0b93a69c4416"
	_, resp := k.call(t, "POST", "/import/v1/imageimport", map[string]any{"name": "bad", "location": locSO, "id": bad,
		"checksum": strings.Repeat("0", 40), "os_type": "Red Hat Enterprise Linux 6"})
	st := k.waitStatus(t, "/import/v1/imageimport/"+resp["import_id"].(string)+"/status", "import_status")
	if st["import_status"] != "failed" || !strings.Contains(fmt.Sprint(st["message"]), "SHA1") {
		t.Fatalf("wrong checksum: %v", st)
	}
	if code, _ := k.call(t, "GET", "/image/v2/images/"+bad, nil); code != 404 {
		t.Fatalf("failed import left an image: %d", code)
	}
	code, list := k.call(t, "GET", "/import/v1/imageimport", nil)
	entries := list["imports"].([]any)
	if code != 200 || len(entries) != 3 || entries[0].(map[string]any)["import_id"] != resp["import_id"] ||
		entries[0].(map[string]any)["status"] != "/v1/imageimport/"+resp["import_id"].(string)+"/status" {
		t.Fatalf("list %d %v", code, list)
	}
	if _, page := k.call(t, "GET", "/import/v1/imageimport?start=1&limit=1", nil); len(page["imports"].([]any)) != 1 {
		t.Fatalf("page %v", page)
	}

	// Export: a streamOptimized VMDK qemu-img reads back as the image.
	// To a container that does not exist: refused (TestK5ExportSLO checks the body).
	code, ex := k.call(t, "POST", "/import/v1/imageexport", map[string]any{"image_id": idNew, "storage_container": "/v1/AUTH_" + k.proj + "/out"})
	if code != 400 || ex["error_code"] != "40004" {
		t.Fatalf("export to a missing container: %d %v", code, ex)
	}
	k.putObject(t, "out", "keep", []byte("x"))
	code, ex = k.call(t, "POST", "/import/v1/imageexport", map[string]any{"image_id": idNew, "storage_container": "/v1/AUTH_" + k.proj + "/out"})
	if code != 202 || ex["export_id"] == nil {
		t.Fatalf("export: %d %v", code, ex)
	}
	exportID := ex["export_id"].(string)
	st = k.waitStatus(t, "/import/v1/imageexport/"+exportID+"/status", "export_status")
	if st["export_status"] != "succeeded" || st["progress"] != 100.0 || st["image_name"] != "so" || st["image_id"] != idNew ||
		st["storage_container"] != "/v1/AUTH_"+k.proj+"/out" || st["request_time"] == "" {
		t.Fatalf("export status %v", st)
	}
	code, _, vmdk := n.Do(t, "GET", "/object-store/v1/AUTH_"+k.proj+"/out/"+idNew+".vmdk", k.tok, nil)
	if code != 200 {
		t.Fatalf("exported object: %d", code)
	}
	qemu := testutil.RequireTool(t, "qemu-img")
	os.WriteFile(filepath.Join(dir, "exported.vmdk"), vmdk, 0o600)
	info, err := exec.Command(qemu, "info", "--output=json", filepath.Join(dir, "exported.vmdk")).Output()
	if err != nil || !strings.Contains(string(info), `"streamOptimized"`) {
		t.Fatalf("qemu-img info: %v %s", err, info)
	}
	if b, err := exec.Command(qemu, "convert", "-O", "raw", filepath.Join(dir, "exported.vmdk"), filepath.Join(dir, "exported.raw")).CombinedOutput(); err != nil {
		t.Fatalf("qemu-img convert: %v %s", err, b)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "exported.raw")); !bytes.Equal(got, want) {
		t.Fatal("the exported VMDK does not hold the image")
	}
	code, exl := k.call(t, "GET", "/import/v1/imageexport", nil)
	if e := exl["exports"].([]any); code != 200 || len(e) != 1 || e[0].(map[string]any)["export_status"] != "succeeded" {
		t.Fatalf("export list %d %v", code, exl)
	}
}

// TestK5ImportLargeObjectAndACL: the location may be a large object
// (DLO segments joined) and another project's container the caller may
// read through its ACL; without the ACL the import fails with a message.
func TestK5ImportLargeObjectAndACL(t *testing.T) {
	dir := t.TempDir()
	stream, _, want := testDisks(t, dir, 3<<20)
	n := StartNode(t)
	owner := newK5(t, n, "admin", AdminPassword, "admin")
	half := len(stream) / 2
	owner.putObject(t, "segs", "disk.vmdk/1", stream[:half])
	owner.putObject(t, "segs", "disk.vmdk/2", stream[half:])
	req, _ := http.NewRequest("PUT", n.URL+"/object-store/v1/AUTH_"+owner.proj+"/segs/disk.vmdk", nil)
	req.Header.Set("X-Auth-Token", owner.tok)
	req.Header.Set("X-Object-Manifest", "segs/disk.vmdk/")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 201 {
		t.Fatalf("manifest: %v %v", resp, err)
	}
	loc := "/v1/AUTH_" + owner.proj + "/segs/disk.vmdk"
	_, resp := owner.call(t, "POST", "/import/v1/imageimport", map[string]any{"name": "dlo", "location": loc,
		"checksum": sha1hex(stream), "os_type": "Red Hat Enterprise Linux 7"})
	st := owner.waitStatus(t, "/import/v1/imageimport/"+resp["import_id"].(string)+"/status", "import_status")
	if st["import_status"] != "succeeded" {
		t.Fatalf("DLO import: %v", st)
	}
	if _, got := owner.imageData(t, st["id"].(string)); !bytes.Equal(got, want) {
		t.Fatal("DLO import differs from the disk")
	}

	// Another project: refused without a read ACL, allowed with one.
	imgSecondUser(t, n)
	other := newK5(t, n, "u2", "pw2", "p2")
	body := map[string]any{"name": "acl", "location": loc, "os_type": "Red Hat Enterprise Linux 7"}
	_, resp = other.call(t, "POST", "/import/v1/imageimport", body)
	st = other.waitStatus(t, "/import/v1/imageimport/"+resp["import_id"].(string)+"/status", "import_status")
	if st["import_status"] != "failed" || !strings.Contains(fmt.Sprint(st["message"]), "cannot be read") {
		t.Fatalf("import without an ACL: %v", st)
	}
	req, _ = http.NewRequest("POST", n.URL+"/object-store/v1/AUTH_"+owner.proj+"/segs", nil)
	req.Header.Set("X-Auth-Token", owner.tok)
	req.Header.Set("X-Container-Read", other.proj+":*")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 204 {
		t.Fatalf("ACL: %v %v", resp, err)
	}
	_, resp = other.call(t, "POST", "/import/v1/imageimport", body)
	st = other.waitStatus(t, "/import/v1/imageimport/"+resp["import_id"].(string)+"/status", "import_status")
	if st["import_status"] != "succeeded" {
		t.Fatalf("import with a read ACL: %v", st)
	}
	if _, got := other.imageData(t, st["id"].(string)); !bytes.Equal(got, want) {
		t.Fatal("ACL import differs from the disk")
	}
}
