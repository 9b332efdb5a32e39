package e2e

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/blob/blobtest"
	"github.com/stratus-iaas/stratus/internal/store/storetest"
	"github.com/stratus-iaas/stratus/internal/testutil"
)

// scaleCluster is N stratus nodes on one PostgreSQL database and one
// SeaweedFS bucket, behind Debian's haproxy.
type scaleCluster struct {
	Nodes []*Node
	Front *Node // the haproxy front end (URL only; DataDir is the first node's, for the CLIs' HOME)
	Weed  *blobtest.Seaweed
	DB    string
}

// startScaleCluster starts PostgreSQL (STRATUS_TEST_PG, or
// scripts/pg-start), SeaweedFS, n nodes with job leases of lease and
// haproxy in front of them. Every process is stopped when the test ends.
func startScaleCluster(t *testing.T, n int, lease time.Duration) *scaleCluster {
	t.Helper()
	haproxy := testutil.RequireTool(t, "haproxy")
	pg := os.Getenv(storetest.PGEnv)
	if pg == "" {
		out, err := exec.Command("../scripts/pg-start").Output()
		if err != nil {
			if os.Getenv(testutil.RequireToolsEnv) == "1" {
				t.Fatalf("PostgreSQL could not be started: %v", err)
			}
			t.Skipf("PostgreSQL could not be started (%v); skipping", err)
		}
		pg = strings.TrimSpace(string(out))
		t.Setenv(storetest.PGEnv, pg)
	}
	c := &scaleCluster{Weed: blobtest.StartSeaweedT(t), DB: storetest.DSN(t)}
	frontAddr := freePort(t)
	keyFile := filepath.Join(t.TempDir(), "credential.key")
	env := append(c.Weed.Env("stratus-e2e"),
		"STRATUS_PUBLIC_URL=http://"+frontAddr,
		"STRATUS_CREDENTIAL_KEY_FILE="+keyFile,
		"STRATUS_JOB_LEASE="+lease.String())
	// One at a time: the first bootstraps the admin and the credential key.
	for i := 0; i < n; i++ {
		node := &Node{t: t, DataDir: t.TempDir(), Database: c.DB, Env: env}
		node.start()
		t.Cleanup(node.Kill)
		c.Nodes = append(c.Nodes, node)
	}
	var servers strings.Builder
	for i, node := range c.Nodes {
		fmt.Fprintf(&servers, "  server n%d %s check inter 500ms fall 2 rise 1\n", i, node.Addr)
	}
	cfg := fmt.Sprintf(haproxyConfig, frontAddr, servers.String())
	cfgPath := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(haproxy, "-db", "-f", cfgPath)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	c.Front = &Node{t: t, URL: "http://" + frontAddr, Addr: frontAddr, DataDir: c.Nodes[0].DataDir}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(c.Front.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("haproxy front end did not answer: %v\n%s", err, log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return c
}

// haproxyConfig is the configuration docs/deployment.md shows, on
// loopback: round robin over the nodes, health-checked on /healthz.
const haproxyConfig = `global
  maxconn 2048
defaults
  mode http
  option http-keep-alive
  timeout connect 5s
  timeout client 300s
  timeout server 300s
frontend stratus
  bind %s
  default_backend nodes
backend nodes
  balance roundrobin
  option httpchk GET /healthz
  http-check expect status 200
%s`

// TestScaleOut: three nodes on one PostgreSQL and one SeaweedFS bucket
// behind haproxy serve every request from any node.
func TestScaleOut(t *testing.T) {
	c := startScaleCluster(t, 3, 3*time.Second)
	a, b, cc := c.Nodes[0], c.Nodes[1], c.Nodes[2]

	t.Run("openstack CLI through the front end", func(t *testing.T) {
		dir := t.TempDir()
		src := filepath.Join(dir, "disk.raw")
		sum := randomFile(t, src, 9<<20+4321)
		out := c.Front.MustOpenStack(t, "image", "create", "--file", src, "--disk-format", "raw", "--container-format", "bare", "-f", "value", "-c", "id", "cli-image")
		id := strings.TrimSpace(out)
		// Listing and download go to whichever node haproxy picks.
		for i := 0; i < 3; i++ {
			if !strings.Contains(c.Front.MustOpenStack(t, "image", "list", "-f", "value", "-c", "ID"), id) {
				t.Fatalf("image %s missing from a listing", id)
			}
			dst := filepath.Join(dir, fmt.Sprintf("saved%d", i))
			c.Front.MustOpenStack(t, "image", "save", "--file", dst, id)
			if got := fileMD5(t, dst); got != sum {
				t.Fatalf("saved image %d: md5 %s, want %s", i, got, sum)
			}
		}
	})

	t.Run("swift CLI through the front end", func(t *testing.T) {
		dir := t.TempDir()
		sum := randomFile(t, filepath.Join(dir, "big.bin"), 21<<20+17)
		small := randomFile(t, filepath.Join(dir, "small.bin"), 4096)
		swiftCLI(t, c.Front, dir, "upload", "scale", "big.bin", "small.bin")
		for i := 0; i < 3; i++ {
			out := filepath.Join(dir, fmt.Sprintf("out%d", i))
			os.MkdirAll(out, 0o700)
			swiftCLI(t, c.Front, out, "download", "scale")
			if fileMD5(t, filepath.Join(out, "big.bin")) != sum || fileMD5(t, filepath.Join(out, "small.bin")) != small {
				t.Fatalf("download %d differs", i)
			}
		}
		if list := swiftCLI(t, c.Front, dir, "list", "scale"); !strings.Contains(list, "big.bin") || !strings.Contains(list, "small.bin") {
			t.Fatalf("listing: %q", list)
		}
	})

	t.Run("image uploaded through A downloads from C", func(t *testing.T) {
		tok := a.AdminToken(t)
		data := make([]byte, 20<<20+999)
		rand.Read(data)
		id := imgCreate(t, a, tok, map[string]any{"name": "via-a", "disk_format": "raw", "container_format": "bare"})
		if code, body := imgPut(t, a, tok, id, bytes.NewReader(data)); code != 204 {
			t.Fatalf("upload on a: %d %s", code, body)
		}
		for _, n := range []*Node{cc, b} {
			req, _ := http.NewRequest("GET", n.URL+"/image/v2/images/"+id+"/file", nil)
			req.Header.Set("X-Auth-Token", tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !bytes.Equal(got, data) {
				t.Fatalf("download from %s: %d, %d bytes, equal %v", n.Addr, resp.StatusCode, len(got), bytes.Equal(got, data))
			}
			sum := md5.Sum(data)
			if resp.Header.Get("Content-MD5") != hex.EncodeToString(sum[:]) {
				t.Fatalf("Content-MD5 %q", resp.Header.Get("Content-MD5"))
			}
		}
	})

	t.Run("object written on B reads on A and C, ranges too", func(t *testing.T) {
		tok, storage := swiftAuth(t, b)
		path := strings.TrimPrefix(storage, b.URL)
		if code, _, body := b.Do(t, "PUT", path+"/cross", tok, ""); code != 201 && code != 202 {
			t.Fatalf("container: %d %s", code, body)
		}
		data := make([]byte, 6<<20+3)
		rand.Read(data)
		if code, _, body := b.Do(t, "PUT", path+"/cross/o", tok, data); code != 201 {
			t.Fatalf("put on b: %d %s", code, body)
		}
		for _, n := range []*Node{a, cc} {
			req, _ := http.NewRequest("GET", n.URL+path+"/cross/o", nil)
			req.Header.Set("X-Auth-Token", tok)
			req.Header.Set("Range", "bytes=1000-5000000")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 206 || !bytes.Equal(got, data[1000:5000001]) {
				t.Fatalf("range from %s: %d, %d bytes", n.Addr, resp.StatusCode, len(got))
			}
		}
	})

	t.Run("token revoked on A is refused on B and C within a second", func(t *testing.T) {
		admin := a.AdminToken(t)
		victim := b.AdminToken(t)
		// B and C have the token in their caches.
		for _, n := range []*Node{b, cc} {
			if code, _, body := n.Do(t, "GET", "/image/v2/images", victim, nil); code != 200 {
				t.Fatalf("%s before revocation: %d %s", n.Addr, code, body)
			}
		}
		req, _ := http.NewRequest("DELETE", a.URL+"/identity/v3/auth/tokens", nil)
		req.Header.Set("X-Auth-Token", admin)
		req.Header.Set("X-Subject-Token", victim)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 204 {
			t.Fatalf("revoke on a: %d", resp.StatusCode)
		}
		// A node trusts a validated token for at most its cache TTL (1 s).
		time.Sleep(time.Second)
		var wg sync.WaitGroup
		for _, n := range []*Node{b, cc, a} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if code, _, _ := n.Do(t, "GET", "/image/v2/images", victim, nil); code != 401 {
					t.Errorf("%s a second after revocation: %d, want 401", n.Addr, code)
				}
			}()
		}
		wg.Wait()
	})
}
