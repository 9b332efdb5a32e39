package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func cmpJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
	return m
}

// TestComputeFlavorsKeypairsCLI drives flavors, key pairs and limits with
// Debian's openstack CLI.
func TestComputeFlavorsKeypairsCLI(t *testing.T) {
	t.Parallel()
	n := StartNode(t)
	out := n.MustOpenStack(t, "flavor", "list", "-f", "value", "-c", "Name")
	for _, f := range []string{"m1.tiny", "m1.small", "S-4", "M-16"} {
		if !strings.Contains(out, f+"\n") {
			t.Fatalf("flavor list lacks %s:\n%s", f, out)
		}
	}
	fl := cmpJSON(t, n.MustOpenStack(t, "flavor", "create", "--ram", "256", "--vcpus", "2", "--disk", "3", "--property", "k5:type=test", "f1", "-f", "json"))
	show := cmpJSON(t, n.MustOpenStack(t, "flavor", "show", fl["id"].(string), "-f", "json"))
	if show["ram"].(float64) != 256 || show["vcpus"].(float64) != 2 || !strings.Contains(n.MustOpenStack(t, "flavor", "show", "f1", "-c", "properties", "-f", "value"), "k5:type") {
		t.Fatalf("flavor show: %v", show)
	}
	n.MustOpenStack(t, "flavor", "delete", "f1")

	priv := n.MustOpenStack(t, "keypair", "create", "k1")
	if _, err := ssh.ParsePrivateKey([]byte(priv)); err != nil {
		t.Fatalf("keypair create printed no usable private key: %v\n%s", err, priv)
	}
	kp := cmpJSON(t, n.MustOpenStack(t, "keypair", "show", "k1", "-f", "json"))
	if kp["type"] != "ssh" || strings.Count(kp["fingerprint"].(string), ":") != 15 {
		t.Fatalf("keypair show: %v", kp)
	}
	if out := n.MustOpenStack(t, "keypair", "list", "-f", "value", "-c", "Name"); out != "k1\n" {
		t.Fatalf("keypair list: %q", out)
	}
	n.MustOpenStack(t, "keypair", "delete", "k1")
	if _, err := n.OpenStack(t, nil, "keypair", "show", "k1"); err == nil {
		t.Fatal("deleted keypair still shown")
	}
	lim := n.MustOpenStack(t, "limits", "show", "--absolute", "-f", "value")
	if !strings.Contains(lim, "maxTotalInstances 10") {
		t.Fatalf("limits: %s", lim)
	}
}
