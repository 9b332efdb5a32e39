package compute

import (
	"context"
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
