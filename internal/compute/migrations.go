package compute

import (
	"context"
	"database/sql"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Migrations (os-migrations): stratus's resizes are same-host migrations,
// recorded as they start and updated as they confirm or revert. The wire
// shape is in migrations_http.go.

// Migration is one recorded migration.
type Migration struct {
	ID                   int64
	UUID                 string
	ServerID             string
	SourceHost, DestHost sql.NullString
	OldFlavor, NewFlavor string
	Status, Type         string
	CreatedAt, UpdatedAt time.Time
}

// MigrationFilter selects migrations; empty fields match all. Limit < 0
// is no limit; Marker is the uuid of the migration before the page.
type MigrationFilter struct {
	ServerID, Status, Type string
	Hosts                  []string // each matches the source or the destination
	ChangesSince           *time.Time
	Limit                  int
	Marker                 string
}

// recordMigration stores a resize of sv (its Flavor the new one, its
// OldFlavor the old) as a migration in progress; "" when it cannot.
func (s *Service) recordMigration(ctx context.Context, sv *Server) string {
	old := sv.Flavor
	if sv.OldFlavor != nil {
		old = *sv.OldFlavor
	}
	id := uuid.NewString()
	now := store.Now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		n, err := nextCounter(ctx, tx, "migration_id", 1)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO compute_migrations (id, uuid, server_id, project_id, user_id, source_host, dest_host,
			old_flavor_id, new_flavor_id, status, migration_type, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, 'migrating', 'resize', $9, $9)`,
			n, id, sv.ID, sv.ProjectID, sv.UserID, deref(sv.Host), old.ID, sv.Flavor.ID, now)
		return err
	})
	if err != nil {
		s.log.Warn("migration not recorded", "server", sv.ID, "err", err)
		return ""
	}
	return id
}

// lastMigration is the uuid of a server's latest migration.
func (s *Service) lastMigration(ctx context.Context, serverID string) string {
	var id string
	_ = s.r.QueryRowContext(ctx, `SELECT uuid FROM compute_migrations WHERE server_id = $1 ORDER BY id DESC LIMIT 1`, serverID).Scan(&id)
	return id
}

func (s *Service) setMigrationStatus(ctx context.Context, id, status string) {
	if id == "" {
		return
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE compute_migrations SET status = $1, updated_at = $2 WHERE uuid = $3`, status, store.Now(), id)
		return err
	})
	if err != nil {
		s.log.Warn("migration status not saved", "migration", id, "err", err)
	}
}

// flavorNumber is the integer id Nova shows for a flavor in migrations
// (instance_type_id): the flavor id when numeric, else a stable hash.
func flavorNumber(id string) int64 {
	if n, err := strconv.ParseInt(id, 10, 64); err == nil {
		return n
	}
	return int64(crc32.ChecksumIEEE([]byte(id)) & 0x7fffffff)
}

// Migrations lists the migrations f selects, newest first (an admin's
// view: migrations of every project).
func (s *Service) Migrations(ctx context.Context, f MigrationFilter) ([]Migration, error) {
	cond, args := []string{"1 = 1"}, []any{}
	add := func(expr string, v any) {
		args = append(args, v)
		cond = append(cond, fmt.Sprintf(expr, len(args)))
	}
	if f.ServerID != "" {
		add("server_id = $%d", f.ServerID)
	}
	if f.Status != "" {
		add("status = $%d", f.Status)
	}
	if f.Type != "" {
		add("migration_type = $%d", f.Type)
	}
	for _, h := range f.Hosts {
		add("(source_host = $%d OR dest_host = $%[1]d)", h)
	}
	if f.ChangesSince != nil {
		add("updated_at >= $%d", f.ChangesSince.UnixMicro())
	}
	if f.Marker != "" {
		var id int64
		if err := s.r.QueryRowContext(ctx, `SELECT id FROM compute_migrations WHERE uuid = $1`, f.Marker).Scan(&id); err != nil {
			return nil, fault.Invalidf("Marker %s could not be found.", f.Marker)
		}
		add("id < $%d", id)
	}
	q := `SELECT id, uuid, server_id, source_host, dest_host, old_flavor_id, new_flavor_id, status, migration_type, created_at, updated_at
		FROM compute_migrations WHERE ` + strings.Join(cond, " AND ") + ` ORDER BY id DESC`
	if f.Limit >= 0 {
		q += " LIMIT " + strconv.Itoa(f.Limit)
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Migration
	for rows.Next() {
		var m Migration
		var created, updated int64
		if err := rows.Scan(&m.ID, &m.UUID, &m.ServerID, &m.SourceHost, &m.DestHost, &m.OldFlavor, &m.NewFlavor, &m.Status, &m.Type, &created, &updated); err != nil {
			return nil, err
		}
		m.CreatedAt, m.UpdatedAt = store.Time(created), store.Time(updated)
		out = append(out, m)
	}
	return out, rows.Err()
}
