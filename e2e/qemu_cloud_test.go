package e2e

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// TestQEMUCloudImageSSH boots the Debian cloud image scripts/build-cloud-image
// makes (named by STRATUS_CLOUD_IMAGE; skipped without it: it takes
// minutes under TCG) through the API with a key pair and user data, waits
// for SSH on the port forwarded to the guest, logs in with the key and
// reads what the user data wrote.
func TestQEMUCloudImageSSH(t *testing.T) {
	img := os.Getenv("STRATUS_CLOUD_IMAGE")
	if img == "" {
		t.Skip("STRATUS_CLOUD_IMAGE names no image (scripts/build-cloud-image makes one)")
	}
	if _, err := os.Stat(img); err != nil {
		t.Fatalf("STRATUS_CLOUD_IMAGE: %v", err)
	}
	start := time.Now()
	n := startQEMUNode(t)
	dir := t.TempDir()
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	sshPub, _ := ssh.NewPublicKey(pub)
	os.WriteFile(filepath.Join(dir, "k.pub"), ssh.MarshalAuthorizedKey(sshPub), 0o600)
	userData := filepath.Join(dir, "user-data")
	os.WriteFile(userData, []byte("#cloud-config\nwrite_files:\n  - path: /var/tmp/stratus-user-data\n    content: \"written by cloud-init from user data\\n\"\n"), 0o600)

	n.MustOpenStack(t, "image", "create", "--file", img, "--disk-format", "qcow2", "--container-format", "bare", "debian")
	n.MustOpenStack(t, "keypair", "create", "--public-key", filepath.Join(dir, "k.pub"), "k1")
	n.MustOpenStack(t, "flavor", "create", "--ram", "512", "--disk", "3", "--vcpus", "1", "cloud.small")
	uploaded := time.Now()
	n.MustOpenStack(t, "server", "create", "--image", "debian", "--flavor", "cloud.small", "--key-name", "k1",
		"--user-data", userData, "--wait", "vm1")
	md, _ := n.serverJSON(t, "vm1")["properties"].(map[string]any)
	addr := fmt.Sprint(md["stratus:ssh"])
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("no SSH forward: %v", md)
	}
	out := sshCommand(t, addr, "debian", key, "cat /var/tmp/stratus-user-data; hostname; cloud-init query subplatform", 20*time.Minute)
	t.Logf("upload %v, create to SSH with user data %v:\n%s", uploaded.Sub(start).Round(time.Second), time.Since(uploaded).Round(time.Second), out)
	if !strings.Contains(out, "written by cloud-init from user data") || !strings.Contains(out, "vm1") ||
		!strings.Contains(out, "metadata (http://169.254.169.254)") {
		t.Fatalf("the guest did not take its metadata:\n%s\n%s", out, n.MustOpenStack(t, "console", "log", "show", "--lines", "40", "vm1"))
	}
	// A volume hot-plugged into the running Linux guest shows up by its
	// serial, and the guest releases it on a live detach.
	vol := field(t, n.MustOpenStack(t, "volume", "create", "--size", "1", "data1", "-f", "json"), "id")
	volWait(t, n, "volume", vol, "available")
	n.MustOpenStack(t, "server", "add", "volume", "vm1", "data1")
	volWait(t, n, "volume", vol, "in-use")
	if out := sshCommand(t, addr, "debian", key, "sleep 2; ls /dev/disk/by-id/", time.Minute); !strings.Contains(out, "virtio-"+vol[:20]) {
		t.Fatalf("the guest does not see the volume:\n%s", out)
	}
	n.MustOpenStack(t, "server", "remove", "volume", "vm1", "data1")
	volWait(t, n, "volume", vol, "available")
	n.MustOpenStack(t, "server", "delete", "--wait", "vm1")
}

// sshCommand waits until addr accepts user with key and runs cmd there.
func sshCommand(t *testing.T, addr, user string, key ed25519.PrivateKey, cmd string, wait time.Duration) string {
	t.Helper()
	signer, err := ssh.NewSignerFromKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &ssh.ClientConfig{User: user, Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 20 * time.Second}
	deadline := time.Now().Add(wait)
	var last error
	for time.Now().Before(deadline) {
		c, err := ssh.Dial("tcp", addr, cfg)
		if err == nil {
			s, err := c.NewSession()
			if err == nil {
				out, err := s.CombinedOutput(cmd)
				s.Close()
				c.Close()
				if err == nil {
					return string(out)
				}
			} else {
				c.Close()
			}
			last = err
		} else {
			last = err
		}
		time.Sleep(3 * time.Second)
	}
	t.Fatalf("no SSH session on %s within %v: %v", addr, wait, last)
	return ""
}
