// Package e2e starts the real stratus binary on 127.0.0.1 and drives it
// with real clients: Debian's openstack CLI, gophercloud, and raw HTTP for
// wire-exact checks. One file per service.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/blob/blobtest"
	"github.com/stratus-iaas/stratus/internal/store/storetest"
	"github.com/stratus-iaas/stratus/internal/testutil"
)

// stratusBin is the binary built once by TestMain.
var stratusBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "stratus-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	stratusBin = filepath.Join(dir, "stratus")
	build := exec.Command("go", "build", "-o", stratusBin, "../cmd/stratus")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build stratus:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// AdminPassword is the bootstrap admin password of every test node.
const AdminPassword = "s3cret-admin"

// Node is one running stratus process.
type Node struct {
	t        testing.TB
	URL      string // http://127.0.0.1:PORT
	Addr     string
	DataDir  string
	Database string // "" for SQLite in DataDir
	Blob     string // --blob: "" for DataDir/blobs (blobtest.NodeBlob)
	Env      []string
	cmd      *exec.Cmd
	done     chan struct{}
	logMu    sync.Mutex
	log      bytes.Buffer
}

// StartNode starts stratus on a free loopback port with a fresh data dir
// (and a fresh PostgreSQL database when STRATUS_TEST_PG is set, a fresh
// prefix of an S3 bucket when STRATUS_TEST_S3 is). extraEnv
// adds STRATUS_* settings. The node is killed when the test ends.
func StartNode(t testing.TB, extraEnv ...string) *Node {
	t.Helper()
	n := &Node{t: t, DataDir: t.TempDir(), Database: storetest.DSN(t), Blob: blobtest.NodeBlob(), Env: extraEnv}
	n.start()
	t.Cleanup(func() { n.Kill() })
	return n
}

func freePort(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func (n *Node) start() {
	t := n.t
	t.Helper()
	if n.Addr == "" {
		n.Addr = freePort(t)
	}
	n.URL = "http://" + n.Addr
	cmd := exec.Command(stratusBin, "serve")
	cmd.Env = append(os.Environ(),
		"STRATUS_DATA_DIR="+n.DataDir,
		"STRATUS_LISTEN="+n.Addr,
		"STRATUS_DATABASE="+n.Database,
		"STRATUS_BLOB="+n.Blob,
		"STRATUS_ADMIN_PASSWORD="+AdminPassword,
		"STRATUS_BCRYPT_COST=4",
		"STRATUS_LOG_LEVEL=warn",
	)
	cmd.Env = append(cmd.Env, n.Env...)
	cmd.Stdout = &lockedWriter{n}
	cmd.Stderr = &lockedWriter{n}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start stratus: %v", err)
	}
	n.cmd = cmd
	n.done = make(chan struct{})
	go func() { cmd.Wait(); close(n.done) }()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-n.done:
			t.Fatalf("stratus exited during start:\n%s", n.Log())
		default:
		}
		resp, err := http.Get(n.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("stratus did not become healthy:\n%s", n.Log())
}

type lockedWriter struct{ n *Node }

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.n.logMu.Lock()
	defer w.n.logMu.Unlock()
	return w.n.log.Write(p)
}

// Log is what the process printed.
func (n *Node) Log() string {
	n.logMu.Lock()
	defer n.logMu.Unlock()
	return n.log.String()
}

// Stop sends SIGTERM and waits for a clean exit.
func (n *Node) Stop() {
	if n.cmd == nil {
		return
	}
	n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.done:
	case <-time.After(15 * time.Second):
		n.cmd.Process.Kill()
		<-n.done
		n.t.Errorf("stratus did not stop on SIGTERM")
	}
	n.cmd = nil
}

// Kill ends the process at once, as a crash would.
func (n *Node) Kill() {
	if n.cmd == nil {
		return
	}
	n.cmd.Process.Kill()
	<-n.done
	n.cmd = nil
}

// Restart starts the node again on the same address, data dir and database.
func (n *Node) Restart() {
	n.Stop()
	n.start()
}

// CloudsYAML is the clouds.yaml the node wrote.
func (n *Node) CloudsYAML() string { return filepath.Join(n.DataDir, "clouds.yaml") }

// OpenStack runs Debian's openstack CLI as the bootstrap admin (cloud
// "stratus" from the node's clouds.yaml) plus any OS_* overrides in env.
func (n *Node) OpenStack(t testing.TB, env []string, args ...string) (string, error) {
	t.Helper()
	bin := testutil.RequireTool(t, "openstack")
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(cleanEnv(), "OS_CLIENT_CONFIG_FILE="+n.CloudsYAML(), "OS_CLOUD=stratus", "HOME="+n.DataDir)
	cmd.Env = append(cmd.Env, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("openstack %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String(), nil
}

// MustOpenStack is OpenStack that fails the test on error.
func (n *Node) MustOpenStack(t testing.TB, args ...string) string {
	t.Helper()
	out, err := n.OpenStack(t, nil, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// cleanEnv drops OS_* variables of the caller and the pyenv shims, so the
// CLI sees only what the test gives it and runs on Debian's python.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "OS_") || strings.HasPrefix(kv, "PYENV") || strings.HasPrefix(kv, "PYTHON") {
			continue
		}
		if strings.HasPrefix(kv, "PATH=") {
			kv = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
		}
		env = append(env, kv)
	}
	return env
}

// Token issues a project-scoped token for user/password in project (all in
// the Default domain) through the v3 API and returns it.
func (n *Node) Token(t testing.TB, user, password, project string) string {
	t.Helper()
	body := fmt.Sprintf(`{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":%q,"domain":{"id":"default"},"password":%q}}},
		"scope":{"project":{"name":%q,"domain":{"id":"default"}}}}}`, user, password, project)
	resp, err := http.Post(n.URL+"/identity/v3/auth/tokens", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 201 {
		t.Fatalf("token for %s/%s: %d %s", user, project, resp.StatusCode, b)
	}
	return resp.Header.Get("X-Subject-Token")
}

// AdminToken is a token for the bootstrap admin in the admin project.
func (n *Node) AdminToken(t testing.TB) string { return n.Token(t, "admin", AdminPassword, "admin") }

// Do sends a request with an optional token and JSON body and returns the
// status, headers and body.
func (n *Node) Do(t testing.TB, method, path, token string, body any) (int, http.Header, []byte) {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		js, _ := json.Marshal(b)
		r = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, n.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	if r != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}
