package e2e

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/image/v2/imagedata"
	"github.com/gophercloud/gophercloud/v2/openstack/image/v2/images"
	"github.com/gophercloud/gophercloud/v2/openstack/image/v2/members"
	"github.com/gophercloud/gophercloud/v2/pagination"

	"github.com/stratus-iaas/stratus/internal/testutil"
)

// imgQcow2File makes a small qcow2 image with some data in it.
func imgQcow2File(t *testing.T, dir string) string {
	t.Helper()
	qemu := testutil.RequireTool(t, "qemu-img")
	raw := filepath.Join(dir, "src.raw")
	data := bytes.Repeat([]byte("stratus image e2e "), 200000)
	if err := os.WriteFile(raw, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "disk.qcow2")
	if b, err := exec.Command(qemu, "convert", "-f", "raw", "-O", "qcow2", raw, out).CombinedOutput(); err != nil {
		t.Fatalf("qemu-img convert: %v %s", err, b)
	}
	return out
}

func imgJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("json %q: %v", s, err)
	}
	return m
}

func imgFileMD5(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// imgSecondUser creates project p2 and user u2 (role member) with the CLI
// and returns the project id and a runner of the CLI as u2 (its own
// clouds.yaml: the CLI's --os-project-name does not override a cloud's).
func imgSecondUser(t *testing.T, n *Node) (string, func(args ...string) (string, error)) {
	t.Helper()
	p := imgJSON(t, n.MustOpenStack(t, "project", "create", "p2", "-f", "json"))
	n.MustOpenStack(t, "user", "create", "--project", "p2", "--password", "pw2", "u2")
	n.MustOpenStack(t, "role", "add", "--project", "p2", "--user", "u2", "member")
	cfg := filepath.Join(t.TempDir(), "clouds.yaml")
	yaml := fmt.Sprintf("clouds:\n  u2:\n    auth:\n      auth_url: %s/identity/v3\n      username: u2\n      password: pw2\n"+
		"      project_name: p2\n      user_domain_name: Default\n      project_domain_name: Default\n    identity_api_version: 3\n    region_name: RegionOne\n", n.URL)
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return p["id"].(string), func(args ...string) (string, error) {
		return n.OpenStack(t, []string{"OS_CLIENT_CONFIG_FILE=" + cfg, "OS_CLOUD=u2"}, args...)
	}
}

// imgNotFound reports whether the CLI failed because the image was not
// found: another project's private image must look absent, not forbidden.
func imgNotFound(err error) bool {
	return err != nil && strings.Contains(err.Error(), "No Image found for")
}

func TestImageCLI(t *testing.T) {
	t.Parallel()
	n := StartNode(t)
	dir := t.TempDir()
	file := imgQcow2File(t, dir)
	sum := imgFileMD5(t, file)

	im := imgJSON(t, n.MustOpenStack(t, "image", "create", "--file", file, "--disk-format", "qcow2", "--container-format", "bare", "img1", "-f", "json"))
	id := im["id"].(string)
	show := imgJSON(t, n.MustOpenStack(t, "image", "show", id, "-f", "json"))
	if show["status"] != "active" || show["checksum"] != sum || show["virtual_size"].(float64) != 3600384 {
		t.Fatalf("show: %v", show)
	}
	if out := n.MustOpenStack(t, "image", "list", "-f", "value", "-c", "ID"); !strings.Contains(out, id) {
		t.Fatalf("list: %s", out)
	}
	saved := filepath.Join(dir, "saved")
	n.MustOpenStack(t, "image", "save", "--file", saved, id)
	if got := imgFileMD5(t, saved); got != sum {
		t.Fatalf("saved md5 %s, want %s", got, sum)
	}

	n.MustOpenStack(t, "image", "set", "--property", "os_distro=debian", "--tag", "t1", "--name", "img2", id)
	show = imgJSON(t, n.MustOpenStack(t, "image", "show", "img2", "-f", "json"))
	if show["properties"].(map[string]any)["os_distro"] != "debian" || fmt.Sprint(show["tags"]) != "[t1]" {
		t.Fatalf("after set: %v", show)
	}
	n.MustOpenStack(t, "image", "set", "--deactivate", id)
	if s := imgJSON(t, n.MustOpenStack(t, "image", "show", id, "-f", "json"))["status"]; s != "deactivated" {
		t.Fatalf("status %v", s)
	}
	n.MustOpenStack(t, "image", "set", "--activate", id)
	if s := imgJSON(t, n.MustOpenStack(t, "image", "show", id, "-f", "json"))["status"]; s != "active" {
		t.Fatalf("status after --activate %v", s)
	}

	// A second project cannot see or delete the image until it is shared.
	p2, as2 := imgSecondUser(t, n)
	if _, err := as2("image", "list"); err != nil {
		t.Fatalf("u2 cannot use the CLI: %v", err)
	}
	if _, err := as2("image", "show", id); !imgNotFound(err) {
		t.Fatal("second project sees an unshared image (want not found): ", err)
	}
	if _, err := as2("image", "delete", id); !imgNotFound(err) {
		t.Fatal("second project deleted an unshared image (want not found): ", err)
	}
	n.MustOpenStack(t, "image", "set", "--shared", id)
	n.MustOpenStack(t, "image", "add", "project", id, p2)
	if out := n.MustOpenStack(t, "image", "member", "list", id, "-f", "value"); !strings.Contains(out, p2) || !strings.Contains(out, "pending") {
		t.Fatalf("member list: %s", out)
	}
	if out, _ := as2("image", "list", "-f", "value", "-c", "ID"); strings.Contains(out, id) {
		t.Fatal("pending image listed for the member")
	}
	if _, err := as2("image", "set", "--accept", id); err != nil {
		t.Fatal(err)
	}
	out, err := as2("image", "list", "-f", "value", "-c", "ID")
	if err != nil || !strings.Contains(out, id) {
		t.Fatalf("accepted image not listed: %s %v", out, err)
	}
	if _, err := as2("image", "delete", id); err == nil {
		t.Fatal("a member deleted the owner's image")
	}

	// A private image stays invisible to the other project.
	priv := imgJSON(t, n.MustOpenStack(t, "image", "create", "--private", "--disk-format", "raw", "priv", "-f", "json"))["id"].(string)
	if _, err := as2("image", "show", priv); !imgNotFound(err) {
		t.Fatal("second project sees a private image (want not found): ", err)
	}
	if _, err := as2("image", "delete", priv); !imgNotFound(err) {
		t.Fatal("second project deleted a private image (want not found): ", err)
	}

	n.MustOpenStack(t, "image", "delete", id, priv)
	if _, err := n.OpenStack(t, nil, "image", "show", id); err == nil {
		t.Fatal("deleted image still shown")
	}
}

func imgCreate(t *testing.T, n *Node, token string, body map[string]any) string {
	t.Helper()
	code, _, b := n.Do(t, "POST", "/image/v2/images", token, body)
	if code != 201 {
		t.Fatalf("create: %d %s", code, b)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	return m["id"].(string)
}

func imgPut(t *testing.T, n *Node, token, id string, body io.Reader) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("PUT", n.URL+"/image/v2/images/"+id+"/file", body)
	req.Header.Set("X-Auth-Token", token)
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func imgStatus(t *testing.T, n *Node, token, id string) string {
	t.Helper()
	code, _, b := n.Do(t, "GET", "/image/v2/images/"+id, token, nil)
	if code != 200 {
		t.Fatalf("get %s: %d %s", id, code, b)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	return m["status"].(string)
}

// An upload whose declared disk_format lies is refused and keeps nothing.
func TestImageFormatLiesRefused(t *testing.T) {
	t.Parallel()
	n := StartNode(t)
	tok := n.AdminToken(t)
	dir := t.TempDir()
	qcow := imgQcow2File(t, dir)
	qemu := testutil.RequireTool(t, "qemu-img")
	vmdk := filepath.Join(dir, "flat.vmdk")
	if b, err := exec.Command(qemu, "create", "-f", "vmdk", "-o", "subformat=monolithicFlat", vmdk, "1M").CombinedOutput(); err != nil {
		t.Fatalf("qemu-img: %v %s", err, b)
	}
	for _, c := range []struct{ name, declared, file string }{
		{"qcow2 declared raw", "raw", qcow},
		{"vmdk with a flat extent", "vmdk", vmdk},
	} {
		t.Run(c.name, func(t *testing.T) {
			id := imgCreate(t, n, tok, map[string]any{"name": c.name, "disk_format": c.declared, "container_format": "bare"})
			f, err := os.Open(c.file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			code, body := imgPut(t, n, tok, id, f)
			if code != 400 {
				t.Fatalf("upload: %d %s", code, body)
			}
			if s := imgStatus(t, n, tok, id); s != "queued" {
				t.Fatalf("status %s after refusal", s)
			}
			if code, _, _ := n.Do(t, "GET", "/image/v2/images/"+id+"/file", tok, nil); code != 204 {
				t.Fatalf("download after refusal: %d", code)
			}
			if _, err := os.Stat(filepath.Join(n.DataDir, "blobs", "images", id)); !os.IsNotExist(err) {
				t.Fatalf("bytes kept after refusal: %v", err)
			}
		})
	}
}

// Killing the server mid-upload leaves the image queued with no data.
func TestImageCrashMidUpload(t *testing.T) {
	t.Parallel()
	n := StartNode(t)
	tok := n.AdminToken(t)
	id := imgCreate(t, n, tok, map[string]any{"name": "crash", "disk_format": "raw", "container_format": "bare"})
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, _ := http.NewRequest("PUT", n.URL+"/image/v2/images/"+id+"/file", pr)
		req.Header.Set("X-Auth-Token", tok)
		req.Header.Set("Content-Type", "application/octet-stream")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	chunk := bytes.Repeat([]byte{0xab}, 1<<20)
	for i := 0; i < 8; i++ {
		if _, err := pw.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for imgStatus(t, n, tok, id) != "saving" {
		if time.Now().After(deadline) {
			t.Fatal("upload never reached saving")
		}
		time.Sleep(20 * time.Millisecond)
	}
	n.Kill()
	pw.CloseWithError(io.ErrClosedPipe)
	<-done
	n.start()
	tok = n.AdminToken(t)
	if s := imgStatus(t, n, tok, id); s != "queued" {
		t.Fatalf("after restart: status %s, want queued", s)
	}
	if code, _, b := n.Do(t, "GET", "/image/v2/images/"+id+"/file", tok, nil); code != 204 {
		t.Fatalf("download after crash: %d (%d bytes)", code, len(b))
	}
	if _, err := os.Stat(filepath.Join(n.DataDir, "blobs", "images", id)); !os.IsNotExist(err) {
		t.Fatalf("partial blob present: %v", err)
	}
	// The image can be uploaded again.
	if code, body := imgPut(t, n, tok, id, bytes.NewReader(chunk)); code != 204 {
		t.Fatalf("re-upload: %d %s", code, body)
	}
	if s := imgStatus(t, n, tok, id); s != "active" {
		t.Fatalf("after re-upload: %s", s)
	}
}

// A client that goes away mid-upload leaves the image queued, with no blob
// and no temp file, while the server keeps serving; a whole upload then
// records the md5 and sha512 of exactly the bytes sent.
func TestImageClientGoneMidUpload(t *testing.T) {
	t.Parallel()
	n := StartNode(t)
	tok := n.AdminToken(t)
	id := imgCreate(t, n, tok, map[string]any{"name": "gone", "disk_format": "raw", "container_format": "bare"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, _ := http.NewRequestWithContext(ctx, "PUT", n.URL+"/image/v2/images/"+id+"/file", pr)
		req.Header.Set("X-Auth-Token", tok)
		req.Header.Set("Content-Type", "application/octet-stream")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	chunk := bytes.Repeat([]byte{0xcd}, 1<<20)
	for i := 0; i < 8; i++ {
		if _, err := pw.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for imgStatus(t, n, tok, id) != "saving" {
		if time.Now().After(deadline) {
			t.Fatal("upload never reached saving")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	pw.CloseWithError(context.Canceled)
	<-done
	deadline = time.Now().Add(10 * time.Second)
	for imgStatus(t, n, tok, id) != "queued" {
		if time.Now().After(deadline) {
			t.Fatal("image not queued again after the client left")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := os.Stat(filepath.Join(n.DataDir, "blobs", "images", id)); !os.IsNotExist(err) {
		t.Fatalf("partial blob present: %v", err)
	}
	if tmp, _ := os.ReadDir(filepath.Join(n.DataDir, "blobs", ".tmp")); len(tmp) != 0 {
		t.Fatalf("%d temp files left", len(tmp))
	}

	data := make([]byte, 40<<20+123)
	for i := range data {
		data[i] = byte(i*7 + i>>11)
	}
	if code, body := imgPut(t, n, tok, id, bytes.NewReader(data)); code != 204 {
		t.Fatalf("upload: %d %s", code, body)
	}
	_, _, b := n.Do(t, "GET", "/image/v2/images/"+id, tok, nil)
	m := imgJSON(t, string(b))
	md5sum, shasum := md5.Sum(data), sha512.Sum512(data)
	if m["status"] != "active" || m["checksum"] != hex.EncodeToString(md5sum[:]) ||
		m["os_hash_value"] != hex.EncodeToString(shasum[:]) || m["size"] != float64(len(data)) {
		t.Fatalf("after upload: status %v checksum %v size %v", m["status"], m["checksum"], m["size"])
	}
}

// The Nova image proxy serves the same images under both compute paths.
func TestNovaImageProxy(t *testing.T) {
	t.Parallel()
	n := StartNode(t)
	tok := n.AdminToken(t)
	id := imgCreate(t, n, tok, map[string]any{"name": "nova", "disk_format": "raw", "container_format": "bare", "auto_disk_config": "True"})
	if code, body := imgPut(t, n, tok, id, strings.NewReader("0123456789")); code != 204 {
		t.Fatalf("upload: %d %s", code, body)
	}
	code, _, b := n.Do(t, "GET", "/identity/v3/auth/projects", tok, nil)
	var projects struct {
		Projects []struct{ ID, Name string } `json:"projects"`
	}
	json.Unmarshal(b, &projects)
	var pid string
	for _, p := range projects.Projects {
		if p.Name == "admin" {
			pid = p.ID
		}
	}
	if code != 200 || pid == "" {
		t.Fatalf("projects: %d %s", code, b)
	}
	for _, base := range []string{"/compute/v2/" + pid, "/compute/v2.1"} {
		code, h, b := n.Do(t, "GET", base+"/images/"+id, tok, nil)
		if code != 200 || !strings.Contains(string(b), `"OS-EXT-IMG-SIZE:size":10`) || !strings.Contains(string(b), `"OS-DCF:diskConfig":"AUTO"`) ||
			!strings.Contains(string(b), `"status":"ACTIVE"`) || h.Get("X-Compute-Request-Id") == "" {
			t.Fatalf("%s get: %d %s", base, code, b)
		}
		code, _, b = n.Do(t, "GET", base+"/images/detail?name=nova", tok, nil)
		if code != 200 || !strings.Contains(string(b), id) {
			t.Fatalf("%s detail: %d %s", base, code, b)
		}
		code, _, b = n.Do(t, "POST", base+"/images/"+id+"/metadata", tok, map[string]any{"metadata": map[string]string{"Label": "x"}})
		if code != 200 || !strings.Contains(string(b), `"Label":"x"`) || !strings.Contains(string(b), "auto_disk_config") {
			t.Fatalf("%s metadata post: %d %s", base, code, b)
		}
		code, _, b = n.Do(t, "GET", base+"/images/"+id+"/metadata/Label", tok, nil)
		if code != 200 || string(b) != `{"meta":{"Label":"x"}}` {
			t.Fatalf("%s meta item: %d %s", base, code, b)
		}
		code, _, _ = n.Do(t, "DELETE", base+"/images/"+id+"/metadata/Label", tok, nil)
		if code != 204 {
			t.Fatalf("%s meta delete: %d", base, code)
		}
		code, _, b = n.Do(t, "GET", base+"/images/00000000-0000-0000-0000-000000000000", tok, nil)
		if code != 404 || !strings.Contains(string(b), `"itemNotFound"`) {
			t.Fatalf("%s 404: %d %s", base, code, b)
		}
	}
	code, _, b = n.Do(t, "PUT", "/compute/v2.1/images/"+id+"/metadata", tok, map[string]any{"metadata": map[string]string{"only": "this"}})
	if code != 200 || string(b) != `{"metadata":{"only":"this"}}` {
		t.Fatalf("metadata put: %d %s", code, b)
	}
	if code, _, _ := n.Do(t, "DELETE", "/compute/v2.1/images/"+id, tok, nil); code != 204 {
		t.Fatalf("nova delete: %d", code)
	}
}

// gophercloud's image client parses every shape stratus sends.
func TestImageGophercloud(t *testing.T) {
	t.Parallel()
	n := StartNode(t)
	ctx := context.Background()
	provider, err := openstack.AuthenticatedClient(ctx, gophercloud.AuthOptions{
		IdentityEndpoint: n.URL + "/identity/v3",
		Username:         "admin", Password: AdminPassword, DomainName: "Default",
		Scope: &gophercloud.AuthScope{ProjectName: "admin", DomainName: "Default"},
	})
	if err != nil {
		t.Fatal(err)
	}
	client, err := openstack.NewImageV2(provider, gophercloud.EndpointOpts{Region: "RegionOne"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := 0; i < 3; i++ {
		im, err := images.Create(ctx, client, images.CreateOpts{Name: fmt.Sprintf("gc-%d", i), DiskFormat: "raw",
			ContainerFormat: "bare", Tags: []string{"gc"}, Properties: map[string]string{"os_distro": "debian"}}).Extract()
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, im.ID)
	}
	data := bytes.Repeat([]byte("gophercloud"), 100000)
	if err := imagedata.Upload(ctx, client, ids[0], bytes.NewReader(data)).ExtractErr(); err != nil {
		t.Fatal(err)
	}
	im, err := images.Get(ctx, client, ids[0]).Extract()
	sum := md5.Sum(data)
	if err != nil || im.Status != images.ImageStatusActive || im.Checksum != hex.EncodeToString(sum[:]) ||
		im.SizeBytes != int64(len(data)) || im.VirtualSize != int64(len(data)) || im.Properties["os_distro"] != "debian" {
		t.Fatalf("get: %+v %v", im, err)
	}
	rd, err := imagedata.Download(ctx, client, ids[0]).Extract()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rd)
	rd.Close()
	if !bytes.Equal(got, data) {
		t.Fatalf("download: %d bytes", len(got))
	}
	// Pagination through next links, one image a page.
	pages := 0
	var listed []string
	err = images.List(client, images.ListOpts{Limit: 1, Tags: []string{"gc"}, SortKey: "name", SortDir: "asc"}).EachPage(ctx,
		func(ctx context.Context, p pagination.Page) (bool, error) {
			pages++
			list, err := images.ExtractImages(p)
			for _, im := range list {
				listed = append(listed, im.Name)
			}
			return true, err
		})
	if err != nil || strings.Join(listed, ",") != "gc-0,gc-1,gc-2" {
		t.Fatalf("list: %v %v (%d pages)", listed, err, pages)
	}
	im, err = images.Update(ctx, client, ids[1], images.UpdateOpts{
		images.ReplaceImageName{NewName: "renamed"},
		images.UpdateImageProperty{Op: images.AddOp, Name: "login-user", Value: "kvothe"},
		images.UpdateVisibility{Visibility: images.ImageVisibilityShared},
	}).Extract()
	if err != nil || im.Name != "renamed" || im.Properties["login-user"] != "kvothe" {
		t.Fatalf("update: %+v %v", im, err)
	}
	m, err := members.Create(ctx, client, ids[1], "some-project").Extract()
	if err != nil || m.Status != "pending" || m.MemberID != "some-project" {
		t.Fatalf("member: %+v %v", m, err)
	}
	for _, id := range ids {
		if err := images.Delete(ctx, client, id).ExtractErr(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := images.Get(ctx, client, ids[0]).Extract(); !gophercloud.ResponseCodeIs(err, http.StatusNotFound) {
		t.Fatalf("get after delete: %v", err)
	}
}
