package blob

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestFSLifecycle(t *testing.T) {
	ctx := context.Background()
	s, err := NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(ctx, "a/b"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("open missing: %v", err)
	}
	w, err := s.Create(ctx, "a/b")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "hello")
	if _, err := s.Stat(ctx, "a/b"); !errors.Is(err, ErrNotFound) {
		t.Fatal("bytes visible before Commit")
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	r, err := s.Open(ctx, "a/b")
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 3)
	if _, err := r.ReadAt(b, 2); err != nil || string(b) != "llo" || r.Size() != 5 {
		t.Fatalf("ReadAt: %q %v size %d", b, err, r.Size())
	}
	r.Close()
	// An aborted overwrite keeps the old value.
	w2, _ := s.Create(ctx, "a/b")
	io.WriteString(w2, "other")
	w2.Abort()
	if n, _ := s.Stat(ctx, "a/b"); n != 5 {
		t.Fatalf("aborted write changed the blob: size %d", n)
	}
	if err := s.Delete(ctx, "a/b"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "a/b"); err != nil {
		t.Fatalf("delete missing: %v", err)
	}
}

func TestFSSweepsTempFiles(t *testing.T) {
	root := t.TempDir()
	s, _ := NewFS(root)
	w, _ := s.Create(context.Background(), "x")
	io.WriteString(w, "half")
	// Simulate a crash: the writer is never committed or aborted.
	if _, err := NewFS(root); err != nil {
		t.Fatal(err)
	}
	left, _ := os.ReadDir(filepath.Join(root, ".tmp"))
	if len(left) != 0 {
		t.Fatalf("temp files survived restart: %d", len(left))
	}
}

func TestValidKey(t *testing.T) {
	for key, want := range map[string]bool{
		"images/abc": true, "": false, "/etc/passwd": false, "a/../b": false,
		"a//b": false, ".tmp/x": false, "a/./b": false, "objects/p/c/o%2F": true,
	} {
		if got := ValidKey(key); got != want {
			t.Errorf("ValidKey(%q) = %v, want %v", key, got, want)
		}
	}
}
