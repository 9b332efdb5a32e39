package job

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/stratus-iaas/stratus/internal/store"
)

// Options configure an Engine.
type Options struct {
	DB  *store.DB
	Log *slog.Logger
	// Node names this node, stable across its restarts (server node-id).
	Node string
	// Workers bounds the jobs this node runs at once (default 4);
	// PerProject bounds the running jobs of one project over all nodes
	// (default 2).
	Workers    int
	PerProject int
	// Lease is how long a running job stays this node's without renewal
	// (default 30 s); another node takes it over after that.
	Lease time.Duration
	// Poll is how often the queue is looked at when nothing wakes the
	// engine (default 1 s).
	Poll time.Duration
	// ProgressEvery is the least time between two progress writes of one
	// job (default 500 ms).
	ProgressEvery time.Duration
	// Retention is how long finished jobs are kept (default 7 days);
	// SweepEvery is how often they are swept (default 1 h).
	Retention  time.Duration
	SweepEvery time.Duration
	// PinJobs pins every job to the node that submits it (Spec.Node
	// overrides): for node-local blob stores, where only the submitting
	// node has the bytes a job reads and writes.
	PinJobs bool
}

// Engine runs jobs.
type Engine struct {
	db    *store.DB
	log   *slog.Logger
	node  string
	opts  Options
	kinds map[string]*Kind

	mu      sync.Mutex
	running map[string]*Run
	started bool
	closed  bool

	base     context.Context
	stopBase context.CancelCauseFunc
	wake     chan struct{}
	quit     chan struct{}
	loopDone chan struct{}
	runs     sync.WaitGroup
}

var (
	errShutdown  = errors.New("job: node shutting down")
	errCancelled = errors.New("job: cancelled")
	errDeadline  = errors.New("job: deadline passed")
)

// New returns an engine; register kinds, then Start it.
func New(opts Options) *Engine {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	if opts.PerProject <= 0 {
		opts.PerProject = 2
	}
	if opts.Lease <= 0 {
		opts.Lease = 30 * time.Second
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	if opts.ProgressEvery <= 0 {
		opts.ProgressEvery = 500 * time.Millisecond
	}
	if opts.Retention <= 0 {
		opts.Retention = 7 * 24 * time.Hour
	}
	if opts.SweepEvery <= 0 {
		opts.SweepEvery = time.Hour
	}
	if opts.Node == "" {
		opts.Node = "node-" + newID()
	}
	base, stop := context.WithCancelCause(context.Background())
	return &Engine{db: opts.DB, log: opts.Log, node: opts.Node, opts: opts, kinds: map[string]*Kind{},
		running: map[string]*Run{}, base: base, stopBase: stop,
		wake: make(chan struct{}, 1), quit: make(chan struct{}), loopDone: make(chan struct{})}
}

// Register adds a kind. It panics on a malformed or duplicate name, or
// after Start: both are programming errors found at start-up.
func (e *Engine) Register(k Kind) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.started {
		panic("job: Register after Start: " + k.Name)
	}
	if !kindRe.MatchString(k.Name) || k.Handler == nil {
		panic("job: bad kind " + k.Name)
	}
	if _, dup := e.kinds[k.Name]; dup {
		panic("job: kind registered twice: " + k.Name)
	}
	if k.MaxAttempts <= 0 {
		k.MaxAttempts = 5
	}
	if k.InterruptedMessage == "" {
		k.InterruptedMessage = "Job was interrupted."
	}
	if k.FailMessage == "" {
		k.FailMessage = "Internal error."
	}
	if k.DeadlineMessage == "" {
		k.DeadlineMessage = "Job took too long."
	}
	e.kinds[k.Name] = &k
}

// Start recovers the jobs this node was running when it stopped and those
// of dead nodes, then starts working the queue.
func (e *Engine) Start(ctx context.Context) error {
	e.mu.Lock()
	e.started = true
	e.mu.Unlock()
	if err := e.recoverJobs(ctx, true); err != nil {
		return fmt.Errorf("job: recover: %w", err)
	}
	if _, err := e.Sweep(ctx); err != nil {
		return fmt.Errorf("job: sweep: %w", err)
	}
	go e.loop()
	return nil
}

// Close stops taking jobs, cancels the running ones and waits (up to
// 15 s) for their handlers; resumable jobs go back to the queue, others
// fail as interrupted.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed || !e.started {
		e.closed = true
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	e.mu.Unlock()
	close(e.quit)
	<-e.loopDone
	e.stopBase(errShutdown)
	done := make(chan struct{})
	go func() { e.runs.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		e.log.Warn("jobs still running at shutdown; their leases will expire")
	}
	return nil
}

// Retention is how long finished jobs are kept.
func (e *Engine) Retention() time.Duration { return e.opts.Retention }

