package blob

import (
	"context"
	"fmt"
	"io"
	"sync"
	"testing"
)

func TestGroupConcurrentCommits(t *testing.T) {
	ctx := context.Background()
	fs, err := NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	g := NewGroup(fs)
	var wg sync.WaitGroup
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := fmt.Sprintf("d%d/k%d", i%3, i)
			w, err := g.Create(ctx, key)
			if err != nil {
				t.Error(err)
				return
			}
			fmt.Fprintf(w, "value %d", i)
			if _, err := g.Stat(ctx, key); err == nil {
				t.Errorf("%s visible before Commit", key)
			}
			if err := w.Commit(); err != nil {
				t.Error(err)
				return
			}
			w.Abort() // no-op after Commit
			r, err := g.Open(ctx, key)
			if err != nil {
				t.Error(err)
				return
			}
			b, _ := io.ReadAll(r)
			r.Close()
			if string(b) != fmt.Sprintf("value %d", i) {
				t.Errorf("%s: %q", key, b)
			}
			if _, ok := OSFile(r); !ok {
				t.Error("OSFile")
			}
		}()
	}
	wg.Wait()
	w, _ := g.Create(ctx, "aborted")
	io.WriteString(w, "x")
	w.Abort()
	if _, err := g.Stat(ctx, "aborted"); err != ErrNotFound {
		t.Fatalf("aborted blob: %v", err)
	}
	if err := w.Commit(); err == nil {
		t.Fatal("commit after abort")
	}
}
