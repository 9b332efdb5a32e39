package e2e

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/diskimage/convert"
	"github.com/stratus-iaas/stratus/internal/volstore"
)

// volProject is the project a token is scoped to.
func volProject(t testing.TB, n *Node, token string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", n.URL+"/identity/v3/auth/tokens", nil)
	req.Header.Set("X-Auth-Token", token)
	req.Header.Set("X-Subject-Token", token)
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
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Token.Project.ID == "" {
		t.Fatalf("token project: %v", err)
	}
	return body.Token.Project.ID
}

// volWait runs `openstack <kind> show id` until its status is want.
func volWait(t *testing.T, n *Node, kind, id, want string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		args := append(strings.Fields(kind), "show", id, "-f", "json")
		m := imgJSON(t, n.MustOpenStack(t, args...))
		if m["status"] == want {
			return m
		}
		if m["status"] == "error" || time.Now().After(deadline) {
			t.Fatalf("%s %s is %v, want %s", kind, id, m["status"], want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// volFile is the raw file of a volume in the node's data dir.
func volFile(n *Node, id string) string { return filepath.Join(n.DataDir, "volumes", "volume-"+id) }

// volDigest is a digest of a raw disk's logical content (size and
// non-zero 4 KiB blocks with their offsets), read through its data extents.
func volDigest(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	exts, err := volstore.DataExtents(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "size %d\n", st.Size())
	block, zero := make([]byte, 4096), make([]byte, 4096)
	for _, x := range exts {
		for off := x.Off &^ 4095; off < x.Off+x.Len; off += 4096 {
			k, _ := f.ReadAt(block, off)
			if string(block[:k]) != string(zero[:k]) {
				fmt.Fprintf(h, "%d:", off)
				h.Write(block[:k])
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// volRawOf converts an image file to raw, padded to size bytes.
func volRawOf(t *testing.T, src, format string, size int64) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "raw")
	if _, err := convert.ConvertFile(context.Background(), src, out, convert.Options{SrcFormat: format, DstFormat: "raw"}); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(out, size); err != nil {
		t.Fatal(err)
	}
	return out
}

func volMD5(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := md5.New()
	io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil))
}

// TestVolumeCLI drives block storage with Debian's openstack CLI: types,
// blank and image-backed volumes, snapshots, volumes from snapshots,
// extend, upload to an image, isolation and delete.
func TestVolumeCLI(t *testing.T) {
	t.Parallel()
	n := StartNode(t)
	dir := t.TempDir()
	if out := n.MustOpenStack(t, "volume", "type", "list", "-f", "value", "-c", "Name"); !strings.Contains(out, "__DEFAULT__") {
		t.Fatalf("volume type list: %s", out)
	}
	// QoS specs, associated with a type (kept and shown, not enforced).
	n.MustOpenStack(t, "volume", "qos", "create", "--consumer", "front-end", "--property", "read_iops_sec=2000", "gold")
	n.MustOpenStack(t, "volume", "type", "create", "fast")
	n.MustOpenStack(t, "volume", "qos", "associate", "gold", "fast")
	if out := n.MustOpenStack(t, "volume", "qos", "show", "gold", "-f", "json"); !strings.Contains(out, "fast") || !strings.Contains(out, "read_iops_sec") {
		t.Fatalf("volume qos show: %s", out)
	}
	if out, err := n.OpenStack(t, nil, "volume", "qos", "delete", "gold"); err == nil {
		t.Fatalf("qos delete while associated: %s", out)
	}
	n.MustOpenStack(t, "volume", "qos", "delete", "--force", "gold")
	n.MustOpenStack(t, "volume", "type", "delete", "fast")
	v1 := field(t, n.MustOpenStack(t, "volume", "create", "--size", "1", "v1", "-f", "json"), "id")
	volWait(t, n, "volume", v1, "available")
	if st, err := os.Stat(volFile(n, v1)); err != nil || st.Size() != 1<<30 {
		t.Fatalf("volume file: %v %v", st, err)
	}

	// From a qcow2 image: the volume holds the image's raw form.
	qcow := imgQcow2File(t, dir)
	n.MustOpenStack(t, "image", "create", "--file", qcow, "--disk-format", "qcow2", "--container-format", "bare", "img1")
	v2 := field(t, n.MustOpenStack(t, "volume", "create", "--image", "img1", "--size", "1", "v2", "-f", "json"), "id")
	shown := volWait(t, n, "volume", v2, "available")
	if shown["bootable"] != "true" {
		t.Errorf("bootable = %v", shown["bootable"])
	}
	want := volDigest(t, volRawOf(t, qcow, "qcow2", 1<<30))
	if got := volDigest(t, volFile(n, v2)); got != want {
		t.Fatal("volume from image differs from the image's raw form")
	}

	// Snapshot, and a volume from it.
	s1 := field(t, n.MustOpenStack(t, "volume", "snapshot", "create", "--volume", "v2", "s1", "-f", "json"), "id")
	volWait(t, n, "volume snapshot", s1, "available")
	v3 := field(t, n.MustOpenStack(t, "volume", "create", "--snapshot", "s1", "v3", "-f", "json"), "id")
	volWait(t, n, "volume", v3, "available")
	if got := volDigest(t, volFile(n, v3)); got != want {
		t.Fatal("volume from snapshot differs from its source")
	}

	// Extend grows the real file.
	n.MustOpenStack(t, "volume", "set", "--size", "2", "v1")
	if m := volWait(t, n, "volume", v1, "available"); m["size"].(float64) != 2 {
		t.Fatalf("size after extend: %v", m["size"])
	}
	if st, _ := os.Stat(volFile(n, v1)); st.Size() != 2<<30 {
		t.Fatalf("file after extend: %d bytes", st.Size())
	}

	// Upload to an image: the image's bytes are the volume's.
	n.MustOpenStack(t, "image", "create", "--volume", "v2", "fromvol")
	var img map[string]any
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		img = imgJSON(t, n.MustOpenStack(t, "image", "show", "fromvol", "-f", "json"))
		if img["status"] == "active" || time.Now().After(deadline) {
			break
		}
	}
	if img["status"] != "active" || img["checksum"] != volMD5(t, volFile(n, v2)) || img["size"].(float64) != 1<<30 {
		t.Fatalf("uploaded image: %v", img)
	}
	volWait(t, n, "volume", v2, "available")

	// Another project sees none of it.
	_, as2 := imgSecondUser(t, n)
	if out, err := as2("volume", "show", v1); err == nil {
		t.Fatalf("another project reads the volume: %s", out)
	}
	if out, _ := as2("volume", "list", "-f", "value"); strings.TrimSpace(out) != "" {
		t.Fatalf("another project lists: %s", out)
	}

	// Delete: refused while a snapshot exists, then done.
	if _, err := n.OpenStack(t, nil, "volume", "delete", "v2"); err == nil {
		t.Fatal("a volume with a snapshot was deleted")
	}
	n.MustOpenStack(t, "volume", "snapshot", "delete", "s1")
	n.MustOpenStack(t, "volume", "delete", "v2", "v3")
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		out := n.MustOpenStack(t, "volume", "list", "-f", "value", "-c", "ID")
		if !strings.Contains(out, v2) && !strings.Contains(out, v3) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("volumes not deleted: %s", out)
		}
	}
	if _, err := os.Stat(volFile(n, v2)); !os.IsNotExist(err) {
		t.Fatal("deleted volume's file is still there")
	}
}

