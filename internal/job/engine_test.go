package job

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/store"
	"github.com/stratus-iaas/stratus/internal/store/storetest"
)

// testEngine is an engine on db with fast timings, closed at test end.
func testEngine(t *testing.T, db *store.DB, node string, kinds ...Kind) *Engine {
	t.Helper()
	e := New(Options{DB: db, Node: node, Poll: 10 * time.Millisecond, ProgressEvery: 10 * time.Millisecond,
		Lease: time.Second, Workers: 4, PerProject: 4})
	for _, k := range kinds {
		e.Register(k)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// resources is a table standing for the jobs' resources: OnFail moves a
// resource to "error" in the job's transaction.
func resources(t *testing.T, db *store.DB) {
	t.Helper()
	err := db.Tx(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec("CREATE TABLE jobtest_resources (id TEXT PRIMARY KEY, status TEXT NOT NULL)")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func resourceStatus(t *testing.T, db *store.DB, id string) string {
	t.Helper()
	var s string
	if err := db.R().QueryRowContext(context.Background(), "SELECT status FROM jobtest_resources WHERE id = $1", id).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func failResource(ctx context.Context, tx *sql.Tx, j *Job) error {
	_, err := tx.ExecContext(ctx, "UPDATE jobtest_resources SET status = $1 WHERE id = $2", "error:"+string(j.State), j.ResourceID)
	return err
}

// submit creates resource id (status "creating") and its job in one transaction.
func submit(t *testing.T, e *Engine, kind, project, resource string, input any) string {
	t.Helper()
	var id string
	err := e.db.Tx(context.Background(), func(tx *sql.Tx) error {
		if _, err := tx.Exec("INSERT INTO jobtest_resources (id, status) VALUES ($1, 'creating')", resource); err != nil {
			return err
		}
		var err error
		id, err = e.Submit(context.Background(), tx, Spec{Kind: kind, Project: project, User: "u1",
			ResourceType: "thing", ResourceID: resource, Input: input})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func wait(t *testing.T, e *Engine, id string) *Job {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	j, err := e.Wait(ctx, id)
	if err != nil {
		t.Fatalf("wait %s: %v", id, err)
	}
	return j
}

// eventually polls cond (bounded) and fails the test if it never holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 3000; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("never happened: %s", what)
}

func TestOutcomes(t *testing.T) {
	db := storetest.Open(t)
	resources(t, db)
	publish := func(ctx context.Context, r *Run) error {
		var in struct{ N int }
		if err := r.Input(&in); err != nil {
			return err
		}
		r.Progress(int64(in.N), 10)
		return r.Finish(ctx, map[string]int{"n": in.N * 2}, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "UPDATE jobtest_resources SET status = 'active' WHERE id = $1", r.Job().ResourceID)
			return err
		})
	}
	kinds := []Kind{
		{Name: "test.publish", Handler: publish, OnFail: failResource},
		{Name: "test.plain", Handler: func(ctx context.Context, r *Run) error { return r.SetResult("ok") }, OnFail: failResource},
		{Name: "test.fault", OnFail: failResource, Handler: func(ctx context.Context, r *Run) error {
			return fault.Invalidf("SHA1 mismatch").WithCode("40031")
		}},
		{Name: "test.internal", OnFail: failResource, FailMessage: "VMexport process is failed", Handler: func(ctx context.Context, r *Run) error {
			return errors.New("disk on fire at /secret/path")
		}},
		{Name: "test.panic", OnFail: failResource, Handler: func(ctx context.Context, r *Run) error {
			var m map[string]int
			m["boom"] = 1
			return nil
		}},
		{Name: "test.publishFails", OnFail: failResource, Handler: func(ctx context.Context, r *Run) error {
			return r.Finish(ctx, nil, func(tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, "UPDATE jobtest_resources SET status = 'active' WHERE id = $1", r.Job().ResourceID); err != nil {
					return err
				}
				return fault.Conflictf("image was deleted")
			})
		}},
		{Name: "test.deadline", OnFail: failResource, Deadline: 50 * time.Millisecond, DeadlineMessage: "Export process takes too long time.",
			Handler: func(ctx context.Context, r *Run) error { <-ctx.Done(); return ctx.Err() }},
	}
	e := testEngine(t, db, "n1", kinds...)
	tests := []struct {
		kind, state, msg, code, res, result string
	}{
		{"test.publish", "succeeded", "", "", "active", `{"n":6}`},
		{"test.plain", "succeeded", "", "", "creating", `"ok"`},
		{"test.fault", "failed", "SHA1 mismatch", "40031", "error:failed", ""},
		{"test.internal", "failed", "VMexport process is failed", "", "error:failed", ""},
		{"test.panic", "failed", "Internal error.", "", "error:failed", ""},
		{"test.publishFails", "failed", "image was deleted", "", "error:failed", ""},
		{"test.deadline", "failed", "Export process takes too long time.", "", "error:failed", ""},
	}
	for i, tc := range tests {
		t.Run(tc.kind, func(t *testing.T) {
			res := "r" + string(rune('a'+i))
			id := submit(t, e, tc.kind, "p1", res, map[string]int{"N": 3})
			j := wait(t, e, id)
			if string(j.State) != tc.state || j.Message != tc.msg || j.Code != tc.code || string(j.Result) != tc.result {
				t.Fatalf("job = %s %q %q %s, want %s %q %q %s", j.State, j.Message, j.Code, j.Result, tc.state, tc.msg, tc.code, tc.result)
			}
			if tc.state == "succeeded" && j.Progress != 100 {
				t.Errorf("progress %d, want 100", j.Progress)
			}
			if got := resourceStatus(t, db, res); got != tc.res {
				t.Errorf("resource %s, want %s", got, tc.res)
			}
			if j.FinishedAt.IsZero() || j.LeaseOwner != "" || j.Attempt != 1 {
				t.Errorf("finished %v owner %q attempt %d", j.FinishedAt, j.LeaseOwner, j.Attempt)
			}
		})
	}
}

func TestSubmitUnknownKindAndRollback(t *testing.T) {
	db := storetest.Open(t)
	resources(t, db)
	e := testEngine(t, db, "n1", Kind{Name: "test.plain", Handler: func(context.Context, *Run) error { return nil }})
	err := db.Tx(context.Background(), func(tx *sql.Tx) error {
		_, err := e.Submit(context.Background(), tx, Spec{Kind: "test.nope"})
		return err
	})
	if err == nil {
		t.Fatal("unknown kind accepted")
	}
	// A job submitted in a transaction that rolls back does not exist.
	var id string
	db.Tx(context.Background(), func(tx *sql.Tx) error {
		id, _ = e.Submit(context.Background(), tx, Spec{Kind: "test.plain", Project: "p"})
		return errors.New("resource creation failed")
	})
	if _, err := e.Get(context.Background(), "", id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("rolled-back job: %v", err)
	}
}

func TestProgressAndCancel(t *testing.T) {
	db := storetest.Open(t)
	resources(t, db)
	release := make(chan struct{})
	var sawCancel atomic.Bool
	e := testEngine(t, db, "n1", Kind{Name: "test.long", OnFail: failResource, Handler: func(ctx context.Context, r *Run) error {
		r.Progress(512, 1024)
		select {
		case <-ctx.Done():
			sawCancel.Store(true)
			return ctx.Err()
		case <-release:
			return nil
		}
	}})
	id := submit(t, e, "test.long", "p1", "r1", nil)
	eventually(t, "progress written", func() bool {
		j, _ := e.Get(context.Background(), "p1", id)
		return j != nil && j.State == Running && j.Progress == 50 && j.BytesDone == 512 && j.BytesTotal == 1024
	})
	if _, err := e.Get(context.Background(), "p2", id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("other project sees the job: %v", err)
	}
	if err := e.Cancel(context.Background(), "p2", id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("other project cancels: %v", err)
	}
	if err := e.Cancel(context.Background(), "p1", id); err != nil {
		t.Fatal(err)
	}
	j := wait(t, e, id)
	if j.State != Cancelled || !sawCancel.Load() {
		t.Fatalf("state %s, handler saw cancel %v", j.State, sawCancel.Load())
	}
	if got := resourceStatus(t, db, "r1"); got != "error:cancelled" {
		t.Fatalf("resource %s", got)
	}
	if err := e.Cancel(context.Background(), "p1", id); !errors.Is(err, ErrFinished) {
		t.Fatalf("cancel finished: %v", err)
	}
	close(release)
}

// TestFinishCommitsWhenCancelledMeanwhile: the heartbeat cancels a run
// (lost lease) when it sees the job leave Running, which Finish's own
// commit does; on PostgreSQL that cancel can land while the commit is in
// flight. Finish must report the commit it made, or the handler deletes
// the bytes its resource now names. Here the run is cancelled inside the
// publish, before the commit.
func TestFinishCommitsWhenCancelledMeanwhile(t *testing.T) {
	db := storetest.Open(t)
	resources(t, db)
	var finishErr error
	e := testEngine(t, db, "n1", Kind{Name: "test.late", OnFail: failResource, Handler: func(ctx context.Context, r *Run) error {
		finishErr = r.Finish(ctx, nil, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "UPDATE jobtest_resources SET status = 'active' WHERE id = $1", r.Job().ResourceID)
			r.cancel(ErrLostLease)
			return err
		})
		return finishErr
	}})
	id := submit(t, e, "test.late", "p1", "r1", nil)
	j := wait(t, e, id)
	if finishErr != nil || j.State != Succeeded || resourceStatus(t, db, "r1") != "active" {
		t.Fatalf("finish %v, job %s, resource %s", finishErr, j.State, resourceStatus(t, db, "r1"))
	}
}

// TestCancelWinsOverLateFailure: a cancel accepted while the handler has
// not yet seen it (here from another node, whose cancel this node's
// heartbeat notices only at its next renewal) ends the job cancelled even
// when the handler fails meanwhile; the handler may still checkpoint.
func TestCancelWinsOverLateFailure(t *testing.T) {
	db := storetest.Open(t)
	resources(t, db)
	var checkpointErr error
	k := Kind{Name: "test.slow", OnFail: failResource, Handler: func(ctx context.Context, r *Run) error {
		for i := 0; i < 3000; i++ {
			var st State
			if err := db.R().QueryRowContext(ctx, "SELECT state FROM jobs WHERE id = $1", r.ID()).Scan(&st); err != nil {
				return err
			}
			if st == Cancelling {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if ctx.Err() != nil {
			return errors.New("the heartbeat saw the cancel first; the test needs a long lease")
		}
		checkpointErr = r.Checkpoint(map[string]int{"segments": 2})
		return errors.New("an upload failed")
	}}
	e := New(Options{DB: db, Node: "n1", Poll: 10 * time.Millisecond, ProgressEvery: 10 * time.Millisecond,
		Lease: time.Minute, Workers: 1, PerProject: 1})
	e.Register(k)
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	other := testEngine(t, db, "n2") // knows no kinds: runs nothing
	id := submit(t, e, "test.slow", "p1", "r1", nil)
	eventually(t, "running", func() bool {
		j, _ := e.Get(context.Background(), "p1", id)
		return j != nil && j.State == Running
	})
	if err := other.Cancel(context.Background(), "p1", id); err != nil {
		t.Fatal(err)
	}
	j := wait(t, e, id)
	if j.State != Cancelled || j.Message != "" || checkpointErr != nil {
		t.Fatalf("job %s %q, checkpoint %v", j.State, j.Message, checkpointErr)
	}
	if got := resourceStatus(t, db, "r1"); got != "error:cancelled" {
		t.Fatalf("resource %s", got)
	}
}

func TestCancelQueuedAndTwice(t *testing.T) {
	db := storetest.Open(t)
	resources(t, db)
	e := New(Options{DB: db, Node: "n1", Poll: 10 * time.Millisecond})
	e.Register(Kind{Name: "test.x", OnFail: failResource, Handler: func(ctx context.Context, r *Run) error { return nil }})
	// Not started: the job stays queued.
	id := submit(t, e, "test.x", "p1", "r1", nil)
	if err := e.Cancel(context.Background(), "", id); err != nil {
		t.Fatal(err)
	}
	j, _ := e.Get(context.Background(), "", id)
	if j.State != Cancelled || resourceStatus(t, db, "r1") != "error:cancelled" {
		t.Fatalf("queued cancel: %s %s", j.State, resourceStatus(t, db, "r1"))
	}
	// A running job on another node: cancelling, then a second cancel is refused.
	id2 := submit(t, e, "test.x", "p1", "r2", nil)
	db.Tx(context.Background(), func(tx *sql.Tx) error {
		_, err := claimJob(context.Background(), tx, id2, "other", store.Now(), store.Now()+int64(time.Hour/time.Microsecond))
		return err
	})
	if err := e.Cancel(context.Background(), "p1", id2); err != nil {
		t.Fatal(err)
	}
	if err := e.Cancel(context.Background(), "p1", id2); !errors.Is(err, ErrAlreadyCancelling) {
		t.Fatalf("second cancel: %v", err)
	}
}

// TestRecovery: rows left running by a dead node (expired lease) and by
// this node before it restarted are resumed or failed per kind.
func TestRecovery(t *testing.T) {
	db := storetest.Open(t)
	resources(t, db)
	var attempts sync.Map
	resumable := Kind{Name: "test.resume", Resumable: true, MaxAttempts: 3, OnFail: failResource,
		Handler: func(ctx context.Context, r *Run) error {
			var cp struct{ Done int }
			ok, err := r.LoadCheckpoint(&cp)
			if err != nil {
				return err
			}
			attempts.Store(r.Job().ResourceID, [2]int{r.Attempt(), cp.Done})
			if !ok {
				return errors.New("no checkpoint")
			}
			return r.SetResult(cp.Done)
		}}
	once := Kind{Name: "test.once", OnFail: failResource, InterruptedMessage: "Export process has stopped unexpectedly.",
		Handler: func(ctx context.Context, r *Run) error { return nil }}
	// Rows as a crash leaves them.
	seed := New(Options{DB: db, Node: "seed"})
	seed.Register(resumable)
	seed.Register(once)
	past := store.Now() - int64(time.Minute/time.Microsecond)
	future := store.Now() + int64(time.Hour/time.Microsecond)
	leave := func(kind, res, owner string, lease int64, attempt int, state State) string {
		id := submit(t, seed, kind, "p1", res, nil)
		db.Tx(context.Background(), func(tx *sql.Tx) error {
			_, err := tx.Exec(`UPDATE jobs SET state = $1, lease_owner = $2, lease_expires = $3, attempt = $4,
				checkpoint = '{"Done":7}', started_at = $5 WHERE id = $6`, state, owner, lease, attempt, store.Now(), id)
			return err
		})
		return id
	}
	deadResume := leave("test.resume", "a", "dead", past, 1, Running)
	ownResume := leave("test.resume", "b", "n1", future, 1, Running)
	exhausted := leave("test.resume", "c", "dead", past, 3, Running)
	deadOnce := leave("test.once", "d", "dead", past, 1, Running)
	liveOther := leave("test.once", "e", "alive", future, 1, Running)
	cancelling := leave("test.once", "f", "dead", past, 1, Cancelling)

	e := testEngine(t, db, "n1", resumable, once)
	for _, tc := range []struct {
		id, res string
		state   State
		msg     string
		status  string
	}{
		{deadResume, "a", Succeeded, "", "creating"},
		{ownResume, "b", Succeeded, "", "creating"},
		{exhausted, "c", Failed, "Job was interrupted.", "error:failed"},
		{deadOnce, "d", Failed, "Export process has stopped unexpectedly.", "error:failed"},
		{cancelling, "f", Cancelled, "", "error:cancelled"},
	} {
		j := wait(t, e, tc.id)
		if j.State != tc.state || j.Message != tc.msg || resourceStatus(t, db, tc.res) != tc.status {
			t.Errorf("%s: %s %q %s, want %s %q %s", tc.res, j.State, j.Message, resourceStatus(t, db, tc.res), tc.state, tc.msg, tc.status)
		}
	}
	for _, res := range []string{"a", "b"} {
		v, _ := attempts.Load(res)
		if v != [2]int{2, 7} {
			t.Errorf("%s resumed as attempt/checkpoint %v, want [2 7]", res, v)
		}
	}
	if j, _ := e.Get(context.Background(), "", liveOther); j.State != Running || j.LeaseOwner != "alive" {
		t.Errorf("a live node's job was taken: %s %s", j.State, j.LeaseOwner)
	}
}

// TestLostLease: when another node takes a job over, the old holder's
// handler is cancelled and records nothing.
func TestLostLease(t *testing.T) {
	db := storetest.Open(t)
	resources(t, db)
	var cause atomic.Value
	e := testEngine(t, db, "n1", Kind{Name: "test.slow", OnFail: failResource, Handler: func(ctx context.Context, r *Run) error {
		<-ctx.Done()
		cause.Store(context.Cause(ctx))
		return ctx.Err()
	}})
	id := submit(t, e, "test.slow", "p1", "r1", nil)
	eventually(t, "running", func() bool { j, _ := e.Get(context.Background(), "", id); return j.State == Running })
	db.Tx(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec("UPDATE jobs SET lease_owner = 'thief' WHERE id = $1", id)
		return err
	})
	eventually(t, "handler cancelled", func() bool { return cause.Load() != nil })
	if c := cause.Load().(error); !errors.Is(c, ErrLostLease) {
		t.Fatalf("cause %v", c)
	}
	eventually(t, "run ended", func() bool { e.mu.Lock(); defer e.mu.Unlock(); return len(e.running) == 0 })
	j, _ := e.Get(context.Background(), "", id)
	if j.State != Running || j.LeaseOwner != "thief" || resourceStatus(t, db, "r1") != "creating" {
		t.Fatalf("old holder recorded an outcome: %s %s %s", j.State, j.LeaseOwner, resourceStatus(t, db, "r1"))
	}
}
