package store_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stratus-iaas/stratus/internal/store"
	"github.com/stratus-iaas/stratus/internal/store/storetest"
)

func TestTxConflictAndNotFound(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	put := func(v string) error {
		return db.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "INSERT INTO stratus_meta (key, value) VALUES ($1, $2)", "k", v)
			return err
		})
	}
	if err := put("a"); err != nil {
		t.Fatal(err)
	}
	if err := put("b"); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate key: got %v, want ErrConflict", err)
	}
	var v string
	err := db.R().QueryRowContext(ctx, "SELECT value FROM stratus_meta WHERE key = $1", "k").Scan(&v)
	if err != nil || v != "a" {
		t.Fatalf("read back: %q %v", v, err)
	}
	err = store.Map(db.R().QueryRowContext(ctx, "SELECT value FROM stratus_meta WHERE key = $1", "nope").Scan(&v))
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing row: got %v, want ErrNotFound", err)
	}
}

func TestRollbackOnError(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	boom := errors.New("boom")
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO stratus_meta (key, value) VALUES ($1, $2)", "x", "1"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
	var n int
	if err := db.R().QueryRowContext(ctx, "SELECT COUNT(*) FROM stratus_meta WHERE key = $1", "x").Scan(&n); err != nil || n != 0 {
		t.Fatalf("row survived rollback: n=%d err=%v", n, err)
	}
}

func TestMigrationsIdempotent(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		db, err := store.Open(ctx, "", dir)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		db.Close()
	}
}

func TestSplitStatements(t *testing.T) {
	got := store.SplitStatementsForTest("-- c\nCREATE TABLE a (x INT);\n\nCREATE INDEX i ON a (x);\n")
	if len(got) != 2 {
		t.Fatalf("got %d statements: %q", len(got), got)
	}
}

// The SQLite files are the owner's only, also when an earlier version left
// them readable by others.
func TestSQLiteFilesPrivate(t *testing.T) {
	for _, existing := range []bool{false, true} {
		dir := t.TempDir()
		path := filepath.Join(dir, "stratus.db")
		if existing {
			for _, p := range []string{path, path + "-wal"} {
				if err := os.WriteFile(p, nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		db, err := store.Open(context.Background(), "", dir)
		if err != nil {
			t.Fatal(err)
		}
		err = db.Tx(context.Background(), func(tx *sql.Tx) error {
			_, err := tx.ExecContext(context.Background(), "CREATE TABLE IF NOT EXISTS perm_probe (x INT)")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("existing=%v: %s is %v", existing, filepath.Base(p), fi.Mode().Perm())
			}
		}
		db.Close()
	}
}
