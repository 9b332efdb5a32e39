package objectstore

import (
	"context"
	"testing"

	"github.com/stratus-iaas/stratus/internal/fault"
)

// A copy whose source was deleted between reading it and recording the
// copy must fail, not record a row pointing at bytes being dropped.
func TestCopyOfVanishedSourceIsRefused(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		e.must(201, "PUT", acctA+"/c", "tok-a", "")
		e.must(201, "PUT", acctA+"/c/src", "tok-a", "bytes")
		ctx := context.Background()
		src, err := e.svc.liveObject(ctx, "AUTH_pa", "c", "src")
		if err != nil {
			t.Fatal(err)
		}
		e.must(204, "DELETE", acctA+"/c/src", "tok-a", "")
		n := *src
		n.Name = "dst"
		err = e.svc.storeObject(ctx, &n, putOpts{sharedBlob: true})
		if fault.KindOf(err) != fault.NotFound {
			t.Fatalf("copy of a deleted source: got %v, want not found", err)
		}
		e.must(404, "GET", acctA+"/c/dst", "tok-a", "")
		// While the source lives, the same copy is recorded.
		e.must(201, "PUT", acctA+"/c/src", "tok-a", "bytes")
		if src, err = e.svc.liveObject(ctx, "AUTH_pa", "c", "src"); err != nil {
			t.Fatal(err)
		}
		n = *src
		n.Name = "dst"
		if err := e.svc.storeObject(ctx, &n, putOpts{sharedBlob: true}); err != nil {
			t.Fatal(err)
		}
		if _, b := e.must(200, "GET", acctA+"/c/dst", "tok-a", ""); b != "bytes" {
			t.Fatalf("copy body %q", b)
		}
	})
}
