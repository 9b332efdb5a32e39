// Command seed inserts N object rows into one container of a stopped
// stratus data dir (SQLite), straight through SQL in one transaction, so
// listing latency can be measured at millions of objects without
// uploading them. The rows point at no blob: listings never read bytes.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/stratus-iaas/stratus/internal/store"
)

func main() {
	dataDir := flag.String("data-dir", "", "stratus data dir (server stopped)")
	account := flag.String("account", "", "AUTH_<project>")
	container := flag.String("container", "list", "container to fill")
	n := flag.Int("n", 1000000, "objects")
	flag.Parse()
	ctx := context.Background()
	db, err := store.Open(ctx, "", *dataDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer db.Close()
	t0 := time.Now()
	now := store.Now()
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		tx.ExecContext(ctx, `INSERT INTO swift_accounts (account, created_at) VALUES ($1, $2) ON CONFLICT (account) DO NOTHING`, *account, now)
		if _, err := tx.ExecContext(ctx, `INSERT INTO swift_containers (account, name, meta, created_at) VALUES ($1, $2, '{}', $3)`, *account, *container, now); err != nil {
			return err
		}
		st, err := tx.PrepareContext(ctx, `INSERT INTO swift_objects (account, container, name, blob_key, size, etag, content_type, last_modified, kind, meta)
			VALUES ($1, $2, $3, 'none', 0, 'd41d8cd98f00b204e9800998ecf8427e', 'application/octet-stream', $4, 0, '{}')`)
		if err != nil {
			return err
		}
		for i := 0; i < *n; i++ {
			if _, err := st.ExecContext(ctx, *account, *container, fmt.Sprintf("o-%07d", i), now); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE swift_containers SET object_count = $3 WHERE account = $1 AND name = $2`, *account, *container, *n)
		return err
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("seeded %d objects in %s\n", *n, time.Since(t0).Round(time.Millisecond))
}
