// Package store is the SQL plumbing every service shares: it opens SQLite
// (embedded default) or PostgreSQL, applies the embedded migrations, runs
// transactions and maps driver errors. It holds no resource logic: each
// service keeps its own queries beside its code.
//
// SQL is written once for both engines: "$1" placeholders, BIGINT unix-time
// columns, TEXT ids, BOOLEAN, ON CONFLICT and RETURNING.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Errors that services turn into their own wire errors.
var (
	ErrNotFound = errors.New("store: not found")
	ErrConflict = errors.New("store: conflict")
)

// Engine names.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Querier is what both *sql.DB and *sql.Tx offer.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// DB is an open metadata database.
type DB struct {
	Engine string
	w      *sql.DB // writes (one connection under SQLite: one writer)
	r      *sql.DB // reads (a pool; the same as w under PostgreSQL)
	rs, ws *Stmts  // prepared statements on r and w
}

// Open opens the database named by dsn: "" or "sqlite:PATH" for SQLite
// (default PATH is dataDir/stratus.db), "postgres://..." for PostgreSQL.
// Migrations are applied before it returns.
func Open(ctx context.Context, dsn, dataDir string) (*DB, error) {
	var db *DB
	var err error
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		db, err = openPostgres(dsn)
	case dsn == "" || strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(dsn, "sqlite:")
		if path == "" {
			path = filepath.Join(dataDir, "stratus.db")
		}
		db, err = openSQLite(path)
	default:
		return nil, fmt.Errorf("store: unsupported database %q (want sqlite:PATH or postgres://...)", dsn)
	}
	if err != nil {
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func openSQLite(path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	if err := privateFiles(path); err != nil {
		return nil, err
	}
	// synchronous(FULL): a committed row survives power loss, matching the
	// fsync we promise for bytes. WAL lets readers run beside the writer.
	pragmas := "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(ON)"
	w, err := sql.Open("sqlite", "file:"+path+pragmas+"&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	r, err := sql.Open("sqlite", "file:"+path+pragmas+"&mode=ro")
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	if err := w.Ping(); err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return newDB(SQLite, w, r), nil
}

// privateFiles makes the database file and its WAL and shared-memory
// files readable by their owner only (they hold password hashes and
// every tenant's metadata): the file is created 0600 before SQLite opens
// it, since SQLite gives the files it creates the database file's mode,
// and files left by an earlier version are tightened.
func privateFiles(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

func openPostgres(dsn string) (*DB, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(16)
	db.SetConnMaxIdleTime(5 * time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect postgres: %w", err)
	}
	return newDB(Postgres, db, db), nil
}

func newDB(engine string, w, r *sql.DB) *DB {
	return &DB{Engine: engine, w: w, r: r, rs: newStmts(r), ws: newStmts(w)}
}

// Close closes the database.
func (db *DB) Close() error {
	db.rs.close()
	db.ws.close()
	err := db.w.Close()
	if db.r != db.w {
		if e := db.r.Close(); err == nil {
			err = e
		}
	}
	return err
}

// R is for reads outside a transaction. Its queries run through
// statements prepared once per query text.
func (db *DB) R() Querier { return db.rs }

// WriteStmts is the statement cache of the write connection, for Bind.
func (db *DB) WriteStmts() *Stmts { return db.ws }

// Tx runs fn in a write transaction, committing when fn returns nil.
// Driver errors are mapped (unique violations become ErrConflict).
func (db *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return Map(err)
	}
	err = fn(tx)
	if err != nil {
		tx.Rollback()
	} else {
		err = tx.Commit()
	}
	db.ws.preparePending(ctx)
	return Map(err)
}

// Map turns driver errors into this package's errors; others pass through.
func Map(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %w", ErrConflict, err)
		}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return fmt.Errorf("%w: %w", ErrConflict, err)
	}
	return err
}

// Now is the time stored in rows: unix microseconds, UTC.
func Now() int64 { return time.Now().UTC().UnixMicro() }

// Time converts a stored timestamp back.
func Time(us int64) time.Time { return time.UnixMicro(us).UTC() }

// Scanner is a row to scan: *sql.Row or *sql.Rows.
type Scanner interface{ Scan(dest ...any) error }

// QueryAll runs query and scans every row with scan.
func QueryAll[T any](ctx context.Context, q Querier, scan func(Scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