// TestVolumeServerCLI: `server add volume` / `server remove volume` on the
// fake driver (which opens the volume's file), and a server booted from a
// volume made from an image (`server create --boot-from-volume`).
func TestVolumeServerCLI(t *testing.T) {
	t.Parallel()
	n := StartNode(t)
	raw := filepath.Join(t.TempDir(), "img.raw")
	data := make([]byte, 1<<20)
	copy(data, "stratus boot sector")
	if err := os.WriteFile(raw, data, 0o600); err != nil {
		t.Fatal(err)
	}
	n.MustOpenStack(t, "image", "create", "--file", raw, "--disk-format", "raw", "--container-format", "bare", "img1")
	n.MustOpenStack(t, "network", "create", "net1")
	n.MustOpenStack(t, "subnet", "create", "--network", "net1", "--subnet-range", "192.168.20.0/24", "sub1")
	vol := field(t, n.MustOpenStack(t, "volume", "create", "--size", "1", "data1", "-f", "json"), "id")
	volWait(t, n, "volume", vol, "available")
	vm := field(t, n.MustOpenStack(t, "server", "create", "--image", "img1", "--flavor", "m1.tiny", "--network", "net1",
		"--wait", "vm1", "-f", "json"), "id")

	n.MustOpenStack(t, "server", "add", "volume", "vm1", "data1")
	v := volWait(t, n, "volume", vol, "in-use")
	if !strings.Contains(fmt.Sprint(v["attachments"]), vm) {
		t.Fatalf("attachments: %v", v["attachments"])
	}
	if out := n.MustOpenStack(t, "console", "log", "show", "vm1"); !strings.Contains(out, "[vdb] 2097152 512-byte logical blocks (1 GiB, rw, volume "+vol+")") {
		t.Fatalf("the guest does not see the volume:\n%s", out)
	}
	if out := n.MustOpenStack(t, "server", "show", "vm1", "-f", "json"); !strings.Contains(out, vol) {
		t.Fatalf("server show lacks the volume: %s", out)
	}
	if _, err := n.OpenStack(t, nil, "volume", "delete", "data1"); err == nil {
		t.Fatal("an attached volume was deleted")
	}
	n.MustOpenStack(t, "server", "remove", "volume", "vm1", "data1")
	volWait(t, n, "volume", vol, "available")

	// Boot from a 1 GiB volume made from the image: the server's disk is
	// the volume's file, holding the image's bytes.
	bfv := field(t, n.MustOpenStack(t, "server", "create", "--image", "img1", "--boot-from-volume", "1", "--flavor", "m1.tiny",
		"--network", "net1", "--wait", "bfv", "-f", "json"), "id")
	show := imgJSON(t, n.MustOpenStack(t, "server", "show", bfv, "-f", "json"))
	att := fmt.Sprint(show["volumes_attached"])
	list := imgJSON(t, `{"v":`+n.MustOpenStack(t, "volume", "list", "-f", "json")+`}`)["v"].([]any)
	var root string
	for _, x := range list {
		m := x.(map[string]any)
		if m["ID"] != vol {
			root = m["ID"].(string)
		}
	}
	if root == "" || !strings.Contains(att, root) {
		t.Fatalf("boot volume %q not in %s", root, att)
	}
	if got, want := volDigest(t, volFile(n, root)), volDigest(t, volRawOf(t, raw, "raw", 1<<30)); got != want {
		t.Fatal("the boot volume does not hold the image")
	}
	disk, err := os.Readlink(filepath.Join(n.DataDir, "instances", bfv, "disk"))
	if err != nil || disk != volFile(n, root) {
		t.Fatalf("the server's disk is %q (%v), not its volume", disk, err)
	}
	n.MustOpenStack(t, "server", "delete", "--wait", "bfv", "vm1")
	// --boot-from-volume leaves delete_on_termination false: the volume stays.
	volWait(t, n, "volume", root, "available")
}

