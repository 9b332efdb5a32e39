package objectstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/stratus-iaas/stratus/internal/store"
)

// committer is group commit for row changes: concurrent requests hand their
// transaction bodies to one goroutine, which runs a batch of them inside one
// transaction and one commit (one fsync under SQLite), then acknowledges
// each. A request returns only after the commit that holds its rows.
//
// A batch first runs its bodies back to back, sharing container reads and
// adding up counter changes (see batch). If one fails, the transaction is
// rolled back and the batch runs again with each body in its own
// savepoint, so a failure undoes only its own changes. Failures are rare
// on the busy paths, and the savepoints cost three statements per body.
type committer struct {
	db     *store.DB
	ch     chan *commitReq
	quit   chan struct{}
	wg     sync.WaitGroup
	maxOps int
}

type commitReq struct {
	fn   func(tx store.Querier) error
	done chan error
}

func newCommitter(db *store.DB) *committer {
	c := &committer{db: db, ch: make(chan *commitReq, 1024), quit: make(chan struct{}), maxOps: 512}
	c.wg.Add(1)
	go c.loop()
	return c
}

func (c *committer) close() {
	close(c.quit)
	c.wg.Wait()
}

// Do runs fn inside a batched transaction and returns its error, or the
// commit's error. fn must not keep tx after it returns, and it may run more
// than once (see committer): each run must set its results afresh.
func (c *committer) Do(ctx context.Context, fn func(tx store.Querier) error) error {
	req := &commitReq{fn: fn, done: make(chan error, 1)}
	select {
	case c.ch <- req:
	case <-c.quit:
		return fmt.Errorf("objectstore: shutting down")
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued the request is committed or not regardless of the
	// client; wait for the outcome so the caller can clean up correctly.
	return <-req.done
}

func (c *committer) loop() {
	defer c.wg.Done()
	for {
		var first *commitReq
		select {
		case first = <-c.ch:
		case <-c.quit:
			// Finish what is queued.
			for {
				select {
				case r := <-c.ch:
					c.run([]*commitReq{r})
				default:
					return
				}
			}
		}
		batch := []*commitReq{first}
	drain:
		for len(batch) < c.maxOps {
			select {
			case r := <-c.ch:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		c.run(batch)
	}
}

// errRetry rolls back an optimistic batch in which a body failed.
var errRetry = errors.New("objectstore: batch body failed")

func (c *committer) run(batch []*commitReq) {
	ctx := context.Background()
	var failed error // the error of the body that stopped the optimistic run
	err := c.db.Tx(ctx, func(sqltx *sql.Tx) error {
		tx := newBatch(c.db.WriteStmts().Bind(sqltx))
		for _, r := range batch {
			if err := r.fn(tx); err != nil {
				failed = err
				return errRetry
			}
		}
		return tx.flush(ctx)
	})
	if err == nil || len(batch) == 1 {
		if failed != nil {
			err = store.Map(failed)
		}
		for _, r := range batch {
			r.done <- err
		}
		return
	}
	errs := make([]error, len(batch))
	err = c.db.Tx(ctx, func(sqltx *sql.Tx) error {
		tx := c.db.WriteStmts().Bind(sqltx)
		for i, r := range batch {
			if _, err := tx.ExecContext(ctx, "SAVEPOINT op"); err != nil {
				return err
			}
			if e := r.fn(tx); e != nil {
				errs[i] = store.Map(e)
				if _, err := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT op"); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT op"); err != nil {
				return err
			}
		}
		return nil
	})
	for i, r := range batch {
		e := errs[i]
		if e == nil && err != nil {
			e = err
		}
		r.done <- e
	}
}
