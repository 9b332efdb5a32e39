package compute

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/diskimage/convert"
	"github.com/stratus-iaas/stratus/internal/hypervisor"
	"github.com/stratus-iaas/stratus/internal/image"
)

// TestServerStateMachine walks a server through Nova's actions and checks
// each state, and that an action the state does not allow is Nova's 409.
func TestServerStateMachine(t *testing.T) {
	e := newEnv(t)
	id := e.boot("alice", "sm", nil)["id"].(string)
	type step struct {
		action           any
		code             int
		status, vm, task string
		power            float64
	}
	conflict := func(action, state string) string {
		return "Cannot '" + action + "' instance " + id + " while it is in vm_state " + state
	}
	for i, st := range []step{
		{map[string]any{"os-stop": nil}, 202, "SHUTOFF", "stopped", "", 4},
		{map[string]any{"os-stop": nil}, 409, "SHUTOFF", "stopped", "", 4},
		{map[string]any{"pause": nil}, 409, "SHUTOFF", "stopped", "", 4},
		{map[string]any{"os-start": nil}, 202, "ACTIVE", "active", "", 1},
		{map[string]any{"reboot": map[string]any{"type": "SOFT"}}, 202, "ACTIVE", "active", "", 1},
		{map[string]any{"reboot": map[string]any{"type": "HARD"}}, 202, "ACTIVE", "active", "", 1},
		{map[string]any{"pause": nil}, 202, "PAUSED", "paused", "", 3},
		{map[string]any{"suspend": nil}, 409, "PAUSED", "paused", "", 3},
		{map[string]any{"unpause": nil}, 202, "ACTIVE", "active", "", 1},
		{map[string]any{"suspend": nil}, 202, "SUSPENDED", "suspended", "", 7},
		{map[string]any{"resume": nil}, 202, "ACTIVE", "active", "", 1},
		{map[string]any{"resize": map[string]any{"flavorRef": "2"}}, 202, "VERIFY_RESIZE", "resized", "", 1},
		{map[string]any{"revertResize": nil}, 202, "ACTIVE", "active", "", 1},
		{map[string]any{"resize": map[string]any{"flavorRef": "2"}}, 202, "VERIFY_RESIZE", "resized", "", 1},
		{map[string]any{"confirmResize": nil}, 204, "ACTIVE", "active", "", 1},
		{map[string]any{"confirmResize": nil}, 409, "ACTIVE", "active", "", 1},
		{map[string]any{"rebuild": map[string]any{"imageRef": imgRaw, "name": "sm2"}}, 202, "ACTIVE", "active", "", 1},
		{map[string]any{"changePassword": map[string]any{"adminPass": "x"}}, 202, "ACTIVE", "active", "", 1},
	} {
		r := e.act("alice", id, st.action)
		if r.Code != st.code {
			t.Fatalf("step %d %v: %d %s", i, st.action, r.Code, r.Body)
		}
		if st.code == 409 && !r.has(`"conflictingRequest"`) {
			t.Fatalf("step %d: %s", i, r.Body)
		}
		v := e.show("alice", id)
		task, _ := v["OS-EXT-STS:task_state"].(string)
		if v["status"] != st.status || v["OS-EXT-STS:vm_state"] != st.vm || task != st.task || v["OS-EXT-STS:power_state"].(float64) != st.power {
			t.Fatalf("step %d %v: %v %v %v %v", i, st.action, v["status"], v["OS-EXT-STS:vm_state"], task, v["OS-EXT-STS:power_state"])
		}
	}
	if v := e.show("alice", id); v["name"] != "sm2" || v["flavor"].(map[string]any)["id"] != "2" {
		t.Fatalf("after rebuild and resize: %v", v)
	}
	e.act("alice", id, map[string]any{"os-stop": nil})
	r := e.act("alice", id, map[string]any{"pause": nil})
	if !r.has(conflict("pause", "stopped")) {
		t.Fatalf("409 body: %s", r.Body)
	}
	// The root disk grew with the resize and stays after a stop.
	if st, err := os.Stat(e.drv.DiskPath(id)); err != nil || st.Size() != 20<<30 {
		t.Fatalf("disk after resize to m1.small: %v %v", st, err)
	}
	for body, msg := range map[string]string{
		``:                                  "There is no such action: None",
		`{"fly": null}`:                     "There is no such action: fly",
		`{"a": 1, "b": 2}`:                  "Malformed request body",
		`{"reboot": {"type": "X"}}`:         "is not one of",
		`{"resize": {"flavorRef": "nope"}}`: "Flavor nope could not be found.",
	} {
		r := e.act("alice", id, body)
		if r.Code != 400 || !r.has(msg) {
			t.Errorf("%q: %d %s", body, r.Code, r.Body)
		}
	}
	r = e.act("alice", id, map[string]any{"rescue": nil})
	if r.Code != 501 {
		t.Fatalf("rescue: %d %s", r.Code, r.Body)
	}
	// Actions record instance actions with their events.
	r = e.must(e.do("GET", "/servers/"+id+"/os-instance-actions", "alice", nil), 200)
	for _, a := range []string{`"action":"create"`, `"action":"stop"`, `"action":"resize"`, `"action":"confirmResize"`, `"action":"rebuild"`} {
		if !r.has(a) {
			t.Fatalf("instance actions lack %s: %s", a, r.Body)
		}
	}
	req := r.JSON(t)["instanceActions"].([]any)[0].(map[string]any)["request_id"].(string)
	r = e.must(e.do("GET", "/servers/"+id+"/os-instance-actions/"+req, "admin", nil), 200)
	if !r.has(`"result":"Success"`) {
		t.Fatalf("action events: %s", r.Body)
	}
	e.must(e.do("GET", "/servers/"+id+"/os-instance-actions/req-nope", "alice", nil), 404)
}

