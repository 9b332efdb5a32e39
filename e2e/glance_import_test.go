package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/testutil"
)

// glanceCLI runs Debian's glance client as the admin.
func glanceCLI(t *testing.T, n *Node, args ...string) (string, error) {
	t.Helper()
	bin := testutil.RequireTool(t, "glance")
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	// Standard input closed: glance reads image data from any other stdin.
	cmd := exec.CommandContext(ctx, "/bin/sh", append([]string{"-c", `exec "$0" "$@" <&-`, bin}, args...)...)
	cmd.Env = append(cleanEnv(), "HOME="+n.DataDir, "OS_AUTH_URL="+n.URL+"/identity/v3", "OS_USERNAME=admin",
		"OS_PASSWORD="+AdminPassword, "OS_PROJECT_NAME=admin", "OS_USER_DOMAIN_NAME=Default", "OS_PROJECT_DOMAIN_NAME=Default",
		"OS_IDENTITY_API_VERSION=3", "OS_IMAGE_API_VERSION=2", "OS_REGION_NAME=RegionOne")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), &cliError{err: err, stderr: errb.String(), stdout: out.String()}
	}
	return out.String(), nil
}

type cliError struct {
	err            error
	stdout, stderr string
}

func (e *cliError) Error() string {
	return e.err.Error() + "\nstdout: " + e.stdout + "\nstderr: " + e.stderr
}

// waitImage polls the image until its status is none of busy.
func waitImage(t *testing.T, n *Node, token, id string, busy ...string) map[string]any {
	t.Helper()
	for i := 0; i < 1200; i++ {
		code, _, body := n.Do(t, "GET", "/image/v2/images/"+id, token, nil)
		if code != 200 {
			t.Fatalf("image %s: %d %s", id, code, body)
		}
		var im map[string]any
		json.Unmarshal(body, &im)
		still := false
		for _, b := range busy {
			still = still || im["status"] == b
		}
		if !still {
			return im
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("image %s never left %v", id, busy)
	return nil
}

// TestGlanceImportCLI: `openstack image create --import` (glance-direct)
// and the glance client's web-download from a local HTTP server that the
// node's configuration allows; the image bytes are the file's.
func TestGlanceImportCLI(t *testing.T) {
	dir := t.TempDir()
	disk := imgQcow2File(t, dir)
	data, err := os.ReadFile(disk)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/disk.qcow2" {
			http.NotFound(w, r)
			return
		}
		w.Write(data)
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	n := StartNode(t, "STRATUS_WEB_DOWNLOAD_ALLOWED_PORTS=80,443,"+port, "STRATUS_WEB_DOWNLOAD_ALLOWED_HOSTS=127.0.0.1")
	tok := n.AdminToken(t)

	// glance-direct through the openstack CLI.
	out := n.MustOpenStack(t, "image", "create", "--import", "--disk-format", "qcow2", "--container-format", "bare",
		"--file", disk, "gd", "-f", "json")
	id := imgJSON(t, out)["id"].(string)
	im := waitImage(t, n, tok, id, "uploading", "importing", "queued")
	if im["status"] != "active" || im["checksum"] != imgFileMD5(t, disk) {
		t.Fatalf("glance-direct image %v", im)
	}
	saved := filepath.Join(dir, "saved")
	n.MustOpenStack(t, "image", "save", "--file", saved, id)
	if imgFileMD5(t, saved) != imgFileMD5(t, disk) {
		t.Fatal("saved image differs from the file")
	}
	code, _, body := n.Do(t, "GET", "/image/v2/images/"+id+"/tasks", tok, nil)
	if code != 200 || !strings.Contains(string(body), `"status":"success"`) || !strings.Contains(string(body), `"api_image_import"`) {
		t.Fatalf("tasks %d %s", code, body)
	}

	// web-download through the glance client.
	out, err = glanceCLI(t, n, "image-create-via-import", "--disk-format", "qcow2", "--container-format", "bare",
		"--name", "wd", "--import-method", "web-download", "--uri", srv.URL+"/disk.qcow2")
	if err != nil {
		t.Fatal(err)
	}
	wd := ""
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(line, "|")
		if len(f) > 2 && strings.TrimSpace(f[1]) == "id" {
			wd = strings.TrimSpace(f[2])
		}
	}
	if wd == "" {
		t.Fatalf("no id in %s", out)
	}
	im = waitImage(t, n, tok, wd, "queued", "importing")
	if im["status"] != "active" || im["checksum"] != imgFileMD5(t, disk) {
		t.Fatalf("web-download image %v", im)
	}

	// A URI the configuration does not allow: 400, nothing fetched.
	id2 := imgCreate(t, n, tok, map[string]any{"name": "x", "disk_format": "qcow2", "container_format": "bare"})
	code, _, body = n.Do(t, "POST", "/image/v2/images/"+id2+"/import", tok,
		map[string]any{"method": map[string]any{"name": "web-download", "uri": "http://169.254.169.254/latest/meta-data"}})
	if code != 400 || !strings.Contains(string(body), "does not pass filtering") {
		t.Fatalf("metadata URI: %d %s", code, body)
	}

	// created_at filters with every operator.
	created := im["created_at"].(string)
	for op, want := range map[string]bool{"eq": true, "gte": true, "lte": true, "gt": false, "lt": false, "neq": false} {
		code, _, body := n.Do(t, "GET", "/image/v2/images?created_at="+op+":"+created, tok, nil)
		if code != 200 || strings.Contains(string(body), wd) != want {
			t.Errorf("created_at=%s:%s: %d, lists wd %v, want %v", op, created, code, !want, want)
		}
	}
	code, _, _ = n.Do(t, "GET", "/image/v2/images?updated_at=gte:"+created, tok, nil)
	if code != 200 {
		t.Errorf("updated_at filter: %d", code)
	}
}
