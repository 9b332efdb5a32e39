package objectstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/stratus-iaas/stratus/internal/store"
)

// Account is a Swift account (AUTH_<project>). It exists implicitly; a row
// is created the first time something is written to it.
type Account struct {
	Name       string
	Meta       map[string]string
	Containers int64
	Objects    int64
	Bytes      int64
	CreatedAt  int64
}

// Container is one container of an account.
type Container struct {
	Account   string
	Name      string
	Meta      map[string]string // X-Container-Meta-*, X-Container-Read/Write, X-Versions-Location, ...
	Objects   int64
	Bytes     int64
	CreatedAt int64
}

// Object kinds.
const (
	kindPlain = 0
	kindSLO   = 1 // blob holds the manifest (internal JSON); Size is the joined size
	kindDLO   = 2 // X-Object-Manifest in Meta; blob is empty
	// kindSymlink is a link (symlink.go): its target in sysmeta, no bytes.
	kindSymlink = 3
)

// Object is one object row.
type Object struct {
	Account, Container, Name string
	BlobKey                  string
	Size                     int64
	ETag                     string
	ContentType              string
	LastModified             int64 // unix micro
	DeleteAt                 int64 // unix seconds; 0 = never
	Kind                     int
	Meta                     map[string]string // X-Object-Meta-*, Content-Encoding, Content-Disposition, X-Object-Manifest

	inline []byte // bytes that storeObject stores inline under BlobKey (set by writeBlob)
	data   []byte // inline bytes read with the row (getObjectWithData), nil otherwise

	versionID string // set by storeObject in a versioned container: the new version's id
}

