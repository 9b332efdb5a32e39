package objectstore

import (
	"context"
	"io"
	"testing"
)

func TestSweepOrphans(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		ctx := context.Background()
		e.must(201, "PUT", acctA+"/c", "tok-a", "")
		e.must(201, "PUT", acctA+"/c/kept", "tok-a", "kept bytes")
		// A blob committed by a PUT that crashed before its row.
		key := newBlobKey()
		w, err := e.blobs.Create(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, "orphan")
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
		if n, err := e.svc.sweepOrphans(ctx, 0); err != nil || n != 1 {
			t.Fatalf("swept %d, %v", n, err)
		}
		if _, err := e.blobs.Stat(ctx, key); err == nil {
			t.Fatal("orphan still there")
		}
		if _, b := e.must(200, "GET", acctA+"/c/kept", "tok-a", ""); b != "kept bytes" {
			t.Fatalf("referenced blob swept: %q", b)
		}
	})
}
