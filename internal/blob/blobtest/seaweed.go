package blobtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/stratus-iaas/stratus/internal/blob/s3blob"
)

// Seaweed is a SeaweedFS server (master, volume, filer and S3 gateway in
// one `weed server` process) on loopback ports, with one S3 identity.
type Seaweed struct {
	Endpoint  string // http://127.0.0.1:PORT of the S3 gateway
	AccessKey string
	SecretKey string
	Dir       string

	cmd  *exec.Cmd
	done chan struct{}
	mu   sync.Mutex
	log  bytes.Buffer
}

// WeedPath finds the weed binary: $STRATUS_WEED, then PATH, then
// /usr/local/bin (where scripts/install-deps puts it). "" when missing.
func WeedPath() string {
	if p := os.Getenv("STRATUS_WEED"); p != "" {
		return p
	}
	if p, err := exec.LookPath("weed"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/local/bin/weed"); err == nil {
		return "/usr/local/bin/weed"
	}
	return ""
}

// StartSeaweed starts weed with its data in dir and waits until its S3
// gateway accepts a signed write. Buckets are created on demand by the
// stores; every path under /buckets is written with fsync, so a commit
// the gateway acknowledged is on disk as the filesystem store's are.
func StartSeaweed(weed, dir string) (*Seaweed, error) {
	s := &Seaweed{Dir: dir, AccessKey: "stratus" + randHex(4), SecretKey: randHex(20), done: make(chan struct{})}
	ident := map[string]any{"identities": []any{map[string]any{
		"name":        "stratus",
		"credentials": []any{map[string]string{"accessKey": s.AccessKey, "secretKey": s.SecretKey}},
		"actions":     []string{"Admin", "Read", "Write", "List", "Tagging"},
	}}}
	js, _ := json.Marshal(ident)
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o700); err != nil {
		return nil, err
	}
	cfg := filepath.Join(dir, "s3.json")
	if err := os.WriteFile(cfg, js, 0o600); err != nil {
		return nil, err
	}
	ports, err := freePorts(8)
	if err != nil {
		return nil, err
	}
	s.Endpoint = "http://127.0.0.1:" + strconv.Itoa(ports[6])
	args := []string{"server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-dir=" + filepath.Join(dir, "data"),
		"-master.port=" + strconv.Itoa(ports[0]), "-master.port.grpc=" + strconv.Itoa(ports[1]),
		"-volume.port=" + strconv.Itoa(ports[2]), "-volume.port.grpc=" + strconv.Itoa(ports[3]),
		"-filer", "-filer.port=" + strconv.Itoa(ports[4]), "-filer.port.grpc=" + strconv.Itoa(ports[5]),
		"-s3", "-s3.port=" + strconv.Itoa(ports[6]), "-s3.port.grpc=" + strconv.Itoa(ports[7]),
		"-s3.port.iceberg=0", "-s3.port.lance=0", "-s3.config=" + cfg,
		"-master.telemetry=false", "-master.volumeSizeLimitMB=1024", "-volume.max=0",
		"-filer.localSocket=" + filepath.Join(dir, "filer.sock"), "-s3.localSocket=" + filepath.Join(dir, "s3.sock"),
	}
	s.cmd = exec.Command(weed, args...)
	s.cmd.Dir = dir
	s.cmd.Stdout, s.cmd.Stderr = s, s
	// The server must not outlive the test process, even when it is killed.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	if err := s.waitReady(90 * time.Second); err != nil {
		s.Stop()
		return nil, fmt.Errorf("%w\n%s", err, s.Log())
	}
	// Every write under /buckets is fsynced before it is acknowledged.
	shell := exec.Command(weed, "shell", fmt.Sprintf("-master=127.0.0.1:%d.%d", ports[0], ports[1]),
		fmt.Sprintf("-filer=127.0.0.1:%d.%d", ports[4], ports[5]))
	shell.Stdin = strings.NewReader("fs.configure -locationPrefix=/buckets/ -fsync -apply\nexit\n")
	if out, err := shell.CombinedOutput(); err != nil || !strings.Contains(string(out), `"fsync":  true`) {
		s.Stop()
		return nil, fmt.Errorf("configuring fsync: %v\n%s", err, out)
	}
	return s, nil
}

// Write collects the server's output (for failure messages).
func (s *Seaweed) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.log.Len() < 1<<20 {
		s.log.Write(p)
	}
	return len(p), nil
}

// Log is what the server printed (its first MiB).
func (s *Seaweed) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// Options are the s3blob options of bucket (prefix may be "") on this
// server, with staging files under stageDir.
func (s *Seaweed) Options(bucket, prefix, stageDir string) s3blob.Options {
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return s3blob.Options{Endpoint: s.Endpoint, Bucket: bucket, Prefix: prefix, AccessKey: s.AccessKey, SecretKey: s.SecretKey, StageDir: stageDir}
}

// Env is the environment that points a stratus process at bucket:
// STRATUS_BLOB and the AWS credentials.
func (s *Seaweed) Env(bucket string) []string {
	return []string{"STRATUS_BLOB=s3://" + bucket + "?endpoint=" + s.Endpoint,
		"AWS_ACCESS_KEY_ID=" + s.AccessKey, "AWS_SECRET_ACCESS_KEY=" + s.SecretKey, "AWS_REGION=us-east-1"}
}

// waitReady waits until a store on the server commits and reads back a
// probe: the gateway answers and a volume server has registered.
func (s *Seaweed) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return errors.New("weed exited during start")
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		last = s.probe(ctx)
		cancel()
		if last == nil {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("weed did not become ready: %v", last)
}

func (s *Seaweed) probe(ctx context.Context) error {
	o := s.Options("stratus-probe", "", filepath.Join(s.Dir, "stage"))
	o.MaxRetries = 1
	st, err := s3blob.New(ctx, o)
	if err != nil {
		return err
	}
	w, err := st.Create(ctx, "probe")
	if err != nil {
		return err
	}
	w.Write([]byte("ok"))
	if err := w.Commit(); err != nil {
		return err
	}
	if n, err := st.Stat(ctx, "probe"); err != nil || n != 2 {
		return fmt.Errorf("probe: %d %v", n, err)
	}
	return st.Delete(ctx, "probe")
}

// Stop kills the server and waits for it.
func (s *Seaweed) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.done
}

func freePorts(n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			l.Close()
		}
	}()
	var ports []int
	for len(ports) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
