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
