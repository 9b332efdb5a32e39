package image

import (
	"context"
	"database/sql"
	"sync"

	"github.com/stratus-iaas/stratus/internal/store"
)

// stmtCache runs read queries through prepared statements kept per query
// text: SQLite spends a quarter of a list request parsing SQL otherwise.
type stmtCache struct {
	db store.Querier
	mu sync.RWMutex
	m  map[string]*sql.Stmt
}

type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

const maxCachedStmts = 512

func newStmtCache(db store.Querier) *stmtCache { return &stmtCache{db: db, m: map[string]*sql.Stmt{}} }

func (c *stmtCache) stmt(ctx context.Context, q string) *sql.Stmt {
	c.mu.RLock()
	st := c.m[q]
	c.mu.RUnlock()
	if st != nil {
		return st
	}
	p, ok := c.db.(preparer)
	if !ok {
		return nil
	}
	c.mu.RLock()
	full := len(c.m) >= maxCachedStmts
	c.mu.RUnlock()
	if full {
		return nil // unusual filter shapes run unprepared
	}
	st, err := p.PrepareContext(context.WithoutCancel(ctx), q)
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

func (c *stmtCache) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return c.db.ExecContext(ctx, q, args...)
}

func (c *stmtCache) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := c.stmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return c.db.QueryContext(ctx, q, args...)
}

func (c *stmtCache) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st := c.stmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return c.db.QueryRowContext(ctx, q, args...)
}
