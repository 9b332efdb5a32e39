package e2e

import (
	"bytes"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/testutil"
)

// startPeer starts a second node on a's database and blob store (its own
// data dir), as nodes sharing PostgreSQL run; under SQLite both open a's
// file. With local blobs each node has its own, and jobs are pinned to the
// node that submitted them.
func startPeer(t *testing.T, a *Node, extraEnv ...string) *Node {
	t.Helper()
	db := a.Database
	if db == "" {
		db = "sqlite:" + filepath.Join(a.DataDir, "stratus.db")
	}
	b := &Node{t: t, DataDir: t.TempDir(), Database: db, Blob: a.Blob, Env: extraEnv}
	b.start()
	t.Cleanup(func() { b.Kill() })
	return b
}

// waitFor polls the status at path (as k) until cond holds.
func (k *k5) waitFor(t *testing.T, path string, cond func(map[string]any) bool) map[string]any {
	t.Helper()
	for i := 0; i < 2400; i++ {
		code, st := k.call(t, "GET", path, nil)
		if code == 200 && cond(st) {
			return st
		}
		time.Sleep(25 * time.Millisecond)
	}
	_, st := k.call(t, "GET", path, nil)
	t.Fatalf("%s: condition never held: %v\n%s", path, st, k.n.Log())
	return nil
}

// importing: the import job is processing (a fast machine may convert
// the whole disk before the job's first progress write).
func importing(st map[string]any) bool {
	return st["import_status"] == "processing"
}

// processing: the job is processing (an export may finish before its
// first progress write).
func processing(st map[string]any) bool {
	return st["export_status"] == "processing" || st["export_status"] == "cancelling"
}

// TestK5ExportCancelAndTakeover: a cancel mid-export stops it and leaves
// no object; when the node running an export dies, another node sharing
// the database accepts the cancel (a second one is 400/40010) and, once
// the dead node's lease expires, finishes the export as canceled.
func TestK5ExportCancelAndTakeover(t *testing.T) {
	a := StartNode(t, "STRATUS_JOB_LEASE=2s")
	b := startPeer(t, a, "STRATUS_JOB_LEASE=2s")
	ka := newK5(t, a, "admin", AdminPassword, "admin")
	kb := &k5{n: b, tok: b.AdminToken(t), proj: ka.proj}
	data := make([]byte, 192<<20)
	rand.Read(data)
	id := imgCreate(t, a, ka.tok, map[string]any{"name": "big", "disk_format": "raw", "container_format": "bare"})
	if code, msg := imgPut(t, a, ka.tok, id, bytes.NewReader(data)); code != 204 {
		t.Fatalf("upload: %d %s", code, msg)
	}
	ka.putObject(t, "out", "keep", []byte("x"))
	body := map[string]any{"image_id": id, "storage_container": "/v1/AUTH_" + ka.proj + "/out"}
	object := "/object-store/v1/AUTH_" + ka.proj + "/out/" + id + ".vmdk"
	const exp = "/import/v1/imageexport/"

	// Cancel mid-export on the node running it.
	_, ex := ka.call(t, "POST", "/import/v1/imageexport", body)
	eid := ex["export_id"].(string)
	ka.waitFor(t, exp+eid+"/status", processing)
	if code, _, b := a.Do(t, "POST", exp+eid+"/cancel", ka.tok, nil); code != 200 {
		t.Fatalf("cancel: %d %s", code, b)
	}
	st := ka.waitStatus(t, exp+eid+"/status", "export_status")
	if st["export_status"] != "canceled" {
		t.Fatalf("after cancel: %v", st)
	}
	if code, _, _ := a.Do(t, "HEAD", object, ka.tok, nil); code != 404 {
		t.Fatalf("a cancelled export left an object: %d", code)
	}

	// The node running the export dies; the other one takes the cancel.
	_, ex = ka.call(t, "POST", "/import/v1/imageexport", body)
	eid = ex["export_id"].(string)
	ka.waitFor(t, exp+eid+"/status", processing)
	_, _, jb := a.Do(t, "GET", "/stratus/v1/jobs/"+eid, ka.tok, nil)
	runner, other, ko := a, b, kb
	if owner := nodeID(t, b); strings.Contains(string(jb), `"lease_owner":"`+owner+`"`) {
		runner, other, ko = b, a, ka
	} else if !strings.Contains(string(jb), `"lease_owner":"`+nodeID(t, a)+`"`) {
		t.Fatalf("export not running on either node: %s", jb)
	}
	runner.Kill()
	if code, _, b := other.Do(t, "POST", exp+eid+"/cancel", ko.tok, nil); code != 200 {
		t.Fatalf("cancel on the peer: %d %s", code, b)
	}
	code, _, msg := other.Do(t, "POST", exp+eid+"/cancel", ko.tok, nil)
	if code != 400 || !strings.Contains(string(msg), `{"error_code":"40010","error_message":"Export_id is already accepted cancelling."}`) {
		t.Fatalf("second cancel: %d %s", code, msg)
	}
	if _, st := ko.call(t, "GET", exp+eid+"/status", nil); st["export_status"] != "cancelling" {
		t.Fatalf("while the dead node's lease runs: %v", st)
	}
	st = ko.waitStatus(t, exp+eid+"/status", "export_status")
	if st["export_status"] != "canceled" {
		t.Fatalf("after the lease expired: %v", st)
	}
}

