package qemu

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/stratus-iaas/stratus/internal/hypervisor"
)

// CloudImage is the image scripts/build-cloud-image made, named by
// STRATUS_CLOUD_IMAGE; "" when unset or missing. (Booting it takes minutes
// under TCG, so the tests that do run only when asked.)
func CloudImage() string {
	p := os.Getenv("STRATUS_CLOUD_IMAGE")
	if p == "" {
		return ""
	}
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// sshRun waits until addr accepts user with key, then runs cmd.
func sshRun(t testing.TB, addr, user string, key ed25519.PrivateKey, cmd string, wait time.Duration) string {
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
		if err != nil {
			last = err
			time.Sleep(2 * time.Second)
			continue
		}
		defer c.Close()
		s, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		out, err := s.CombinedOutput(cmd)
		if err != nil {
			last = err
			time.Sleep(2 * time.Second)
			continue
		}
		return string(out)
	}
	t.Fatalf("no SSH session on %s within %v: %v", addr, wait, last)
	return ""
}

// TestCloudImageBootsWithMetadata boots the Debian cloud image (when it
// was built) with its key and user data from the metadata service, then
// from a config drive, and logs in over the forwarded SSH port.
func TestCloudImageBootsWithMetadata(t *testing.T) {
	img := CloudImage()
	if img == "" {
		t.Skip("STRATUS_CLOUD_IMAGE names no image (scripts/build-cloud-image makes one)")
	}
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	sshPub, _ := ssh.NewPublicKey(pub)
	authorized := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub)))
	ctx := context.Background()
	d := newDriver(t, t.TempDir(), nil)
	defer d.Close()
	for _, drive := range []bool{false, true} {
		id := "b7c5d0e2-5c1f-4c43-9a55-0000000000c1"
		if drive {
			id = "b7c5d0e2-5c1f-4c43-9a55-0000000000c2"
		}
		spec := hypervisor.Spec{ID: id, Name: "cloud", Hostname: "cloud-vm", VCPUs: 1, MemoryMB: 512, RootGB: 3,
			Image:    hypervisor.Image{ID: "debian-cloud", Format: "qcow2", Path: img},
			UserData: []byte("#cloud-config\nwrite_files:\n  - path: /var/tmp/stratus-user-data\n    content: \"user data reached " + id + "\\n\"\n"),
			KeyName:  "k1", KeyData: authorized, ProjectID: "p1", ConfigDrive: drive,
			NICs: []hypervisor.NIC{{PortID: "port-c", NetworkID: "net-c", MAC: "fa:16:3e:00:00:c1", IPs: []string{"10.0.0.7"},
				CIDR: "10.0.0.0/24", Gateway: "10.0.0.1", DNS: []string{"10.0.0.2"}}}}
		start := time.Now()
		defer d.Destroy(ctx, id)
		if err := d.Spawn(ctx, spec); err != nil {
			t.Fatal(err)
		}
		acc, _ := d.Access(ctx, id)
		out := sshRun(t, acc.SSH, "debian", key, "cat /var/tmp/stratus-user-data; hostname; ip -4 -o addr show; ls /dev/disk/by-label; cloud-init query subplatform", 15*time.Minute)
		t.Logf("config drive %v: SSH and user data after %v:\n%s", drive, time.Since(start).Round(time.Second), out)
		source := "metadata (http://169.254.169.254)"
		if drive {
			source = "config-disk (/dev/sr0)"
		}
		if !strings.Contains(out, "user data reached "+id) || !strings.Contains(out, "cloud-vm") || !strings.Contains(out, "10.0.0.7/24") ||
			!strings.Contains(out, source) {
			con, _ := d.ConsoleOutput(ctx, id, 60)
			t.Fatalf("guest did not take its metadata:\n%s\nconsole:\n%s", out, con)
		}
		if err := d.Destroy(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
}
