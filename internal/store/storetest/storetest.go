// Package storetest opens a fresh database for a test: SQLite in a temp
// dir, or, when STRATUS_TEST_PG holds a PostgreSQL URL, a new database on
// that server that is dropped when the test ends. The same store tests thus
// run against both engines.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/stratus-iaas/stratus/internal/store"
)

// PGEnv names the variable holding the PostgreSQL server URL.
const PGEnv = "STRATUS_TEST_PG"

// Open returns a migrated, empty database closed at the end of the test.
func Open(t testing.TB) *store.DB {
	t.Helper()
	ctx := context.Background()
	dsn := ""
	if pg := os.Getenv(PGEnv); pg != "" {
		dsn = newPGDatabase(t, pg)
	}
	db, err := store.Open(ctx, dsn, t.TempDir())
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// DSN returns a data-source name for a fresh database ("" for SQLite in
// the data dir), for tests that start the real binary.
func DSN(t testing.TB) string {
	if pg := os.Getenv(PGEnv); pg != "" {
		return newPGDatabase(t, pg)
	}
	return ""
}

func newPGDatabase(t testing.TB, server string) string {
	t.Helper()
	admin, err := sql.Open("pgx", server)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	var b [6]byte
	rand.Read(b[:])
	name := "stratus_test_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		admin.Close()
		t.Fatalf("postgres: create database: %v", err)
	}
	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("postgres url: %v", err)
	}
	u.Path = "/" + name
	t.Cleanup(func() {
		admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		admin.Close()
	})
	return u.String()
}