// TestK5KillMidImport: kill -9 during an import; after the restart the
// job is finished (the image holds exactly the disk) or failed (no
// image), and the image is never active before its job succeeded.
func TestK5KillMidImport(t *testing.T) {
	qemu := testutil.RequireTool(t, "qemu-img")
	dir := t.TempDir()
	data := make([]byte, 128<<20)
	rand.Read(data)
	os.WriteFile(filepath.Join(dir, "d.raw"), data, 0o600)
	if b, err := exec.Command(qemu, "convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized",
		filepath.Join(dir, "d.raw"), filepath.Join(dir, "d.vmdk")).CombinedOutput(); err != nil {
		t.Fatalf("qemu-img: %v %s", err, b)
	}
	vmdk, _ := os.ReadFile(filepath.Join(dir, "d.vmdk"))
	n := StartNode(t)
	k := newK5(t, n, "admin", AdminPassword, "admin")
	loc := k.putObject(t, "disks", "d.vmdk", vmdk)
	imageID := "54294f46-d9fe-45bb-ba5f-0b93a69c4416"
	_, resp := k.call(t, "POST", "/import/v1/imageimport", map[string]any{"name": "k", "location": loc, "id": imageID,
		"checksum": sha1hex(vmdk), "os_type": "Red Hat Enterprise Linux 7"})
	status := "/import/v1/imageimport/" + resp["import_id"].(string) + "/status"
	k.waitFor(t, status, importing)
	if _, im := k.call(t, "GET", "/image/v2/images/"+imageID, nil); im["status"] != "importing" {
		t.Fatalf("mid-import image: %v", im)
	}
	n.Kill()
	n.start()
	k.tok = n.AdminToken(t)
	for {
		code, st := k.call(t, "GET", status, nil)
		icode, im := k.call(t, "GET", "/image/v2/images/"+imageID, nil)
		if code != 200 {
			t.Fatalf("status after restart: %d", code)
		}
		if st["import_status"] != "succeeded" && icode == 200 && im["status"] == "active" {
			t.Fatalf("image active while its import is %v", st["import_status"])
		}
		if st["import_status"] == "failed" {
			if icode != 404 {
				t.Fatalf("failed import left image %v", im)
			}
			t.Logf("import failed after the restart: %v", st["message"])
			return
		}
		if st["import_status"] == "succeeded" {
			if _, got := k.imageData(t, imageID); !bytes.Equal(got, data) {
				t.Fatal("image after the restart differs from the disk")
			}
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// nodeID is the node id in n's data dir.
func nodeID(t *testing.T, n *Node) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(n.DataDir, "node-id"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}
