package server

import (
	"os"
	"path/filepath"
	"testing"
)

func TestNodeIDIsStable(t *testing.T) {
	dir := t.TempDir()
	a, err := nodeID(dir)
	if err != nil || len(a) != 32 {
		t.Fatalf("first start: %q, %v", a, err)
	}
	if b, err := nodeID(dir); err != nil || b != a {
		t.Fatalf("restart: %q, %v; want %q", b, err, a)
	}
	if c, err := nodeID(t.TempDir()); err != nil || c == a {
		t.Fatalf("another data dir: %q, %v", c, err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("data dir holds %d entries, want only %s", len(ents), nodeIDFile)
	}
	os.WriteFile(filepath.Join(dir, nodeIDFile), []byte("\n"), 0o600)
	if _, err := nodeID(dir); err == nil {
		t.Fatal("empty node-id accepted")
	}
}
