package objectstore

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/stratus-iaas/stratus/internal/store"
)

// BenchmarkCommitRows measures the group-committed row path alone.
func BenchmarkCommitRows(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	e.must(201, "PUT", acctA+"/c", "tok-a", "")
	var n atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			o := &Object{Account: "AUTH_pa", Container: "c", Name: fmt.Sprint("o", i), BlobKey: fmt.Sprint("k", i), Size: 4096,
				ETag: "x", ContentType: "a/b", Meta: map[string]string{}}
			if err := e.svc.commit.Do(ctx, func(tx store.Querier) error { return addObject(ctx, tx, o) }); err != nil {
				b.Fatal(err)
			}
		}
	})
}