func encodeMeta(m map[string]string) string {
	if len(m) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func decodeMeta(s string) map[string]string {
	m := map[string]string{}
	if s != "" && s != "{}" {
		json.Unmarshal([]byte(s), &m)
	}
	return m
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// --- accounts ---

func getAccount(ctx context.Context, q store.Querier, account string) (*Account, error) {
	a := &Account{Name: account}
	var meta string
	err := q.QueryRowContext(ctx, `SELECT meta, container_count, object_count, bytes_used, created_at
		FROM swift_accounts WHERE account = $1`, account).Scan(&meta, &a.Containers, &a.Objects, &a.Bytes, &a.CreatedAt)
	if err != nil {
		return nil, store.Map(err)
	}
	a.Meta = decodeMeta(meta)
	if b := batchOf(q); b != nil {
		if d := b.adelta[account]; d != nil {
			a.Containers, a.Objects, a.Bytes = a.Containers+d.containers, a.Objects+d.objects, a.Bytes+d.bytes
		}
	}
	return a, nil
}

func ensureAccount(ctx context.Context, tx store.Querier, account string, now int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO swift_accounts (account, created_at) VALUES ($1, $2)
		ON CONFLICT (account) DO NOTHING`, account, now)
	return err
}

func setAccountMeta(ctx context.Context, tx store.Querier, account string, meta map[string]string) error {
	_, err := tx.ExecContext(ctx, `UPDATE swift_accounts SET meta = $2 WHERE account = $1`, account, encodeMeta(meta))
	return err
}

func bumpAccount(ctx context.Context, tx store.Querier, account string, dc, do, db int64) error {
	if dc == 0 && do == 0 && db == 0 {
		return nil
	}
	if b := batchOf(tx); b != nil {
		d := b.pending(b.adelta, account)
		d.containers, d.objects, d.bytes = d.containers+dc, d.objects+do, d.bytes+db
		return nil
	}
	return updateAccountCounts(ctx, tx, account, dc, do, db)
}

func updateAccountCounts(ctx context.Context, tx store.Querier, account string, dc, do, db int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE swift_accounts SET container_count = container_count + $2,
		object_count = object_count + $3, bytes_used = bytes_used + $4 WHERE account = $1`, account, dc, do, db)
	return err
}

// --- containers ---

const containerCols = `account, name, meta, object_count, bytes_used, created_at`

func scanContainer(sc interface{ Scan(...any) error }) (*Container, error) {
	c := &Container{}
	var meta string
	if err := sc.Scan(&c.Account, &c.Name, &meta, &c.Objects, &c.Bytes, &c.CreatedAt); err != nil {
		return nil, store.Map(err)
	}
	c.Meta = decodeMeta(meta)
	return c, nil
}

func getContainer(ctx context.Context, q store.Querier, account, name string) (*Container, error) {
	b := batchOf(q)
	k := containerKey(account, name)
	if b != nil {
		if c := b.containers[k]; c != nil {
			return copyContainer(c), nil
		}
	}
	c, err := scanContainer(q.QueryRowContext(ctx, `SELECT `+containerCols+` FROM swift_containers
		WHERE account = $1 AND name = $2`, account, name))
	if err != nil || b == nil {
		return c, err
	}
	if d := b.cdelta[k]; d != nil {
		c.Objects, c.Bytes = c.Objects+d.objects, c.Bytes+d.bytes
	}
	b.containers[k] = copyContainer(c)
	return c, nil
}

// keyRange is the name window of a listing page: names after marker (at
// or after, when incl) and before end, or, when desc, names before marker
// and after end, newest-first.
type keyRange struct {
	marker string
	incl   bool
	end    string
	desc   bool
}

// clause returns the SQL condition and ORDER BY for r, numbering its
// parameters from next.
func (r keyRange) clause(next int) (string, []any) {
	var conds []string
	var args []any
	op, endOp, order := ">", "<", " ORDER BY name"
	if r.desc {
		op, endOp, order = "<", ">", " ORDER BY name DESC"
	}
	if r.incl {
		op += "="
	}
	if r.marker != "" || !r.desc {
		conds = append(conds, fmt.Sprintf(" AND name %s $%d", op, next))
		args = append(args, r.marker)
		next++
	}
	if r.end != "" {
		conds = append(conds, fmt.Sprintf(" AND name %s $%d", endOp, next))
		args = append(args, r.end)
	}
	return strings.Join(conds, "") + order, args
}

// listContainers returns up to limit containers in r, leaving out the
// hidden versions containers (versions.go).
func listContainers(ctx context.Context, q store.Querier, account string, r keyRange, limit int) ([]*Container, error) {
	cond, cargs := r.clause(5)
	query := `SELECT ` + containerCols + ` FROM swift_containers WHERE account = $1
		AND NOT (name >= $3 AND name < $4)` + cond + ` LIMIT $2`
	args := append([]any{account, limit, hiddenPrefix, hiddenPrefix[:len(hiddenPrefix)-1] + "0"}, cargs...)
	return queryAll(ctx, q, scanContainer, query, args...)
}

func insertContainer(ctx context.Context, tx store.Querier, c *Container) error {
	if b := batchOf(tx); b != nil {
		delete(b.containers, containerKey(c.Account, c.Name))
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO swift_containers (account, name, meta, created_at) VALUES ($1, $2, $3, $4)`,
		c.Account, c.Name, encodeMeta(c.Meta), c.CreatedAt)
	return err
}

func setContainerMeta(ctx context.Context, tx store.Querier, account, name string, meta map[string]string) error {
	if b := batchOf(tx); b != nil {
		if c := b.containers[containerKey(account, name)]; c != nil {
			c.Meta = maps.Clone(meta)
		}
	}
	_, err := tx.ExecContext(ctx, `UPDATE swift_containers SET meta = $3 WHERE account = $1 AND name = $2`,
		account, name, encodeMeta(meta))
	return err
}

func deleteContainerRow(ctx context.Context, tx store.Querier, account, name string) error {
	if b := batchOf(tx); b != nil {
		k := containerKey(account, name)
		delete(b.containers, k)
		delete(b.cdelta, k) // the row and its counters are gone
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM swift_containers WHERE account = $1 AND name = $2`, account, name)
	return err
}

func bumpContainer(ctx context.Context, tx store.Querier, account, name string, do, db int64) error {
	if b := batchOf(tx); b != nil {
		k := containerKey(account, name)
		d := b.pending(b.cdelta, k)
		d.objects, d.bytes = d.objects+do, d.bytes+db
		if c := b.containers[k]; c != nil {
			c.Objects, c.Bytes = c.Objects+do, c.Bytes+db
		}
		return nil
	}
	return updateContainerCounts(ctx, tx, account, name, do, db)
}

func updateContainerCounts(ctx context.Context, tx store.Querier, account, name string, do, db int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE swift_containers SET object_count = object_count + $3,
		bytes_used = bytes_used + $4 WHERE account = $1 AND name = $2`, account, name, do, db)
	return err
}

// --- objects ---

const objectCols = `account, container, name, blob_key, size, etag, content_type, last_modified, delete_at, kind, meta`

func scanObject(sc interface{ Scan(...any) error }) (*Object, error) { return scanObjectWith(sc) }

// scanObjectWith scans the object columns, then extra.
func scanObjectWith(sc interface{ Scan(...any) error }, extra ...any) (*Object, error) {
	o := &Object{}
	var meta string
	var del sql.NullInt64
	dest := append([]any{&o.Account, &o.Container, &o.Name, &o.BlobKey, &o.Size, &o.ETag, &o.ContentType,
		&o.LastModified, &del, &o.Kind, &meta}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return nil, store.Map(err)
	}
	o.DeleteAt = del.Int64
	o.Meta = decodeMeta(meta)
	return o, nil
}

const getObjectSQL = `SELECT ` + objectCols + ` FROM swift_objects WHERE account = $1 AND container = $2 AND name = $3`

func getObjectRow(ctx context.Context, q store.Querier, account, container, name string) (*Object, error) {
	return scanObject(q.QueryRowContext(ctx, getObjectSQL, account, container, name))
}

// getObjectWithDataSQL reads a row and, for an inline object, its bytes:
// a GET of a small object costs one query.
var getObjectWithDataSQL = `SELECT o.` + strings.ReplaceAll(objectCols, ", ", ", o.") + `, i.data
	FROM swift_objects o LEFT JOIN swift_inline i ON i.blob_key = o.blob_key
	WHERE o.account = $1 AND o.container = $2 AND o.name = $3`

func getObjectWithData(ctx context.Context, q store.Querier, account, container, name string) (*Object, error) {
	var data []byte
	o, err := scanObjectWith(q.QueryRowContext(ctx, getObjectWithDataSQL, account, container, name), &data)
	if err != nil {
		return nil, err
	}
	if isInline(o.BlobKey) {
		if data == nil {
			data = []byte{} // an empty inline object
		}
		o.data = data
	}
	return o, nil
}

// listObjectRows returns up to limit live objects in r.
func listObjectRows(ctx context.Context, q store.Querier, account, container string, r keyRange, limit int, nowSec int64) ([]*Object, error) {
	cond, cargs := r.clause(5)
	query := `SELECT ` + objectCols + ` FROM swift_objects WHERE account = $1 AND container = $2
		AND (delete_at IS NULL OR delete_at > $4)` + cond + ` LIMIT $3`
	args := append([]any{account, container, limit, nowSec}, cargs...)
	return queryAll(ctx, q, scanObject, query, args...)
}

const insertObjectSQL = `INSERT INTO swift_objects (` + objectCols + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`

func insertObjectRow(ctx context.Context, tx store.Querier, o *Object) error {
	_, err := tx.ExecContext(ctx, insertObjectSQL, objectArgs(o)...)
	return err
}

// insertObjectRowIfAbsent inserts o unless its name is taken, and reports
// whether it did.
func insertObjectRowIfAbsent(ctx context.Context, tx store.Querier, o *Object) (bool, error) {
	res, err := tx.ExecContext(ctx, insertObjectSQL+` ON CONFLICT (account, container, name) DO NOTHING`, objectArgs(o)...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func objectArgs(o *Object) []any {
	var del any
	if o.DeleteAt != 0 {
		del = o.DeleteAt
	}
	return []any{o.Account, o.Container, o.Name, o.BlobKey, o.Size, o.ETag, o.ContentType, o.LastModified, del, o.Kind, encodeMeta(o.Meta)}
}

func updateObjectMeta(ctx context.Context, tx store.Querier, o *Object) error {
	var del any
	if o.DeleteAt != 0 {
		del = o.DeleteAt
	}
	_, err := tx.ExecContext(ctx, `UPDATE swift_objects SET content_type = $4, delete_at = $5, meta = $6, last_modified = $7, kind = $8
		WHERE account = $1 AND container = $2 AND name = $3`,
		o.Account, o.Container, o.Name, o.ContentType, del, encodeMeta(o.Meta), o.LastModified, o.Kind)
	return err
}

func deleteObjectRow(ctx context.Context, tx store.Querier, o *Object) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM swift_objects WHERE account = $1 AND container = $2 AND name = $3`,
		o.Account, o.Container, o.Name)
	return err
}

func blobReferenced(ctx context.Context, tx store.Querier, key string) (bool, error) {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM swift_objects WHERE blob_key = $1 LIMIT 1`, key).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// lockBlobRefs reports whether a row still references key and, on
// PostgreSQL, share-locks those rows until the transaction ends: a
// concurrent DELETE of the last reference then waits for us (and sees our
// new row when it checks for garbage) or has already committed (and we see
// no row). SQLite has one writer, so the plain read is enough there.
func lockBlobRefs(ctx context.Context, tx store.Querier, engine, key string) (bool, error) {
	q := `SELECT 1 FROM swift_objects WHERE blob_key = $1 LIMIT 1`
	if engine == store.Postgres {
		q += ` FOR SHARE`
	}
	var one int
	err := tx.QueryRowContext(ctx, q, key).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

func expiredInContainer(ctx context.Context, q store.Querier, account, container string, limit int) ([]*Object, error) {
	return queryAll(ctx, q, scanObject, `SELECT `+objectCols+` FROM swift_objects
		WHERE account = $1 AND container = $2 AND delete_at IS NOT NULL AND delete_at <= $3 LIMIT $4`,
		account, container, time.Now().Unix(), limit)
}

func expiredObjects(ctx context.Context, q store.Querier, nowSec int64, limit int) ([]*Object, error) {
	return queryAll(ctx, q, scanObject, `SELECT `+objectCols+` FROM swift_objects
		WHERE delete_at IS NOT NULL AND delete_at <= $1 LIMIT $2`, nowSec, limit)
}

// pgByteOrder makes PostgreSQL compare names byte-wise, as SQLite does.
func pgByteOrder(ctx context.Context, db *store.DB) error {
	if db.Engine != store.Postgres {
		return nil
	}
	var coll sql.NullString
	err := db.R().QueryRowContext(ctx, `SELECT collation_name FROM information_schema.columns
		WHERE table_name = 'swift_objects' AND column_name = 'name'`).Scan(&coll)
	if err != nil || coll.String == "C" {
		return err
	}
	return db.Tx(ctx, func(tx *sql.Tx) error {
		for _, s := range []string{
			`ALTER TABLE swift_containers ALTER COLUMN name TYPE TEXT COLLATE "C"`,
			`ALTER TABLE swift_objects ALTER COLUMN container TYPE TEXT COLLATE "C"`,
			`ALTER TABLE swift_objects ALTER COLUMN name TYPE TEXT COLLATE "C"`,
		} {
			if _, err := tx.ExecContext(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
}

// queryAll runs query and scans every row with scan.
func queryAll[T any](ctx context.Context, q store.Querier, scan func(interface{ Scan(...any) error }) (T, error), query string, args ...any) ([]T, error) {
	return store.QueryAll(ctx, q, func(s store.Scanner) (T, error) { return scan(s) }, query, args...)
}
