package objectstore

import (
	"context"
	"testing"

	"github.com/stratus-iaas/stratus/internal/store"
	"github.com/stratus-iaas/stratus/internal/store/storetest"
)

// runBatch runs bodies as one optimistic group-commit batch and fails the
// test if any of them fails.
func runBatch(t *testing.T, c *committer, bodies ...func(tx store.Querier) error) {
	t.Helper()
	reqs := make([]*commitReq, len(bodies))
	for i, fn := range bodies {
		reqs[i] = &commitReq{fn: fn, done: make(chan error, 1)}
	}
	c.run(reqs)
	for i, r := range reqs {
		if err := <-r.done; err != nil {
			t.Fatalf("body %d: %v", i, err)
		}
	}
}

// Requests of one batch see each other's counter changes and container
// writes exactly as they would one transaction at a time, and the
// counters written at the end add up.
func TestBatchSharesContainersAndCounters(t *testing.T) {
	db := storetest.Open(t)
	c := newCommitter(db)
	defer c.close()
	ctx := context.Background()
	runBatch(t, c, func(tx store.Querier) error {
		if err := ensureAccount(ctx, tx, "AUTH_a", 1); err != nil {
			return err
		}
		if err := insertContainer(ctx, tx, &Container{Account: "AUTH_a", Name: "c", Meta: map[string]string{}, CreatedAt: 1}); err != nil {
			return err
		}
		return bumpAccount(ctx, tx, "AUTH_a", 1, 0, 0)
	})

	put := func(want int64) func(tx store.Querier) error {
		return func(tx store.Querier) error {
			ct, err := getContainer(ctx, tx, "AUTH_a", "c")
			if err != nil {
				return err
			}
			if ct.Objects != want || ct.Bytes != want*10 {
				t.Errorf("container seen with %d objects, %d bytes; want %d, %d", ct.Objects, ct.Bytes, want, want*10)
			}
			return countObject(ctx, tx, &Object{Account: "AUTH_a", Container: "c", Size: 10}, 1)
		}
	}
	setMeta := func(tx store.Querier) error {
		ct, err := getContainer(ctx, tx, "AUTH_a", "c")
		if err != nil {
			return err
		}
		ct.Meta["X-Container-Meta-K"] = "v"
		return setContainerMeta(ctx, tx, "AUTH_a", "c", ct.Meta)
	}
	seeMeta := func(tx store.Querier) error {
		ct, err := getContainer(ctx, tx, "AUTH_a", "c")
		if err == nil && ct.Meta["X-Container-Meta-K"] != "v" {
			t.Errorf("metadata set earlier in the batch not seen: %v", ct.Meta)
		}
		return err
	}
	runBatch(t, c, put(0), put(1), setMeta, put(2), seeMeta)
	ct, err := getContainer(ctx, db.R(), "AUTH_a", "c")
	if err != nil || ct.Objects != 3 || ct.Bytes != 30 || ct.Meta["X-Container-Meta-K"] != "v" {
		t.Fatalf("after the batch: %+v, %v", ct, err)
	}
	a, err := getAccount(ctx, db.R(), "AUTH_a")
	if err != nil || a.Objects != 3 || a.Bytes != 30 || a.Containers != 1 {
		t.Fatalf("account after the batch: %+v, %v", a, err)
	}

	// Emptied, deleted and created again in one batch: the new container
	// starts at zero, whatever the old one's pending changes were.
	drop := func(tx store.Querier) error {
		if err := bumpContainer(ctx, tx, "AUTH_a", "c", -3, -30); err != nil {
			return err
		}
		return bumpAccount(ctx, tx, "AUTH_a", 0, -3, -30)
	}
	del := func(tx store.Querier) error {
		ct, err := getContainer(ctx, tx, "AUTH_a", "c")
		if err != nil {
			return err
		}
		if ct.Objects != 0 {
			t.Errorf("emptied container seen with %d objects", ct.Objects)
		}
		if err := deleteContainerRow(ctx, tx, "AUTH_a", "c"); err != nil {
			return err
		}
		return bumpAccount(ctx, tx, "AUTH_a", -1, 0, 0)
	}
	create := func(tx store.Querier) error {
		if _, err := getContainer(ctx, tx, "AUTH_a", "c"); !isNotFound(err) {
			t.Errorf("deleted container still found in the batch: %v", err)
		}
		if err := insertContainer(ctx, tx, &Container{Account: "AUTH_a", Name: "c", Meta: map[string]string{}, CreatedAt: 2}); err != nil {
			return err
		}
		return bumpAccount(ctx, tx, "AUTH_a", 1, 0, 0)
	}
	runBatch(t, c, drop, del, create, put(0))
	ct, err = getContainer(ctx, db.R(), "AUTH_a", "c")
	if err != nil || ct.Objects != 1 || ct.Bytes != 10 || len(ct.Meta) != 0 {
		t.Fatalf("re-created container after the batch: %+v, %v", ct, err)
	}
	a, err = getAccount(ctx, db.R(), "AUTH_a")
	if err != nil || a.Objects != 1 || a.Bytes != 10 || a.Containers != 1 {
		t.Fatalf("account after the second batch: %+v, %v", a, err)
	}
}
