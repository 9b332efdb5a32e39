package objectstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"io"
	"strings"
	"time"

	"github.com/stratus-iaas/stratus/internal/blob"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Small objects are stored inline: their bytes go into swift_inline, in
// the same transaction as their row, instead of a file of their own. A
// small PUT then costs one group-committed database flush instead of a
// file fsync, a rename, a directory fsync and that flush, and a crash
// still leaves the old object or the new one (docs/decisions.md).
//
// Inline blobs have keys under inlinePrefix. Rows share them as they share
// file blobs (copies, archived versions); the bytes are deleted in the
// transaction that removes the last row using them.

// defaultInlineMax is the largest object stored inline.
const defaultInlineMax = 64 << 10

const inlinePrefix = "inline/"

func isInline(key string) bool { return strings.HasPrefix(key, inlinePrefix) }

// newInlineKey is a fresh key that sorts after the keys made before it
// (the time comes first), so the inserts of a batch share the last pages
// of the key indexes instead of dirtying a random page each.
func newInlineKey() string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixNano()))
	rand.Read(b[8:])
	return inlinePrefix + hex.EncodeToString(b[:])
}

// readSmall reads src to its end if it holds at most max bytes. Otherwise
// it returns the bytes read so far (max+1 of them) and more = true.
func readSmall(src io.Reader, sizeHint int64, max int) (b []byte, more bool, err error) {
	n := 512
	if sizeHint >= 0 && sizeHint <= int64(max) {
		n = int(sizeHint) + 1 // room to see the end without growing
	}
	b = make([]byte, 0, n)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		limit := min(cap(b), max+1)
		m, err := src.Read(b[len(b):limit])
		b = b[:len(b)+m]
		if len(b) > max {
			return b, true, nil
		}
		if err == io.EOF {
			return b, false, nil
		}
		if err != nil {
			return b, false, err
		}
	}
}

func insertInline(ctx context.Context, tx store.Querier, key string, data []byte) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO swift_inline (blob_key, data) VALUES ($1, $2)`, key, data)
	return err
}

func deleteInline(ctx context.Context, tx store.Querier, key string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM swift_inline WHERE blob_key = $1`, key)
	return err
}

const getInlineSQL = `SELECT data FROM swift_inline WHERE blob_key = $1`

// openBlob opens the bytes behind key, inline or in the blob store.
func (s *Service) openBlob(ctx context.Context, key string) (blob.Reader, error) {
	if !isInline(key) {
		return s.blobs.Open(ctx, key)
	}
	var data []byte
	if err := s.db.R().QueryRowContext(ctx, getInlineSQL, key).Scan(&data); err != nil {
		if isNotFound(store.Map(err)) {
			return nil, blob.ErrNotFound
		}
		return nil, err
	}
	return &inlineReader{bytes.NewReader(data)}, nil
}

// inlineReader is a blob.Reader over bytes read from the database.
type inlineReader struct{ *bytes.Reader }

func (r *inlineReader) Close() error { return nil }

var _ blob.Reader = (*inlineReader)(nil)

// reapInline deletes the inline bytes among garbage (keys that removeObject
// found unreferenced) inside the caller's transaction, unless a row added
// later in the same transaction uses them again, and returns the keys left
// for dropBlobs to delete after the commit.
func reapInline(ctx context.Context, tx store.Querier, garbage []string) ([]string, error) {
	files := garbage[:0:0]
	for _, k := range garbage {
		if !isInline(k) {
			files = append(files, k)
			continue
		}
		used, err := blobReferenced(ctx, tx, k)
		if err != nil {
			return nil, err
		}
		if !used {
			if err := deleteInline(ctx, tx, k); err != nil {
				return nil, err
			}
		}
	}
	return files, nil
}
