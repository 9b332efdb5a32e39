package compute

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/volstore"
	"github.com/stratus-iaas/stratus/internal/volume"
)

// withVolumes gives the test service real block storage on the test's
// database, job engine and images.
func withVolumes(t *testing.T, vs **volume.Service) func(*Options) {
	return func(o *Options) {
		store, err := volstore.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		svc, err := volume.New(context.Background(), volume.Options{DB: o.DB, Store: store, Blobs: o.Blobs,
			Images: o.Images, Jobs: o.Jobs, Log: o.Log, Node: "n1"})
		if err != nil {
			t.Fatal(err)
		}
		o.Volumes, *vs = svc, svc
	}
}

// waitVolume waits for a volume's status.
func waitVolume(t *testing.T, vs *volume.Service, token, id, status string) *volume.Volume {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		v, err := vs.Volume(context.Background(), testPrincipals[token], id)
		if err != nil {
			t.Fatal(err)
		}
		if v.Status == status {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("volume %s is %s, want %s", id, v.Status, status)
		}
	}
}

func TestVolumeAttachments(t *testing.T) {
	var vs *volume.Service
	e := newEnv(t, withVolumes(t, &vs))
	ctx := context.Background()
	id := e.boot("alice", "vm", nil)["id"].(string)
	mk := func(dot bool) string {
		v, err := vs.CreateVolume(ctx, testPrincipals["alice"], volume.CreateOpts{Size: 1})
		if err != nil {
			t.Fatal(err)
		}
		waitVolume(t, vs, "alice", v.ID, "available")
		return v.ID
	}
	v1, v2 := mk(false), mk(true)
	path := "/servers/" + id + "/os-volume_attachments"
	r := e.must(e.do("POST", path, "alice", map[string]any{"volumeAttachment": map[string]any{"volumeId": v1}}), 200)
	a := r.JSON(t)["volumeAttachment"].(map[string]any)
	if a["device"] != "/dev/vdb" || a["volumeId"] != v1 || a["serverId"] != id {
		t.Fatalf("attach response %v", a)
	}
	e.must(e.do("POST", path, "alice", map[string]any{"volumeAttachment": map[string]any{"volumeId": v2, "device": "/dev/vdc",
		"delete_on_termination": true}}, mvh("2.79")...), 200)
	e.svc.work.idle()
	if v := waitVolume(t, vs, "alice", v1, "in-use"); v.Attachments[0].ServerID != id {
		t.Fatalf("volume attachment %+v", v.Attachments[0])
	}
	waitVolume(t, vs, "alice", v2, "in-use")
	// The fake driver opened both files, as a guest sees block devices.
	out, err := e.drv.ConsoleOutput(ctx, id, 0)
	if err != nil || !strings.Contains(out, "[vdb] 2097152 512-byte logical blocks (1 GiB, rw, volume "+v1+")") ||
		!strings.Contains(out, "[vdc]") {
		t.Fatalf("console: %v %s", err, out)
	}
	list := e.must(e.do("GET", path, "alice", nil), 200).JSON(t)["volumeAttachments"].([]any)
	if len(list) != 2 {
		t.Fatalf("list %v", list)
	}
	sv := e.show("alice", id, mvh("2.3")...)
	if att := sv["os-extended-volumes:volumes_attached"].([]any); len(att) != 2 || att[1].(map[string]any)["delete_on_termination"] != true {
		t.Fatalf("volumes_attached %v", att)
	}
	// Errors: attached twice, another project's volume, a bad device.
	if r := e.do("POST", path, "alice", map[string]any{"volumeAttachment": map[string]any{"volumeId": v1}}); r.Code != 400 {
		t.Fatalf("attach twice: %d %s", r.Code, r.Body)
	}
	if r := e.do("POST", path, "bob", map[string]any{"volumeAttachment": map[string]any{"volumeId": v1}}); r.Code != 404 {
		t.Fatalf("bob attaches to alice's server: %d %s", r.Code, r.Body)
	}
	if r := e.do("POST", path, "alice", map[string]any{"volumeAttachment": map[string]any{"volumeId": v1, "device": "sdb!"}}); r.Code != 400 {
		t.Fatalf("bad device: %d %s", r.Code, r.Body)
	}
	if r := e.do("GET", path+"/"+"00000000-0000-0000-0000-000000000000", "alice", nil); r.Code != 404 {
		t.Fatalf("show unattached: %d %s", r.Code, r.Body)
	}
	// Detach v1; deleting the server deletes v2 (delete_on_termination).
	e.must(e.do("DELETE", path+"/"+v1, "alice", nil), 202)
	e.svc.work.idle()
	waitVolume(t, vs, "alice", v1, "available")
	e.must(e.do("DELETE", "/servers/"+id, "alice", nil), 204)
	e.svc.work.idle()
	if _, err := vs.Volume(ctx, testPrincipals["alice"], v2); fault.KindOf(err) != fault.NotFound {
		t.Fatalf("delete_on_termination volume after server delete: %v", err)
	}
	if v := waitVolume(t, vs, "alice", v1, "available"); len(v.Attachments) != 0 {
		t.Fatal("detached volume keeps an attachment")
	}
}