// TestVolumeCrashMidCreate kills the node (SIGKILL) while a volume is
// being made from an image: after the restart the job runs again and the
// volume becomes available with the image's bytes, never available with
// part of them.
func TestVolumeCrashMidCreate(t *testing.T) {
	t.Parallel()
	n := StartNode(t)
	raw := filepath.Join(t.TempDir(), "img.raw")
	f, err := os.Create(raw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(f, cryptoRand{}, 256<<20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	img := field(t, n.MustOpenStack(t, "image", "create", "--file", raw, "--disk-format", "raw", "--container-format", "bare", "img1", "-f", "json"), "id")
	tok := n.AdminToken(t)
	p := volProject(t, n, tok)
	code, _, body := n.Do(t, "POST", "/volume/v3/"+p+"/volumes", tok, map[string]any{"volume": map[string]any{"size": 1, "imageRef": img}})
	if code != 202 {
		t.Fatalf("create: %d %s", code, body)
	}
	var created struct{ Volume struct{ ID string } }
	json.Unmarshal(body, &created)
	n.Kill()
	// Whatever the job had written, the volume is not available before the restart.
	n.start()
	tok = n.AdminToken(t)
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, _, body = n.Do(t, "GET", "/volume/v3/"+p+"/volumes/"+created.Volume.ID, tok, nil)
		var v struct{ Volume struct{ Status string } }
		json.Unmarshal(body, &v)
		if v.Volume.Status == "available" {
			break
		}
		if code != 200 || v.Volume.Status == "error" || time.Now().After(deadline) {
			t.Fatalf("after the restart: %d %s", code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got, want := volDigest(t, volFile(n, created.Volume.ID)), volDigest(t, volRawOf(t, raw, "raw", 1<<30)); got != want {
		t.Fatal("the volume is available without the image's bytes")
	}
	left, _ := os.ReadDir(filepath.Join(n.DataDir, "volumes", ".tmp"))
	if len(left) != 0 {
		t.Fatalf("temp files left after the restart: %d", len(left))
	}
}

type cryptoRand struct{}

func (cryptoRand) Read(p []byte) (int, error) { return rand.Read(p) }
