package e2e

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// diskMD5 is the MD5 of a server's root disk file on the fake driver.
func diskMD5(t *testing.T, n *Node, id string) string {
	t.Helper()
	f, err := os.Open(filepath.Join(n.DataDir, "instances", id, "disk"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestComputeServerLifecycleCLI is issue 13's walk with Debian's openstack
// CLI: boot with a key pair, power actions, snapshot with `server image
// create --wait`, a second server from the snapshot with the same disk,
// console log, delete; isolation between projects.
func TestComputeServerLifecycleCLI(t *testing.T) {
	t.Parallel()
	n := StartNode(t)
	raw := filepath.Join(t.TempDir(), "img.raw")
	data := make([]byte, 1<<20)
	rand.Read(data)
	if err := os.WriteFile(raw, data, 0o600); err != nil {
		t.Fatal(err)
	}
	n.MustOpenStack(t, "image", "create", "--file", raw, "--disk-format", "raw", "--container-format", "bare", "--public", "img1")
	n.MustOpenStack(t, "keypair", "create", "k1")
	n.MustOpenStack(t, "network", "create", "net1")
	n.MustOpenStack(t, "subnet", "create", "--network", "net1", "--subnet-range", "192.168.10.0/24", "sub1")
	vm := cmpJSON(t, n.MustOpenStack(t, "server", "create", "--image", "img1", "--flavor", "m1.tiny", "--network", "net1",
		"--key-name", "k1", "--wait", "vm1", "-f", "json"))
	id := vm["id"].(string)
	if vm["status"] != "ACTIVE" || vm["key_name"] != "k1" || vm["OS-EXT-STS:power_state"].(float64) != 1 {
		t.Fatalf("server create: %v", vm)
	}
	if addr := fmt.Sprint(vm["addresses"]); !strings.Contains(addr, "net1") || !strings.Contains(addr, "192.168.10.") {
		t.Fatalf("server addresses: %v", vm["addresses"])
	}
	if out := n.MustOpenStack(t, "server", "list", "-f", "value", "-c", "Name", "-c", "Status"); out != "vm1 ACTIVE\n" {
		t.Fatalf("server list: %q", out)
	}
	tok := n.AdminToken(t)
	status := func() string {
		_, _, b := n.Do(t, "GET", "/compute/v2.1/servers/"+id, tok, nil)
		st, _ := cmpJSON(t, string(b))["server"].(map[string]any)["status"].(string)
		return st
	}
	waitStatus := func(want string) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			if status() == want {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("vm1 did not reach %s (is %s)", want, status())
	}
	for _, step := range []struct {
		args []string
		want string
	}{
		{[]string{"server", "stop", "vm1"}, "SHUTOFF"},
		{[]string{"server", "start", "vm1"}, "ACTIVE"},
		{[]string{"server", "reboot", "--wait", "vm1"}, "ACTIVE"},
		{[]string{"server", "pause", "vm1"}, "PAUSED"},
		{[]string{"server", "unpause", "vm1"}, "ACTIVE"},
		{[]string{"server", "suspend", "vm1"}, "SUSPENDED"},
		{[]string{"server", "resume", "vm1"}, "ACTIVE"},
	} {
		n.MustOpenStack(t, step.args...)
		waitStatus(step.want)
	}
	snap := cmpJSON(t, n.MustOpenStack(t, "server", "image", "create", "--name", "snap1", "--wait", "vm1", "-f", "json"))
	if snap["status"] != "active" || snap["disk_format"] != "qcow2" {
		t.Fatalf("snapshot: %v", snap)
	}
	props := n.MustOpenStack(t, "image", "show", "snap1", "-f", "value", "-c", "properties")
	for _, want := range []string{"'image_type': 'snapshot'", "'instance_uuid': '" + id + "'"} {
		if !strings.Contains(props, want) {
			t.Fatalf("snapshot properties lack %s: %s", want, props)
		}
	}
	vm2 := cmpJSON(t, n.MustOpenStack(t, "server", "create", "--image", "snap1", "--flavor", "m1.tiny", "--network", "net1", "--wait", "vm2", "-f", "json"))
	if vm2["status"] != "ACTIVE" || diskMD5(t, n, id) != diskMD5(t, n, vm2["id"].(string)) {
		t.Fatalf("second server's disk differs from the first's")
	}
	if log := n.MustOpenStack(t, "console", "log", "show", "--lines", "3", "vm1"); !strings.Contains(log, "vm1 login:") {
		t.Fatalf("console log: %q", log)
	}
	// A port made beforehand, attached and detached; security groups.
	n.MustOpenStack(t, "port", "create", "--network", "net1", "p1")
	n.MustOpenStack(t, "server", "add", "port", "vm1", "p1")
	if addr := n.MustOpenStack(t, "server", "show", "vm1", "-f", "value", "-c", "addresses"); strings.Count(addr, "192.168.10.") != 2 {
		t.Fatalf("addresses after add port: %s", addr)
	}
	n.MustOpenStack(t, "server", "remove", "port", "vm1", "p1")
	n.MustOpenStack(t, "security", "group", "create", "sg1")
	n.MustOpenStack(t, "server", "add", "security", "group", "vm1", "sg1")
	if sgs := n.MustOpenStack(t, "server", "show", "vm1", "-f", "value", "-c", "security_groups"); !strings.Contains(sgs, "sg1") {
		t.Fatalf("security groups: %s", sgs)
	}

	// Another project's user sees none of it.
	_, u2 := imgSecondUser(t, n)
	if out, err := u2("server", "show", id); err == nil || !strings.Contains(err.Error(), "No server with a name or ID") {
		t.Fatalf("other project's server visible: %v %s", err, out)
	}
	if out, _ := u2("server", "list", "-f", "value"); out != "" {
		t.Fatalf("other project lists %q", out)
	}

	n.MustOpenStack(t, "server", "delete", "--wait", "vm1", "vm2")
	if out := n.MustOpenStack(t, "server", "list", "-f", "value"); out != "" {
		t.Fatalf("servers after delete: %q", out)
	}
	if _, err := os.Stat(filepath.Join(n.DataDir, "instances", id)); !os.IsNotExist(err) {
		t.Fatalf("disk of a deleted server left: %v", err)
	}
}

// TestComputeDocumentedErrors checks each documented create and action
// error once, on the wire.
func TestComputeDocumentedErrors(t *testing.T) {
	t.Parallel()
	n := StartNode(t)
	tok := n.AdminToken(t)
	raw := filepath.Join(t.TempDir(), "img.raw")
	os.WriteFile(raw, make([]byte, 1<<20), 0o600)
	img := cmpJSON(t, n.MustOpenStack(t, "image", "create", "--file", raw, "--disk-format", "raw", "--container-format", "bare", "img", "-f", "json"))["id"].(string)
	big := cmpJSON(t, n.MustOpenStack(t, "image", "create", "--file", raw, "--disk-format", "raw", "--container-format", "bare", "--min-disk", "30", "big", "-f", "json"))["id"].(string)
	create := func(fields map[string]any) (int, string) {
		srv := map[string]any{"name": "e", "imageRef": img, "flavorRef": "1"}
		for k, v := range fields {
			srv[k] = v
		}
		code, _, b := n.Do(t, "POST", "/compute/v2.1/servers", tok, map[string]any{"server": srv})
		return code, string(b)
	}
	for _, tc := range []struct {
		name   string
		fields map[string]any
		code   int
		body   string
	}{
		{"bad flavor", map[string]any{"flavorRef": "nope"}, 400, `{"badRequest":{"code":400,"message":"Flavor nope could not be found."}}`},
		{"bad image", map[string]any{"imageRef": "99999999-9999-9999-9999-999999999999"}, 400, `{"badRequest":{"code":400,"message":"Can not find requested image"}}`},
		{"min_disk too big", map[string]any{"imageRef": big}, 400, `{"badRequest":{"code":400,"message":"Flavor's disk is smaller than the minimum size specified in image metadata. Flavor disk is 1073741824 bytes, minimum size is 32212254720 bytes."}}`},
	} {
		if code, body := create(tc.fields); code != tc.code || body != tc.body {
			t.Errorf("%s: %d %s", tc.name, code, body)
		}
	}
	// Quota: two instances allowed, a third is refused.
	admin := cmpJSON(t, n.MustOpenStack(t, "project", "show", "admin", "-f", "json"))["id"].(string)
	n.MustOpenStack(t, "quota", "set", "--instances", "2", admin)
	if code, body := create(map[string]any{"min_count": 3}); code != 403 ||
		body != `{"forbidden":{"code":403,"message":"Quota exceeded for instances: Requested 3, but already used 0 of 2 instances"}}` {
		t.Fatalf("quota: %d %s", code, body)
	}
	// Wrong state: pausing a stopped server is 409.
	code, _, b := n.Do(t, "POST", "/compute/v2.1/servers", tok, map[string]any{"server": map[string]any{"name": "s", "imageRef": img, "flavorRef": "1"}})
	if code != 202 {
		t.Fatalf("create: %d %s", code, b)
	}
	id := cmpJSON(t, string(b))["server"].(map[string]any)["id"].(string)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		_, _, b := n.Do(t, "GET", "/compute/v2.1/servers/"+id, tok, nil)
		if strings.Contains(string(b), `"status":"ACTIVE"`) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	n.MustOpenStack(t, "server", "stop", id)
	for time.Now().Before(deadline) {
		_, _, b := n.Do(t, "GET", "/compute/v2.1/servers/"+id, tok, nil)
		if strings.Contains(string(b), `"status":"SHUTOFF"`) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	code, _, b = n.Do(t, "POST", "/compute/v2.1/servers/"+id+"/action", tok, map[string]any{"pause": nil})
	if code != 409 || string(b) != `{"conflictingRequest":{"code":409,"message":"Cannot 'pause' instance `+id+` while it is in vm_state stopped"}}` {
		t.Fatalf("wrong state: %d %s", code, b)
	}
	// Seed 003: createImage without a body.
	code, _, b = n.Do(t, "POST", "/compute/v2/"+admin+"/servers/"+id+"/action", tok, "")
	if code != 400 || string(b) != `{"badRequest":{"code":400,"message":"There is no such action: None"}}` {
		t.Fatalf("no action: %d %s", code, b)
	}
}
