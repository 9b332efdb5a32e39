package image

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"time"

	"github.com/stratus-iaas/stratus/internal/store"
)

// Glance's standard namespaces (etc/metadefs/*.json of openstack/glance,
// Apache-2.0; see metadefs/README.md), loaded once into the catalog as
// `glance-manage db_load_metadefs` loads them: owner "admin", creation time
// only, and resource types created protected. A namespace is loaded the
// first time this node (or any node sharing the database) starts with it;
// one an admin deleted later stays deleted.
//
//go:embed metadefs/*.json
var seedFiles embed.FS

// seedMetadefs loads the standard namespaces that were never loaded.
func seedMetadefs(ctx context.Context, db *store.DB) error {
	names, err := fs.Glob(seedFiles, "metadefs/*.json")
	if err != nil {
		return err
	}
	slices.Sort(names)
	return db.Tx(ctx, func(tx *sql.Tx) error {
		now := time.Now().UTC()
		for _, name := range names {
			if err := seedFile(ctx, tx, name, now); err != nil {
				return fmt.Errorf("metadefs %s: %w", name, err)
			}
		}
		return nil
	})
}

func seedFile(ctx context.Context, tx *sql.Tx, file string, now time.Time) error {
	raw, err := seedFiles.ReadFile(file)
	if err != nil {
		return err
	}
	v, err := decodeOrdered(raw)
	if err != nil {
		return err
	}
	doc, ok := v.(*jobject)
	if !ok {
		return fmt.Errorf("not a JSON object")
	}
	f, err := namespaceFrom(doc)
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO metadef_seeded (namespace, seeded_at) VALUES ($1, $2)
		ON CONFLICT (namespace) DO NOTHING`, f.Name, now.UnixMicro())
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err // loaded before
	}
	if _, err := getNamespace(ctx, tx, f.Name); err == nil {
		return nil // an admin made one of that name first
	}
	ns := &Namespace{ID: newID(), Name: f.Name, DisplayName: f.DisplayName, Description: f.Description,
		Visibility: nsPrivate, Protected: f.Protected != nil && *f.Protected, Owner: "admin", CreatedAt: now}
	if f.Visibility != nil {
		ns.Visibility = *f.Visibility
	}
	if f.Owner != nil {
		ns.Owner = *f.Owner
	}
	if err := insertNamespace(ctx, tx, ns); err != nil {
		return err
	}
	for _, a := range f.RTs {
		if err := ensureResourceType(ctx, tx, a.Name, true, now.UnixMicro()); err != nil {
			return err
		}
	}
	return addContents(ctx, tx, ns, f, now)
}
