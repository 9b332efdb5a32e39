package job

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Run is one attempt at a job, handed to its handler.
type Run struct {
	e      *Engine
	job    *Job
	kind   *Kind
	cancel context.CancelCauseFunc

	mu       sync.Mutex
	done     int64
	total    int64
	dirty    bool
	result   json.RawMessage
	finished bool
}

// ID is the job's id.
func (r *Run) ID() string { return r.job.ID }

// Job is the job's row as it was claimed.
func (r *Run) Job() *Job { return r.job }

// Attempt is 1 on a job's first run, more after interruptions.
func (r *Run) Attempt() int { return r.job.Attempt }

// Input unmarshals the job's input into v.
func (r *Run) Input(v any) error { return r.job.DecodeInput(v) }

// LoadCheckpoint unmarshals the last checkpoint into v; false when none.
func (r *Run) LoadCheckpoint(v any) (bool, error) {
	if len(r.job.Checkpoint) == 0 {
		return false, nil
	}
	return true, json.Unmarshal(r.job.Checkpoint, v)
}

// Progress records done of total bytes (or any units). It is cheap: the
// engine writes it at most every Options.ProgressEvery.
func (r *Run) Progress(done, total int64) {
	r.mu.Lock()
	if done != r.done || total != r.total {
		r.done, r.total, r.dirty = done, total, true
	}
	r.mu.Unlock()
}

// Checkpoint durably records v, which a resumed attempt reads with
// LoadCheckpoint.
func (r *Run) Checkpoint(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("job: checkpoint: %w", err)
	}
	err = r.e.db.Tx(context.WithoutCancel(r.e.base), func(tx *sql.Tx) error {
		return saveCheckpoint(context.Background(), tx, r.job.ID, r.e.node, string(b))
	})
	if errors.Is(err, store.ErrNotFound) {
		return ErrLostLease
	}
	if err == nil {
		r.job.Checkpoint = b
	}
	return err
}

// SetResult sets the result a handler returning nil succeeds with.
func (r *Run) SetResult(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("job: result: %w", err)
	}
	r.mu.Lock()
	r.result = b
	r.mu.Unlock()
	return nil
}

// Finish marks the job succeeded with result (nil for none) and runs
// publish in the same transaction: the resource becomes usable exactly
// when the job succeeds. It returns ErrLostLease, and publishes nothing,
// when this node no longer holds the job.
func (r *Run) Finish(ctx context.Context, result any, publish func(tx *sql.Tx) error) error {
	var b []byte
	if result != nil {
		var err error
		if b, err = json.Marshal(result); err != nil {
			return fmt.Errorf("job: result: %w", err)
		}
	}
	// The run's context is cancelled when the heartbeat sees the job leave
	// Running, which this very commit does: with that context, the commit
	// could be reported failed after it took effect, and the caller would
	// then delete the bytes the resource now names. The lease check in
	// finishJob already guards the write; the commit is never interrupted.
	ctx = context.WithoutCancel(ctx)
	err := r.e.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := finishJob(ctx, tx, r.job.ID, r.e.node, Succeeded, 100, "", "", string(b), Running, Cancelling); err != nil {
			return err
		}
		if publish != nil {
			return publish(tx)
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return ErrLostLease
	}
	if err == nil {
		r.mu.Lock()
		r.finished = true
		r.mu.Unlock()
	}
	return err
}

// start runs j on its own goroutine.
func (e *Engine) start(j *Job, k *Kind) {
	ctx, cancel := context.WithCancelCause(e.base)
	r := &Run{e: e, job: j, kind: k, cancel: cancel}
	var stopDeadline context.CancelFunc = func() {}
	if k.Deadline > 0 {
		ctx, stopDeadline = context.WithDeadlineCause(ctx, j.StartedAt.Add(k.Deadline), errDeadline)
	}
	e.mu.Lock()
	e.running[j.ID] = r
	e.mu.Unlock()
	e.runs.Add(1)
	go func() {
		defer e.runs.Done()
		hbDone := make(chan struct{})
		hbStopped := make(chan struct{})
		go func() { defer close(hbStopped); r.heartbeat(hbDone) }()
		err := r.call(ctx)
		close(hbDone)
		<-hbStopped
		e.settle(r, ctx, err)
		stopDeadline()
		cancel(nil)
		e.mu.Lock()
		delete(e.running, j.ID)
		e.mu.Unlock()
		e.Kick()
	}()
}

// call runs the handler; a panic fails the job, never the node.
func (r *Run) call(ctx context.Context) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("job: handler panicked: %v\n%s", v, debug.Stack())
		}
	}()
	return r.kind.Handler(ctx, r)
}