func TestServerLock(t *testing.T) {
	e := newEnv(t)
	id := e.boot("alice", "lk", nil)["id"].(string)
	e.must(e.act("alice", id, map[string]any{"lock": nil}), 202)
	r := e.act("alice", id, map[string]any{"os-stop": nil})
	if r.Code != 409 || !r.has("Instance "+id+" is locked") {
		t.Fatalf("locked stop: %d %s", r.Code, r.Body)
	}
	e.must(e.do("DELETE", "/servers/"+id, "alice", nil), 409)
	if v := e.show("alice", id, mvh("2.9")...); v["locked"] != true {
		t.Fatalf("locked: %v", v["locked"])
	}
	e.must(e.act("admin", id, map[string]any{"os-stop": nil}), 202)
	e.must(e.act("alice", id, map[string]any{"unlock": nil}), 202)
	e.must(e.act("alice", id, map[string]any{"os-start": nil}), 202)
	e.must(e.act("alice", id, map[string]any{"lock": map[string]any{"locked_reason": "maint"}}, mvh("2.73")...), 202)
	if v := e.show("alice", id, mvh("2.73")...); v["locked_reason"] != "maint" {
		t.Fatalf("reason: %v", v["locked_reason"])
	}
}

func TestConsoleOutputAndVNC(t *testing.T) {
	e := newEnv(t)
	id := e.boot("alice", "con", nil)["id"].(string)
	r := e.must(e.act("alice", id, map[string]any{"os-getConsoleOutput": map[string]any{}}), 200)
	out := r.JSON(t)["output"].(string)
	if !strings.Contains(out, "con login:") || !strings.Contains(out, "Linux version") {
		t.Fatalf("console: %q", out)
	}
	r = e.must(e.act("alice", id, map[string]any{"os-getConsoleOutput": map[string]any{"length": 2}}), 200)
	if o := r.JSON(t)["output"].(string); strings.Count(o, "\n") != 1 {
		t.Fatalf("length 2: %q", o)
	}
	r = e.must(e.act("alice", id, map[string]any{"os-getConsoleOutput": map[string]any{"length": "0"}}), 200)
	if r.JSON(t)["output"] != "" {
		t.Fatalf("length 0: %s", r.Body)
	}
	e.must(e.act("alice", id, map[string]any{"os-getConsoleOutput": map[string]any{"length": -2}}), 400)
	r = e.must(e.act("alice", id, map[string]any{"os-getVNCConsole": map[string]any{"type": "novnc"}}), 200)
	if !r.has(`"type":"novnc"`) || !r.has(`/novnc/vnc_lite.html?path=novnc%2Fwebsockify%3Ftoken%3D`) {
		t.Fatalf("vnc: %s", r.Body)
	}
	e.must(e.act("alice", id, map[string]any{"os-getVNCConsole": map[string]any{"type": "novnc"}}, mvh("2.6")...), 404)
	r = e.must(e.do("POST", "/servers/"+id+"/remote-consoles", "alice", map[string]any{"remote_console": map[string]any{"protocol": "vnc", "type": "novnc"}}, mvh("2.6")...), 200)
	if !r.has(`"protocol":"vnc"`) {
		t.Fatalf("remote console: %s", r.Body)
	}
	e.must(e.act("bob", id, map[string]any{"os-getConsoleOutput": map[string]any{}}), 404)
}

