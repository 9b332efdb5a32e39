package job

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/stratus-iaas/stratus/internal/store"
)

// loop claims queued jobs when woken or every Poll, recovers interrupted
// jobs every third of a lease and sweeps old ones every SweepEvery.
func (e *Engine) loop() {
	defer close(e.loopDone)
	tick := time.NewTicker(e.opts.Poll)
	defer tick.Stop()
	lastRecover, lastSweep := time.Now(), time.Now()
	for {
		select {
		case <-e.quit:
			return
		case <-e.wake:
		case <-tick.C:
		}
		ctx, cancel := context.WithTimeout(e.base, 30*time.Second)
		if time.Since(lastRecover) >= e.opts.Lease/3 {
			lastRecover = time.Now()
			if err := e.recoverJobs(ctx, false); err != nil {
				e.log.Warn("job recovery failed", "err", err)
			}
		}
		if time.Since(lastSweep) >= e.opts.SweepEvery {
			lastSweep = time.Now()
			if _, err := e.Sweep(ctx); err != nil {
				e.log.Warn("job sweep failed", "err", err)
			}
		}
		if err := e.dispatch(ctx); err != nil && e.base.Err() == nil {
			e.log.Warn("job dispatch failed", "err", err)
		}
		cancel()
	}
}

// dispatch claims as many queued jobs as this node has free workers,
// oldest first, skipping kinds it does not know and projects at their
// limit.
func (e *Engine) dispatch(ctx context.Context) error {
	e.mu.Lock()
	free := e.opts.Workers - len(e.running)
	e.mu.Unlock()
	if free <= 0 {
		return nil
	}
	cands, err := queuedJobs(ctx, e.db.R(), e.node, 64)
	if err != nil || len(cands) == 0 {
		return err
	}
	perProject, err := runningPerProject(ctx, e.db.R())
	if err != nil {
		return err
	}
	for _, c := range cands {
		if free == 0 {
			break
		}
		k := e.kinds[c.kind]
		if k == nil || perProject[c.project] >= e.opts.PerProject {
			continue
		}
		var j *Job
		err := e.db.Tx(ctx, func(tx *sql.Tx) error {
			now := store.Now()
			var err error
			j, err = claimJob(ctx, tx, c.id, e.node, now, now+e.opts.Lease.Microseconds())
			return err
		})
		if errors.Is(err, store.ErrNotFound) {
			continue // another node took it, or it was cancelled
		}
		if err != nil {
			return err
		}
		perProject[c.project]++
		free--
		e.start(j, k)
	}
	return nil
}

// recoverJobs settles running jobs whose lease expired (their node died)
// and, at start-up, the jobs this node held when it stopped.
func (e *Engine) recoverJobs(ctx context.Context, startup bool) error {
	owner := ""
	if startup {
		owner = e.node
	}
	now := store.Now()
	jobs, err := interruptedJobs(ctx, e.db.R(), owner, now)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		e.mu.Lock()
		_, live := e.running[j.ID]
		e.mu.Unlock()
		k := e.kinds[j.Kind]
		if live || k == nil {
			continue // ours and running, or a kind another node runs
		}
		err := e.db.Tx(ctx, func(tx *sql.Tx) error {
			switch {
			case j.State == Cancelling:
				return e.expire(ctx, tx, j, Cancelled, "", k)
			case k.Deadline > 0 && !j.StartedAt.IsZero() && time.Since(j.StartedAt) > k.Deadline:
				return e.expire(ctx, tx, j, Failed, k.DeadlineMessage, k)
			case j.Node != "" && j.Node != e.node:
				// Pinned to a node that has died: its bytes are on that node.
				return e.expire(ctx, tx, j, Failed, k.InterruptedMessage, k)
			case k.Resumable && j.Attempt < k.MaxAttempts:
				return requeueJob(ctx, tx, j.ID, j.LeaseOwner, j.leaseUS)
			}
			return e.expire(ctx, tx, j, Failed, k.InterruptedMessage, k)
		})
		if errors.Is(err, store.ErrNotFound) {
			continue // renewed or recovered meanwhile
		}
		if err != nil {
			return err
		}
		e.log.Warn("recovered an interrupted job", "job_id", j.ID, "kind", j.Kind, "owner", j.LeaseOwner, "attempt", j.Attempt)
	}
	if len(jobs) > 0 {
		e.Kick()
	}
	return nil
}

// expire finishes a job whose holder is gone: a compare-and-set on the
// lease seen, then the kind's OnFail, in tx.
func (e *Engine) expire(ctx context.Context, tx *sql.Tx, j *Job, to State, msg string, k *Kind) error {
	res, err := tx.ExecContext(ctx, `UPDATE jobs SET state = $1, message = $2, lease_owner = '', lease_expires = 0,
		updated_at = $3, finished_at = $3 WHERE id = $4 AND lease_owner = $5 AND lease_expires = $6 AND state = $7`,
		to, msg, store.Now(), j.ID, j.LeaseOwner, j.leaseUS, j.State)
	if err := affected(res, err); err != nil {
		return err
	}
	j.State, j.Message = to, msg
	if k.OnFail != nil {
		return k.OnFail(ctx, tx, j)
	}
	return nil
}

// Sweep deletes the jobs finished more than Retention ago and returns how
// many.
func (e *Engine) Sweep(ctx context.Context) (int64, error) {
	var n int64
	err := e.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		n, err = deleteFinished(ctx, tx, store.Now()-e.opts.Retention.Microseconds())
		return err
	})
	return n, err
}