// heartbeat renews the lease every third of it and writes progress at
// most every ProgressEvery; it cancels the run when the job is being
// cancelled or the lease is lost.
func (r *Run) heartbeat(stop <-chan struct{}) {
	e := r.e
	t := time.NewTicker(e.opts.ProgressEvery)
	defer t.Stop()
	lastRenew := time.Now()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		r.mu.Lock()
		p := progress{done: r.done, total: r.total, pct: percent(r.done, r.total)}
		due := r.dirty || time.Since(lastRenew) >= e.opts.Lease/3
		r.dirty = false
		r.mu.Unlock()
		if !due {
			continue
		}
		var st State
		ctx, cancel := context.WithTimeout(context.Background(), e.opts.Lease/3)
		err := e.db.Tx(ctx, func(tx *sql.Tx) error {
			var err error
			st, err = renewLease(ctx, tx, r.job.ID, e.node, store.Now()+e.opts.Lease.Microseconds(), p)
			return err
		})
		cancel()
		switch {
		case errors.Is(err, store.ErrNotFound):
			r.cancel(ErrLostLease)
			return
		case err != nil:
			e.log.Warn("renewing a job lease failed", "job_id", r.job.ID, "err", err)
			if time.Since(lastRenew) >= e.opts.Lease {
				r.cancel(ErrLostLease)
				return
			}
		default:
			lastRenew = time.Now()
			if st == Cancelling {
				r.cancel(errCancelled)
			}
		}
	}
}

type progress struct {
	done, total int64
	pct         int
}

// settle records how a run ended.
func (e *Engine) settle(r *Run, ctx context.Context, err error) {
	r.mu.Lock()
	finished, result, done, total := r.finished, r.result, r.done, r.total
	r.mu.Unlock()
	if finished {
		return
	}
	j, k := r.job, r.kind
	cause := context.Cause(ctx)
	if ctx.Err() == nil {
		cause = nil
	}
	if err == nil {
		// Success wins over a late cancel: the work is done.
		var res any
		if result != nil {
			res = result
		}
		err = r.Finish(context.WithoutCancel(ctx), res, nil)
		if err == nil || errors.Is(err, ErrLostLease) {
			return
		}
		e.log.Error("recording a finished job failed", "job_id", j.ID, "err", err)
		return
	}
	to, msg, code := Failed, k.FailMessage, ""
	switch {
	case errors.Is(cause, ErrLostLease):
		e.log.Warn("job lost its lease; another node has it", "job_id", j.ID, "kind", j.Kind)
		return
	case errors.Is(cause, errShutdown):
		e.release(r)
		return
	case errors.Is(cause, errCancelled):
		to, msg = Cancelled, ""
	case errors.Is(cause, errDeadline):
		msg = k.DeadlineMessage
	default:
		if fe := fault.As(err); fe != nil {
			msg, code = fe.Message, fe.Code
		}
		if fe := fault.As(err); fe == nil || fe.Cause != nil || fe.Kind == fault.Internal {
			e.log.Error("job failed", "job_id", j.ID, "kind", j.Kind, "err", err)
		}
	}
	pct := percent(done, total)
	e.finishWith(j, k, to, pct, msg, code)
}

// finishWith marks a job this node holds failed or cancelled and runs the
// kind's OnFail in the same transaction.
func (e *Engine) finishWith(j *Job, k *Kind, to State, pct int, msg, code string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := e.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if to == Failed {
			// A cancel accepted while the handler was failing wins: the
			// caller asked for it and was told yes. Two conditional
			// updates, so a Cancel committing in between is seen.
			err = finishJob(ctx, tx, j.ID, e.node, to, pct, msg, code, "", Running)
			if errors.Is(err, store.ErrNotFound) {
				to, msg, code = Cancelled, "", ""
				err = finishJob(ctx, tx, j.ID, e.node, to, pct, msg, code, "", Cancelling)
			}
		} else {
			err = finishJob(ctx, tx, j.ID, e.node, to, pct, msg, code, "", Running, Cancelling)
		}
		if err != nil {
			return err
		}
		j.State, j.Message, j.Code = to, msg, code
		if k.OnFail != nil {
			return k.OnFail(ctx, tx, j)
		}
		return nil
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		e.log.Error("recording a failed job failed; its lease will expire", "job_id", j.ID, "err", err)
	}
}

// release gives up a job interrupted by shutdown: a resumable job goes
// back to the queue (another node, or this one restarted, runs it again);
// another fails as interrupted.
func (e *Engine) release(r *Run) {
	j, k := r.job, r.kind
	if !k.Resumable || j.Attempt >= k.MaxAttempts {
		e.finishWith(j, k, Failed, 0, k.InterruptedMessage, "")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := e.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE jobs SET state = $1, lease_owner = '', lease_expires = 0, updated_at = $2
			WHERE id = $3 AND lease_owner = $4 AND state = $5`, Queued, store.Now(), j.ID, e.node, Running)
		return affected(res, err)
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		e.log.Warn("requeueing a job at shutdown failed; its lease will expire", "job_id", j.ID, "err", err)
	}
}