// Kick makes the engine look at the queue now (Submit does it; callers
// on PostgreSQL may call it again after their transaction commits).
func (e *Engine) Kick() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Submit inserts a queued job in tx, the transaction that creates the
// job's resource. It returns the job's id.
func (e *Engine) Submit(ctx context.Context, tx *sql.Tx, s Spec) (string, error) {
	if _, ok := e.kinds[s.Kind]; !ok {
		return "", fmt.Errorf("job: unknown kind %q", s.Kind)
	}
	in, err := json.Marshal(s.Input)
	if err != nil {
		return "", fmt.Errorf("job: input: %w", err)
	}
	j := &Job{ID: s.ID, Kind: s.Kind, Project: s.Project, User: s.User, ResourceType: s.ResourceType,
		ResourceID: s.ResourceID, State: Queued, Input: in, Node: s.Node}
	if j.Node == "" && e.opts.PinJobs {
		j.Node = e.node
	}
	if j.ID == "" {
		j.ID = newID()
	}
	if err := insertJob(ctx, tx, j); err != nil {
		return "", err
	}
	// The transaction commits after this returns; look now (SQLite's one
	// writer serialises the claim after the commit) and shortly after.
	e.Kick()
	time.AfterFunc(50*time.Millisecond, e.Kick)
	return j.ID, nil
}

// CountActive counts the queued, running and cancelling jobs of project
// (all projects when "") of the given kinds, for admission limits. Call it
// in the transaction that submits the next job: on PostgreSQL it first
// takes a transaction-scoped lock on the project's count, so two nodes
// (or two requests) cannot both see room for the last job under a limit
// and both submit it. SQLite has a single writer, which does the same.
func (e *Engine) CountActive(ctx context.Context, q store.Querier, project string, kinds ...string) (int, error) {
	if e.db.Engine == store.Postgres {
		if _, err := q.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext($1))", "stratus.job-limit."+project); err != nil {
			return 0, err
		}
	}
	return countJobs(ctx, q, Filter{Project: project, Kinds: kinds, States: []State{Queued, Running, Cancelling}})
}

// Get returns a job; project "" matches any project. Another project's
// job is ErrNotFound.
func (e *Engine) Get(ctx context.Context, project, id string) (*Job, error) {
	j, err := getJob(ctx, e.db.R(), id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && project != "" && j.Project != project) {
		return nil, ErrNotFound
	}
	return j, err
}

// List returns the jobs f selects, newest first.
func (e *Engine) List(ctx context.Context, f Filter) ([]*Job, error) {
	return listJobs(ctx, e.db.R(), f)
}

// Wait polls a job until it is finished or ctx ends.
func (e *Engine) Wait(ctx context.Context, id string) (*Job, error) {
	delay := 10 * time.Millisecond
	for {
		j, err := e.Get(ctx, "", id)
		if err != nil || j.State.Finished() {
			return j, err
		}
		select {
		case <-ctx.Done():
			return j, ctx.Err()
		case <-time.After(delay):
		}
		delay = min(delay*2, 500*time.Millisecond)
	}
}

// Cancel cancels a job of project ("" for any): a queued job is cancelled
// at once, a running one becomes cancelling until its handler stops.
// ErrNotFound, ErrFinished and ErrAlreadyCancelling say why not.
func (e *Engine) Cancel(ctx context.Context, project, id string) error {
	var wasRunning bool
	err := e.db.Tx(ctx, func(tx *sql.Tx) error {
		j, err := getJob(ctx, tx, id)
		if errors.Is(err, store.ErrNotFound) || (err == nil && project != "" && j.Project != project) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		switch {
		case j.State.Finished():
			return ErrFinished
		case j.State == Cancelling:
			return ErrAlreadyCancelling
		case j.State == Queued:
			if err := finishJob(ctx, tx, id, "", Cancelled, j.Progress, "", "", "", Queued); err != nil {
				return err
			}
			j.State = Cancelled
			return e.onFail(ctx, tx, j)
		}
		wasRunning = true
		_, err = tx.ExecContext(ctx, "UPDATE jobs SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4",
			Cancelling, store.Now(), id, Running)
		return err
	})
	if err != nil {
		return err
	}
	if wasRunning {
		e.mu.Lock()
		r := e.running[id]
		e.mu.Unlock()
		if r != nil {
			r.cancel(errCancelled)
		}
	}
	return nil
}

func (e *Engine) onFail(ctx context.Context, tx *sql.Tx, j *Job) error {
	k := e.kinds[j.Kind]
	if k == nil || k.OnFail == nil {
		return nil
	}
	return k.OnFail(ctx, tx, j)
}

// newID returns a random UUID (version 4).
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
