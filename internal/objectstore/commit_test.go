package objectstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stratus-iaas/stratus/internal/store"
	"github.com/stratus-iaas/stratus/internal/store/storetest"
)

// A failing request in a batch rolls back alone; the others commit.
func TestCommitterIsolatesFailures(t *testing.T) {
	db := storetest.Open(t)
	c := newCommitter(db)
	defer c.close()
	ctx := context.Background()
	boom := errors.New("boom")
	var wg sync.WaitGroup
	errs := make([]error, 40)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.Do(ctx, func(tx store.Querier) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO swift_accounts (account, created_at) VALUES ($1, 1)`, fmt.Sprint("a", i)); err != nil {
					return err
				}
				if i%4 == 0 {
					return boom // after writing: its row must vanish
				}
				return nil
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		_, gerr := getAccount(ctx, db.R(), fmt.Sprint("a", i))
		if i%4 == 0 {
			if !errors.Is(err, boom) || !isNotFound(gerr) {
				t.Fatalf("%d: err %v, row %v", i, err, gerr)
			}
		} else if err != nil || gerr != nil {
			t.Fatalf("%d: err %v, row %v", i, err, gerr)
		}
	}
	// A conflict is mapped and isolated too.
	err := c.Do(ctx, func(tx store.Querier) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO swift_accounts (account, created_at) VALUES ('a1', 1)`)
		return err
	})
	if err == nil {
		t.Fatal("duplicate insert committed")
	}
}

// A batch without failures runs each body once and no savepoint; a batch
// with one runs again with savepoints, and only the failed body's rows go.
func TestCommitterBatchRuns(t *testing.T) {
	db := storetest.Open(t)
	c := newCommitter(db)
	defer c.close()
	ctx := context.Background()
	boom := errors.New("boom")
	for _, failing := range []int{-1, 1} {
		runs := make([]int, 3)
		batch := make([]*commitReq, 3)
		for i := range batch {
			name := fmt.Sprint("b", failing, i)
			batch[i] = &commitReq{done: make(chan error, 1), fn: func(tx store.Querier) error {
				runs[i]++
				if _, err := tx.ExecContext(ctx, `INSERT INTO swift_accounts (account, created_at) VALUES ($1, 1)`, name); err != nil {
					return err
				}
				if i == failing {
					return boom
				}
				return nil
			}}
		}
		c.run(batch)
		for i, r := range batch {
			err := <-r.done
			_, gerr := getAccount(ctx, db.R(), fmt.Sprint("b", failing, i))
			wantRuns := 1 // the optimistic run stops at the failing body
			if i <= failing {
				wantRuns = 2
			}
			if runs[i] != wantRuns {
				t.Errorf("failing=%d body %d ran %d times, want %d", failing, i, runs[i], wantRuns)
			}
			if i == failing {
				if !errors.Is(err, boom) || !isNotFound(gerr) {
					t.Errorf("failing body: err %v, row %v", err, gerr)
				}
			} else if err != nil || gerr != nil {
				t.Errorf("failing=%d body %d: err %v, row %v", failing, i, err, gerr)
			}
		}
	}
}

// A batch carries many requests: one whose client has gone (its context
// cancelled while its body runs) must not fail its statements or interrupt
// the others'.
func TestCommitterIgnoresCancelledRequestContexts(t *testing.T) {
	db := storetest.Open(t)
	c := newCommitter(db)
	defer c.close()
	reqCtx, cancel := context.WithCancel(context.Background())
	err := c.Do(context.Background(), func(tx store.Querier) error {
		cancel()
		_, err := tx.ExecContext(reqCtx, `INSERT INTO swift_accounts (account, created_at) VALUES ('gone', 1)`)
		return err
	})
	if err != nil {
		t.Fatalf("statement with a cancelled request context: %v", err)
	}
	if _, err := getAccount(context.Background(), db.R(), "gone"); err != nil {
		t.Fatalf("row not committed: %v", err)
	}
}
