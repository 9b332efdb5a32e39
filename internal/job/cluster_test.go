package job

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/store"
	"github.com/stratus-iaas/stratus/internal/store/storetest"
)

// TestExactlyOnce: three nodes on one database run every job once.
func TestExactlyOnce(t *testing.T) {
	db := storetest.Open(t)
	resources(t, db)
	var mu sync.Mutex
	ran := map[string][]string{}
	kind := func(node string) Kind {
		return Kind{Name: "test.count", Handler: func(ctx context.Context, r *Run) error {
			mu.Lock()
			ran[r.ID()] = append(ran[r.ID()], node)
			mu.Unlock()
			return nil
		}}
	}
	nodes := []*Engine{testEngine(t, db, "a", kind("a")), testEngine(t, db, "b", kind("b")), testEngine(t, db, "c", kind("c"))}
	var ids []string
	for i := 0; i < 30; i++ {
		ids = append(ids, submit(t, nodes[i%3], "test.count", fmt.Sprintf("p%d", i%5), fmt.Sprintf("r%d", i), nil))
	}
	for _, id := range ids {
		if j := wait(t, nodes[0], id); j.State != Succeeded {
			t.Fatalf("%s: %s", id, j.State)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, id := range ids {
		if len(ran[id]) != 1 {
			t.Errorf("job %s ran on %v", id, ran[id])
		}
	}
}

// TestLimits: a node runs at most Workers jobs, and a project at most
// PerProject, while other projects' jobs still run.
func TestLimits(t *testing.T) {
	db := storetest.Open(t)
	resources(t, db)
	release := make(chan struct{})
	var running, maxRunning, p1Running, maxP1 atomic.Int32
	bump := func(cur, max *atomic.Int32) {
		n := cur.Add(1)
		for {
			m := max.Load()
			if n <= m || max.CompareAndSwap(m, n) {
				return
			}
		}
	}
	e := New(Options{DB: db, Node: "n1", Poll: 10 * time.Millisecond, Workers: 3, PerProject: 2})
	e.Register(Kind{Name: "test.block", Handler: func(ctx context.Context, r *Run) error {
		bump(&running, &maxRunning)
		defer running.Add(-1)
		if r.Job().Project == "p1" {
			bump(&p1Running, &maxP1)
			defer p1Running.Add(-1)
		}
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	}})
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var ids []string
	for i := 0; i < 5; i++ {
		ids = append(ids, submit(t, e, "test.block", "p1", fmt.Sprintf("a%d", i), nil))
	}
	other := submit(t, e, "test.block", "p2", "b0", nil)
	ids = append(ids, other, submit(t, e, "test.block", "p3", "c0", nil))
	eventually(t, "p2 runs beside p1", func() bool { j, _ := e.Get(context.Background(), "", other); return j.State == Running })
	eventually(t, "three running", func() bool { return running.Load() == 3 })
	n, err := e.CountActive(context.Background(), db.R(), "p1", "test.block")
	if err != nil || n != 5 {
		t.Fatalf("active p1 jobs %d %v, want 5", n, err)
	}
	close(release)
	for _, id := range ids {
		wait(t, e, id)
	}
	if maxRunning.Load() > 3 || maxP1.Load() > 2 {
		t.Fatalf("ran %d at once (limit 3), %d of p1 (limit 2)", maxRunning.Load(), maxP1.Load())
	}
}

// TestRetention: finished jobs older than Retention are deleted; newer
// and unfinished ones stay.
func TestRetention(t *testing.T) {
	db := storetest.Open(t)
	resources(t, db)
	e := New(Options{DB: db, Node: "n1", Retention: 7 * 24 * time.Hour})
	e.Register(Kind{Name: "test.x", Handler: func(context.Context, *Run) error { return nil }})
	old := submit(t, e, "test.x", "p", "a", nil)
	recent := submit(t, e, "test.x", "p", "b", nil)
	queued := submit(t, e, "test.x", "p", "c", nil)
	day := int64(24 * time.Hour / time.Microsecond)
	db.Tx(context.Background(), func(tx *sql.Tx) error {
		tx.Exec("UPDATE jobs SET state = 'succeeded', finished_at = $1 WHERE id = $2", store.Now()-8*day, old)
		tx.Exec("UPDATE jobs SET state = 'failed', finished_at = $1 WHERE id = $2", store.Now()-6*day, recent)
		return nil
	})
	n, err := e.Sweep(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("swept %d %v", n, err)
	}
	if _, err := e.Get(context.Background(), "", old); err != ErrNotFound {
		t.Fatalf("old job: %v", err)
	}
	for _, id := range []string{recent, queued} {
		if _, err := e.Get(context.Background(), "", id); err != nil {
			t.Fatalf("kept job %s: %v", id, err)
		}
	}
}

// TestShutdown: at Close a resumable job goes back to the queue and a
// non-resumable one fails as interrupted; list shows newest first.
func TestShutdown(t *testing.T) {
	db := storetest.Open(t)
	resources(t, db)
	block := func(ctx context.Context, r *Run) error { <-ctx.Done(); return ctx.Err() }
	e := New(Options{DB: db, Node: "n1", Poll: 10 * time.Millisecond})
	e.Register(Kind{Name: "test.resume", Resumable: true, Handler: block, OnFail: failResource})
	e.Register(Kind{Name: "test.once", Handler: block, OnFail: failResource, InterruptedMessage: "stopped"})
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := submit(t, e, "test.resume", "p", "a", nil)
	o := submit(t, e, "test.once", "p", "b", nil)
	eventually(t, "both running", func() bool {
		a, _ := e.Get(context.Background(), "", r)
		b, _ := e.Get(context.Background(), "", o)
		return a.State == Running && b.State == Running
	})
	e.Close()
	a, _ := e.Get(context.Background(), "", r)
	b, _ := e.Get(context.Background(), "", o)
	if a.State != Queued || a.LeaseOwner != "" || b.State != Failed || b.Message != "stopped" || resourceStatus(t, db, "b") != "error:failed" {
		t.Fatalf("after close: %s %q, %s %q %s", a.State, a.LeaseOwner, b.State, b.Message, resourceStatus(t, db, "b"))
	}
	list, err := e.List(context.Background(), Filter{Project: "p", Kinds: []string{"test.resume", "test.once"}})
	if err != nil || len(list) != 2 || list[0].ID != o {
		t.Fatalf("list: %v %d", err, len(list))
	}
	page, _ := e.List(context.Background(), Filter{Project: "p", Offset: 1})
	if len(page) != 1 || page[0].ID != r {
		t.Fatalf("offset page: %d", len(page))
	}
}

// TestPinned: a pinned job runs only on its node; when that node dies,
// another node fails it (its bytes are on the dead node) instead of
// running it.
func TestPinned(t *testing.T) {
	db := storetest.Open(t)
	resources(t, db)
	var mu sync.Mutex
	ranOn := map[string]string{}
	kind := func(node string) Kind {
		return Kind{Name: "test.pin", Resumable: true, OnFail: failResource, InterruptedMessage: "node gone",
			Handler: func(ctx context.Context, r *Run) error {
				mu.Lock()
				ranOn[r.ID()] = node
				mu.Unlock()
				return nil
			}}
	}
	a := New(Options{DB: db, Node: "a", Poll: 10 * time.Millisecond, PinJobs: true})
	a.Register(kind("a"))
	b := testEngine(t, db, "b", kind("b"))
	var ids []string
	for i := 0; i < 10; i++ {
		ids = append(ids, submit(t, a, "test.pin", "p", fmt.Sprintf("r%d", i), nil))
	}
	// a is not started: b runs a job of its own after a's, and leaves a's alone.
	if j := wait(t, b, submit(t, b, "test.pin", "q", "own", nil)); j.State != Succeeded {
		t.Fatalf("b's own job: %s", j.State)
	}
	if n, _ := b.CountActive(context.Background(), db.R(), "p"); n != 10 {
		t.Fatalf("%d of a's jobs still queued, want 10", n)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for _, id := range ids {
		if j := wait(t, b, id); j.State != Succeeded || j.Node != "a" || j.LeaseOwner != "" {
			t.Fatalf("%s: %s on %q", id, j.State, j.Node)
		}
	}
	mu.Lock()
	for _, id := range ids {
		if ranOn[id] != "a" {
			t.Errorf("%s ran on %s", id, ranOn[id])
		}
	}
	mu.Unlock()
	// A job pinned to a dead node, running with an expired lease.
	id := submit(t, a, "test.pin", "p", "dead", nil)
	db.Tx(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec("UPDATE jobs SET node = 'c', state = 'running', lease_owner = 'c', lease_expires = 1, attempt = 1 WHERE id = $1", id)
		return err
	})
	if j := wait(t, b, id); j.State != Failed || j.Message != "node gone" || resourceStatus(t, db, "dead") != "error:failed" {
		t.Fatalf("dead node's pinned job: %s %q", j.State, j.Message)
	}
}

// TestCountActiveAdmission: requests racing for the last places under a
// per-project limit (count then submit in one transaction, as the K5
// import and export do) never admit more than the limit.
func TestCountActiveAdmission(t *testing.T) {
	db := storetest.Open(t)
	resources(t, db)
	e := New(Options{DB: db, Node: "n1", Poll: 10 * time.Millisecond}) // not started: jobs stay queued
	e.Register(Kind{Name: "test.x", Handler: func(context.Context, *Run) error { return nil }})
	const limit, callers = 5, 24
	var wg sync.WaitGroup
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := db.Tx(context.Background(), func(tx *sql.Tx) error {
				n, err := e.CountActive(context.Background(), tx, "p1", "test.x")
				if err != nil || n >= limit {
					return err
				}
				_, err = e.Submit(context.Background(), tx, Spec{Kind: "test.x", Project: "p1", ResourceID: fmt.Sprint("r", i)})
				return err
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n, err := e.CountActive(context.Background(), db.R(), "p1", "test.x"); err != nil || n != limit {
		t.Fatalf("admitted %d (err %v), limit %d", n, err, limit)
	}
}
