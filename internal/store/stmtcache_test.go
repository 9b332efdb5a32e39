package store_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/stratus-iaas/stratus/internal/store"
	"github.com/stratus-iaas/stratus/internal/store/storetest"
)

// A bound transaction runs a new text unprepared (SQLite's only writer
// connection is the transaction's), prepares it after the commit, and
// reuses it in the next transaction; reads prepare on first use.
func TestStmtsBindAndReads(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	ws := db.WriteStmts()
	const ins = "INSERT INTO stratus_meta (key, value) VALUES ($1, $2)"
	before := store.CachedStmts(ws)
	for i, k := range []string{"a", "b", "c"} {
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			q := ws.Bind(tx)
			if _, err := q.ExecContext(ctx, ins, k, "v"+k); err != nil {
				return err
			}
			var v string
			return q.QueryRowContext(ctx, "SELECT value FROM stratus_meta WHERE key = $1", k).Scan(&v)
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := store.CachedStmts(ws); got != before+2 {
			t.Fatalf("after transaction %d: %d statements cached, want %d", i, got, before+2)
		}
	}
	// A failing statement inside a bound transaction still reports its error.
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := ws.Bind(tx).ExecContext(ctx, ins, "a", "dup")
		return err
	})
	if err == nil {
		t.Fatal("duplicate insert through a bound statement: no error")
	}
	var n int
	for range 2 {
		if err := db.R().QueryRowContext(ctx, "SELECT COUNT(*) FROM stratus_meta WHERE key IN ('a','b','c')").Scan(&n); err != nil || n != 3 {
			t.Fatalf("count %d, %v", n, err)
		}
	}
	if rs, ok := db.R().(*store.Stmts); !ok || store.CachedStmts(rs) == 0 {
		t.Fatal("reads are not prepared")
	}
}
