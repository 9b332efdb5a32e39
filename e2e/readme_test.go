package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/testutil"
)

// readmeBlocks returns the shell blocks README.md marks as run by this test.
func readmeBlocks(t *testing.T) []string {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "<!-- e2e: README commands") {
			continue
		}
		if i+1 >= len(lines) || lines[i+1] != "```sh" {
			t.Fatalf("README.md line %d: the marked block does not start with ```sh", i+2)
		}
		var block []string
		for i += 2; i < len(lines) && lines[i] != "```"; i++ {
			block = append(block, lines[i])
		}
		blocks = append(blocks, strings.Join(block, "\n"))
	}
	return blocks
}

// TestReadmeFirstRun runs README.md's first-run commands as written, in a
// directory whose stratus-data is a fresh node's data dir: clouds.yaml
// with the openstack CLI, openrc with the openstack and swift CLIs.
func TestReadmeFirstRun(t *testing.T) {
	testutil.RequireTool(t, "openstack")
	testutil.RequireTool(t, "swift")
	bash := testutil.RequireTool(t, "bash")
	n := StartNode(t)
	work := t.TempDir()
	if err := os.Symlink(n.DataDir, filepath.Join(work, "stratus-data")); err != nil {
		t.Fatal(err)
	}
	// The files the commands name: a qcow2 made by stratus itself, and any bytes.
	raw := filepath.Join(work, "disk.raw")
	if err := os.WriteFile(raw, make([]byte, 2<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(stratusBin, "image", "convert", "-f", "raw", "-O", "qcow2", raw, filepath.Join(work, "disk.qcow2")).CombinedOutput(); err != nil {
		t.Fatalf("convert: %v %s", err, out)
	}
	vmdk := make([]byte, 3<<20)
	rand.Read(vmdk)
	if err := os.WriteFile(filepath.Join(work, "big.vmdk"), vmdk, 0o644); err != nil {
		t.Fatal(err)
	}
	blocks := readmeBlocks(t)
	if len(blocks) != 2 {
		t.Fatalf("README.md has %d marked blocks, want the clouds.yaml one and the openrc one", len(blocks))
	}
	run := func(script string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bash, "-euo", "pipefail", "-c", script)
		cmd.Dir = work
		cmd.Env = append(cleanEnv(), "HOME="+work)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("README block failed: %v\n%s\nstdout: %s\nstderr: %s", err, script, out.String(), errb.String())
		}
		return out.String()
	}
	out := run(blocks[0])
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if last := lines[len(lines)-1]; last != "active" || !strings.Contains(out, "my-image") {
		t.Fatalf("clouds.yaml block: want the image active at the end:\n%s", out)
	}
	out = run(blocks[1])
	if !strings.Contains(out, "my-image") || strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:]) != "big.vmdk" {
		t.Fatalf("openrc block: want my-image listed and big.vmdk in the container:\n%s", out)
	}
	// What swift stored is what was uploaded.
	project := strings.TrimSpace(n.MustOpenStack(t, "project", "show", "admin", "-f", "value", "-c", "id"))
	code, _, body := n.Do(t, "GET", "/object-store/v1/AUTH_"+project+"/my-container/big.vmdk", n.AdminToken(t), nil)
	if code != 200 || !bytes.Equal(body, vmdk) {
		t.Fatalf("object: %d, %d bytes", code, len(body))
	}
}