// TestBootFromVolume boots a server whose root disk is a volume made from
// an image (K5's only block device mapping), with a blank data volume.
func TestBootFromVolume(t *testing.T) {
	var vs *volume.Service
	e := newEnv(t, withVolumes(t, &vs), func(o *Options) {
		// The volume service reads image bytes from the blob store.
		data, err := os.ReadFile(filepath.Join(o.Images.(*fakeImages).dir, imgRaw))
		if err != nil {
			t.Fatal(err)
		}
		w, err := o.Blobs.Create(context.Background(), imgRaw)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
	})
	bdm := []any{
		map[string]any{"source_type": "image", "destination_type": "volume", "uuid": imgRaw, "boot_index": 0, "volume_size": 1,
			"delete_on_termination": true},
		map[string]any{"source_type": "blank", "destination_type": "volume", "volume_size": "1", "boot_index": -1},
	}
	r := e.must(e.do("POST", "/servers", "alice", map[string]any{"server": map[string]any{"name": "bfv", "flavorRef": "1",
		"block_device_mapping_v2": bdm}}), 202)
	id := r.JSON(t)["server"].(map[string]any)["id"].(string)
	var sv map[string]any
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		e.svc.work.idle()
		sv = e.show("alice", id)
		if sv["status"] != "BUILD" || time.Now().After(deadline) {
			break
		}
	}
	if sv["status"] != "ACTIVE" || sv["image"] != "" {
		t.Fatalf("server %v %v: %v", sv["status"], sv["image"], sv["fault"])
	}
	att := sv["os-extended-volumes:volumes_attached"].([]any)
	if len(att) != 2 {
		t.Fatalf("volumes attached: %v", att)
	}
	root := att[0].(map[string]any)["id"].(string)
	rv, err := vs.Volume(context.Background(), testPrincipals["alice"], root)
	if err != nil || rv.Status != "in-use" || !rv.Bootable || rv.Attachments[0].Mountpoint != "/dev/vda" {
		t.Fatalf("root volume %+v %v", rv, err)
	}
	// The server's disk is the volume: its first bytes are the image's.
	disk, err := os.ReadFile(e.drv.DiskPath(id))
	if err != nil || len(disk) != 1<<30 || !strings.HasPrefix(string(disk[:32]), "stratus test image") {
		t.Fatalf("root disk: %d bytes, %v", len(disk), err)
	}
	if r := e.do("DELETE", "/servers/"+id+"/os-volume_attachments/"+root, "alice", nil); r.Code != 400 {
		t.Fatalf("detach of the root volume: %d %s", r.Code, r.Body)
	}
	if r := e.act("alice", id, map[string]any{"rebuild": map[string]any{"imageRef": imgRaw}}); r.Code != 400 {
		t.Fatalf("rebuild of a volume-backed server: %d %s", r.Code, r.Body)
	}
	data := att[1].(map[string]any)["id"].(string)
	e.must(e.do("DELETE", "/servers/"+id, "alice", nil), 204)
	e.svc.work.idle()
	if _, err := vs.Volume(context.Background(), testPrincipals["alice"], root); fault.KindOf(err) != fault.NotFound {
		t.Fatalf("root volume (delete_on_termination) after server delete: %v", err)
	}
	waitVolume(t, vs, "alice", data, "available")
	// Booting from an image volume needs a size; from a missing volume fails.
	for _, m := range []map[string]any{
		{"source_type": "image", "destination_type": "volume", "uuid": imgRaw, "boot_index": 0},
		{"source_type": "volume", "destination_type": "volume", "uuid": "00000000-0000-0000-0000-000000000000", "boot_index": 0},
		{"source_type": "volume", "destination_type": "volume", "uuid": data, "boot_index": 0}, // not bootable
	} {
		r := e.do("POST", "/servers", "alice", map[string]any{"server": map[string]any{"name": "x", "flavorRef": "1",
			"block_device_mapping_v2": []any{m}}})
		if r.Code != 400 {
			t.Errorf("%v: %d %s", m, r.Code, r.Body)
		}
	}
}

// A shelved-offloaded server takes and gives back volumes in the records
// only; unshelve attaches their files (Nova 2.20).
func TestVolumeAttachShelvedOffloaded(t *testing.T) {
	var vs *volume.Service
	e := newEnv(t, withVolumes(t, &vs))
	ctx := context.Background()
	id := e.boot("alice", "vm", nil)["id"].(string)
	v, err := vs.CreateVolume(ctx, testPrincipals["alice"], volume.CreateOpts{Size: 1})
	if err != nil {
		t.Fatal(err)
	}
	waitVolume(t, vs, "alice", v.ID, "available")
	e.must(e.act("alice", id, map[string]any{"shelve": nil}), 202)
	for deadline := time.Now().Add(20 * time.Second); e.show("alice", id)["OS-EXT-STS:vm_state"] != "shelved_offloaded"; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not offloaded: %v", e.show("alice", id)["OS-EXT-STS:vm_state"])
		}
		e.svc.work.idle()
	}
	path := "/servers/" + id + "/os-volume_attachments"
	e.must(e.do("POST", path, "alice", map[string]any{"volumeAttachment": map[string]any{"volumeId": v.ID}}, mvh("2.20")...), 200)
	e.svc.work.idle()
	waitVolume(t, vs, "alice", v.ID, "in-use")
	e.must(e.act("alice", id, map[string]any{"unshelve": nil}), 202)
	for deadline := time.Now().Add(20 * time.Second); e.show("alice", id)["status"] != "ACTIVE"; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not unshelved: %v", e.show("alice", id)["status"])
		}
		e.svc.work.idle()
	}
	if out, _ := e.drv.ConsoleOutput(ctx, id, 0); !strings.Contains(out, "volume "+v.ID) {
		t.Fatalf("unshelved server lacks the volume: %s", out)
	}
	e.must(e.do("DELETE", path+"/"+v.ID, "alice", nil), 202)
	e.svc.work.idle()
	waitVolume(t, vs, "alice", v.ID, "available")
}