// waitImage waits for a snapshot job to end: its image leaves queued and
// the server's task state clears.
func (e *env) waitImage(id string) *image.Image {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		im := e.imgs.get(id)
		if im == nil || (im.Status != image.StatusQueued && im.Status != image.StatusSaving) {
			busy := false
			if im != nil {
				if sid := im.Properties["instance_uuid"]; sid != "" {
					sv, _ := getServerRow(context.Background(), e.svc.r, sid)
					busy = sv != nil && sv.TaskState != nil
				}
			}
			if !busy {
				e.svc.work.idle()
				return im
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.t.Fatalf("image %s still queued", id)
	return nil
}

func TestCreateImageAndBootFromIt(t *testing.T) {
	e := newEnv(t)
	id := e.boot("alice", "snap-src", map[string]any{"metadata": map[string]any{"k": "v"}})["id"].(string)
	r := e.act("alice", id, `{"createImage": {"name": "snap1", "metadata": {"purpose": "test"}}}`)
	if r.Code != 202 || r.Header.Get("Location") == "" || len(r.Body) != 0 {
		t.Fatalf("createImage: %d %v %s", r.Code, r.Header, r.Body)
	}
	imgID := r.Header.Get("Location")[strings.LastIndex(r.Header.Get("Location"), "/")+1:]
	im := e.waitImage(imgID)
	if im == nil || im.Status != image.StatusActive || *im.DiskFormat != "qcow2" {
		t.Fatalf("snapshot image: %+v", im)
	}
	for k, v := range map[string]string{"image_type": "snapshot", "instance_uuid": id, "user_id": "u-alice", "purpose": "test", "os_distro": "debian", "base_image_ref": imgRaw} {
		if im.Properties[k] != v {
			t.Errorf("property %s = %q, want %q (%v)", k, im.Properties[k], v, im.Properties)
		}
	}
	if v := e.show("alice", id); v["OS-EXT-STS:task_state"] != nil || v["status"] != "ACTIVE" {
		t.Fatalf("server after snapshot: %v %v", v["status"], v["OS-EXT-STS:task_state"])
	}
	// The image holds the server's disk: converted back, it is the disk.
	path, _ := e.imgs.path(im.BlobKey)
	back := t.TempDir() + "/back.raw"
	if _, err := convert.ConvertFile(context.Background(), path, back, convert.Options{SrcFormat: "qcow2", DstFormat: "raw"}); err != nil {
		t.Fatal(err)
	}
	if !sameFile(t, back, e.drv.DiskPath(id)) {
		t.Fatal("snapshot differs from the disk")
	}
	// A server booted from the snapshot starts with the same disk.
	v := e.boot("alice", "from-snap", map[string]any{"imageRef": imgID})
	if v["status"] != "ACTIVE" {
		t.Fatalf("server from snapshot: %v", v)
	}
	if !sameFile(t, e.drv.DiskPath(id), e.drv.DiskPath(v["id"].(string))) {
		t.Fatal("disk of the server booted from the snapshot differs")
	}
	// 2.45 answers the image id in the body; a building or deleted server is 409/404.
	r = e.act("alice", id, map[string]any{"createImage": map[string]any{"name": "snap2"}}, mvh("2.45")...)
	if r.Code != 202 || !r.has(`"image_id"`) || r.Header.Get("Location") != "" {
		t.Fatalf("2.45: %d %v %s", r.Code, r.Header, r.Body)
	}
	e.waitImage(r.JSON(t)["image_id"].(string))
	e.must(e.act("alice", id, map[string]any{"createImage": map[string]any{}}), 400)
	e.must(e.act("alice", id, map[string]any{"createImage": map[string]any{"name": "x", "metadata": map[string]any{" ": "v"}}}), 400)
	e.act("alice", id, map[string]any{"pause": nil})
	e.must(e.act("alice", id, map[string]any{"createImage": map[string]any{"name": "paused-snap"}}), 202)
}

// sameFile compares two (sparse) files: sizes, and the bytes wherever
// either has data (holes read as zeros in both).
func sameFile(t *testing.T, a, b string) bool {
	t.Helper()
	fa, err := os.Open(a)
	if err != nil {
		t.Fatal(err)
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		t.Fatal(err)
	}
	defer fb.Close()
	sa, _ := fa.Stat()
	sb, _ := fb.Stat()
	if sa.Size() != sb.Size() {
		return false
	}
	ba, bb := make([]byte, 1<<20), make([]byte, 1<<20)
	for _, ext := range append(dataExtents(fa, sa.Size()), dataExtents(fb, sb.Size())...) {
		for off := ext[0]; off < ext[1]; off += int64(len(ba)) {
			n := min(int64(len(ba)), ext[1]-off)
			na, _ := fa.ReadAt(ba[:n], off)
			nb, _ := fb.ReadAt(bb[:n], off)
			if na != nb || !bytes.Equal(ba[:na], bb[:nb]) {
				return false
			}
		}
	}
	return true
}

// dataExtents lists a file's data regions (the whole file when the
// filesystem cannot tell).
func dataExtents(f *os.File, size int64) [][2]int64 {
	var out [][2]int64
	for off := int64(0); off < size; {
		d, err := f.Seek(off, 3) // SEEK_DATA
		if err != nil {
			if off == 0 && !strings.Contains(err.Error(), "no such device") {
				return [][2]int64{{0, size}}
			}
			break
		}
		h, err := f.Seek(d, 4) // SEEK_HOLE
		if err != nil {
			h = size
		}
		out = append(out, [2]int64{d, h})
		off = h
	}
	return out
}

func TestShelveUnshelve(t *testing.T) {
	e := newEnv(t)
	id := e.boot("alice", "sh", nil)["id"].(string)
	e.must(e.act("alice", id, map[string]any{"shelve": nil}), 202)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if v := e.show("alice", id); v["status"] == "SHELVED_OFFLOADED" {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	v := e.show("admin", id)
	if v["status"] != "SHELVED_OFFLOADED" || v["OS-EXT-SRV-ATTR:host"] != nil {
		t.Fatalf("shelved: %v %v", v["status"], v["OS-EXT-SRV-ATTR:host"])
	}
	if _, err := os.Stat(e.drv.DiskPath(id)); !os.IsNotExist(err) {
		t.Fatal("disk left on the host after offload")
	}
	e.must(e.act("alice", id, map[string]any{"os-start": nil}), 409)
	e.must(e.act("alice", id, map[string]any{"unshelve": nil}), 202)
	if v := e.show("alice", id); v["status"] != "ACTIVE" {
		t.Fatalf("unshelved: %v", v["status"])
	}
	if st, err := os.Stat(e.drv.DiskPath(id)); err != nil || st.Size() != 1<<30 {
		t.Fatalf("disk after unshelve: %v", err)
	}
}

func TestDriverEvents(t *testing.T) {
	e := newEnv(t)
	id := e.boot("alice", "ev", nil)["id"].(string)
	e.svc.HandleEvent(hypervisor.Event{ServerID: id, State: hypervisor.Shutdown})
	e.svc.work.idle()
	if v := e.show("alice", id); v["status"] != "SHUTOFF" || v["OS-EXT-STS:power_state"].(float64) != 4 {
		t.Fatalf("after a guest shutdown: %v %v", v["status"], v["OS-EXT-STS:power_state"])
	}
	e.svc.HandleEvent(hypervisor.Event{ServerID: id, State: hypervisor.Running})
	e.svc.work.idle()
	if v := e.show("alice", id); v["status"] != "ACTIVE" {
		t.Fatalf("after a guest start: %v", v["status"])
	}
}
