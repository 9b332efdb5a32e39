package e2e

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
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
func startScaleCluster(t *testing.T, n int, lease time.Duration, extraEnv ...string) *scaleCluster {
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
	env = append(env, extraEnv...)
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
	// The web-download source of the import a killed node was running.
	var sourceRequests atomic.Int32
	source := make([]byte, 8<<20+5)
	rand.Read(source)
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(source)))
		if sourceRequests.Add(1) == 1 {
			// The first download stalls half-way until its node dies.
			w.Write(source[:len(source)/2])
			w.(http.Flusher).Flush()
			<-r.Context().Done()
			return
		}
		w.Write(source)
	}))
	defer src.Close()
	_, srcPort, _ := net.SplitHostPort(src.Listener.Addr().String())
	c := startScaleCluster(t, 3, 3*time.Second,
		"STRATUS_WEB_DOWNLOAD_ALLOWED_PORTS="+srcPort, "STRATUS_WEB_DOWNLOAD_ALLOWED_HOSTS=127.0.0.1")
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

	// Last: it kills a node.
	t.Run("an import whose node is killed finishes on another node", func(t *testing.T) {
		tok := a.AdminToken(t)
		id := imgCreate(t, a, tok, map[string]any{"name": "imported", "disk_format": "raw", "container_format": "bare"})
		code, _, body := a.Do(t, "POST", "/image/v2/images/"+id+"/import", tok,
			map[string]any{"method": map[string]any{"name": "web-download", "uri": src.URL + "/disk.raw"}})
		if code != 202 {
			t.Fatalf("import: %d %s", code, body)
		}
		// The node running the job is the one holding its lease.
		var owner string
		for i := 0; owner == "" && i < 600; i++ {
			if j := jobOf(t, a, tok, id); j.State == "running" && sourceRequests.Load() == 1 {
				owner = j.LeaseOwner
			}
			time.Sleep(50 * time.Millisecond)
		}
		victim := c.byNodeID(t, owner)
		victim.Kill()
		var survivor *Node
		for _, n := range c.Nodes {
			if n != victim {
				survivor = n
			}
		}
		im := waitImage(t, survivor, tok, id, "importing")
		sum := md5.Sum(source)
		if im["status"] != "active" || im["checksum"] != hex.EncodeToString(sum[:]) {
			t.Fatalf("after the kill: %v", im)
		}
		j := jobOf(t, survivor, tok, id)
		if j.State != "succeeded" || j.Attempt != 2 || j.LeaseOwner == owner {
			t.Fatalf("job %+v, want succeeded on its second attempt elsewhere", j)
		}
		// The image's bytes are served by every node still up.
		for _, n := range c.Nodes {
			if n == victim {
				continue
			}
			req, _ := http.NewRequest("GET", n.URL+"/image/v2/images/"+id+"/file", nil)
			req.Header.Set("X-Auth-Token", tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !bytes.Equal(got, source) {
				t.Fatalf("download from %s: %d bytes", n.Addr, len(got))
			}
		}
	})
}

// jobBody is what /stratus/v1/jobs shows of a job.
type jobBody struct {
	State      string `json:"state"`
	Attempt    int    `json:"attempt"`
	LeaseOwner string `json:"lease_owner"`
}

// jobOf returns the (only) job of resource id.
func jobOf(t *testing.T, n *Node, token, id string) jobBody {
	t.Helper()
	code, _, body := n.Do(t, "GET", "/stratus/v1/jobs?resource_id="+id, token, nil)
	var doc struct{ Jobs []jobBody }
	if err := json.Unmarshal(body, &doc); code != 200 || err != nil || len(doc.Jobs) != 1 {
		t.Fatalf("jobs of %s: %d %s", id, code, body)
	}
	return doc.Jobs[0]
}

// byNodeID is the node whose data dir holds node id.
func (c *scaleCluster) byNodeID(t *testing.T, id string) *Node {
	t.Helper()
	for _, n := range c.Nodes {
		b, err := os.ReadFile(filepath.Join(n.DataDir, "node-id"))
		if err == nil && strings.TrimSpace(string(b)) == id {
			return n
		}
	}
	t.Fatalf("no node has id %q", id)
	return nil
}
