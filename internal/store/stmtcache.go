package store

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// Stmts runs queries through statements prepared once per query text.
// SQLite spends a large part of a short request parsing SQL otherwise (a
// quarter of an image list page, an eighth of a small object PUT). Query
// texts must be constants or come from a small set of shapes: at most
// maxCachedStmts are kept, and further texts run unprepared.
type Stmts struct {
	db      *sql.DB
	mu      sync.RWMutex
	m       map[string]*sql.Stmt
	pending map[string]bool // texts a bound transaction ran unprepared
	dirty   atomic.Bool     // pending is not empty
}

const maxCachedStmts = 512

func newStmts(db *sql.DB) *Stmts { return &Stmts{db: db, m: map[string]*sql.Stmt{}} }

// stmt returns the prepared statement for q, or nil when it cannot be
// prepared (the caller then runs q directly and sees the error there).
func (c *Stmts) stmt(ctx context.Context, q string) *sql.Stmt {
	c.mu.RLock()
	st, full := c.m[q], len(c.m) >= maxCachedStmts
	c.mu.RUnlock()
	if st != nil || full {
		return st
	}
	return c.prepare(ctx, q)
}

// prepare prepares q on the database (which takes a connection: never
// call it while holding the only one, as a transaction under SQLite does).
func (c *Stmts) prepare(ctx context.Context, q string) *sql.Stmt {
	st, err := c.db.PrepareContext(context.WithoutCancel(ctx), q)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[q]; old != nil {
		st.Close()
		return old
	}
	c.m[q] = st
	return st
}

// ExecContext implements Querier.
func (c *Stmts) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st := c.stmt(ctx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return c.db.ExecContext(ctx, q, args...)
}

// QueryContext implements Querier.
func (c *Stmts) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := c.stmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return c.db.QueryContext(ctx, q, args...)
}

// QueryRowContext implements Querier. A single-row read is short, so it
// runs without ctx's cancellation: database/sql and the SQLite driver each
// start a goroutine per query to watch a cancellable context, which cost
// more than many point reads themselves.
func (c *Stmts) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	ctx = context.WithoutCancel(ctx)
	if st := c.stmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return c.db.QueryRowContext(ctx, q, args...)
}

func (c *Stmts) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		st.Close()
		delete(c.m, q)
	}
}

// Bind returns a Querier that runs the cached statements inside tx, which
// must belong to the same database. Its statements ignore the cancellation
// of the contexts they are given: a transaction bound this way may carry
// the work of many requests (a group commit), and one client going away
// must not interrupt the others' statements; it also spares the goroutine
// per statement that a cancellable context costs (see QueryRowContext). Under SQLite's single writer
// connection a statement is prepared once for the life of the process, not
// once per transaction. The result is for tx's lifetime only.
//
// A transaction holds its connection, which may be the database's only
// one, so a text not cached yet runs unprepared and is prepared after the
// transaction ends (DB.Tx calls preparePending).
func (c *Stmts) Bind(tx *sql.Tx) Querier { return &boundStmts{c: c, tx: tx} }

// lookup returns the cached statement for q or notes q for preparePending.
func (c *Stmts) lookup(q string) *sql.Stmt {
	c.mu.RLock()
	st, full := c.m[q], len(c.m) >= maxCachedStmts
	c.mu.RUnlock()
	if st != nil || full {
		return st
	}
	c.mu.Lock()
	if c.pending == nil {
		c.pending = map[string]bool{}
	}
	c.pending[q] = true
	c.dirty.Store(true)
	c.mu.Unlock()
	return nil
}

// preparePending prepares the texts that bound transactions ran unprepared.
func (c *Stmts) preparePending(ctx context.Context) {
	if !c.dirty.Load() {
		return
	}
	c.mu.Lock()
	c.dirty.Store(false)
	p := c.pending
	c.pending = nil
	c.mu.Unlock()
	for q := range p {
		c.prepare(ctx, q)
	}
}

type boundStmts struct {
	c  *Stmts
	tx *sql.Tx
	m  map[string]*sql.Stmt // statements bound to tx so far
}

func (b *boundStmts) stmt(ctx context.Context, q string) *sql.Stmt {
	if st, ok := b.m[q]; ok {
		return st
	}
	st := b.c.lookup(q)
	if st != nil {
		st = b.tx.StmtContext(ctx, st)
	}
	if b.m == nil {
		b.m = map[string]*sql.Stmt{}
	}
	b.m[q] = st
	return st
}

func (b *boundStmts) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	ctx = context.WithoutCancel(ctx)
	if st := b.stmt(ctx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return b.tx.ExecContext(ctx, q, args...)
}

func (b *boundStmts) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	ctx = context.WithoutCancel(ctx)
	if st := b.stmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return b.tx.QueryContext(ctx, q, args...)
}

func (b *boundStmts) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	ctx = context.WithoutCancel(ctx)
	if st := b.stmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return b.tx.QueryRowContext(ctx, q, args...)
}
