package image

import (
	"context"
	"database/sql"
	"errors"
	"io"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Staging (Glance's interoperable import, glance-direct): PUT
// /v2/images/{id}/stage moves a queued image to uploading while the body
// is received into a blob of its own, with md5 and sha512 computed on the
// way; the image stays uploading, with the staged blob recorded, until
// POST /v2/images/{id}/import publishes it. A stage that fails or is cut
// by a crash puts the image back in queued.

// staged is an image's staged data.
type staged struct {
	Key    string
	Size   int64
	MD5    string
	SHA512 string
}

func getStaged(ctx context.Context, q store.Querier, id string) (staged, error) {
	var st staged
	err := q.QueryRowContext(ctx, "SELECT staging_key, staging_size, staging_md5, staging_sha512 FROM images WHERE id = $1", id).
		Scan(&st.Key, &st.Size, &st.MD5, &st.SHA512)
	return st, store.Map(err)
}

func setStaged(ctx context.Context, tx *sql.Tx, id string, st staged) error {
	_, err := tx.ExecContext(ctx, "UPDATE images SET staging_key=$1, staging_size=$2, staging_md5=$3, staging_sha512=$4, updated_at=$5 WHERE id=$6",
		st.Key, st.Size, st.MD5, st.SHA512, store.Now(), id)
	return err
}

// startStaging moves a queued image to uploading, held by node until the
// given time; store.ErrConflict when it is not queued (or an expired
// stage with nothing staged).
func startStaging(ctx context.Context, tx *sql.Tx, id, node string, now, until int64) error {
	res, err := tx.ExecContext(ctx, `UPDATE images SET status=$1, upload_node=$2, upload_lease=$3, updated_at=$4
		WHERE id=$5 AND (status=$6 OR (status=$1 AND staging_key = '' AND upload_lease < $4))`,
		string(StatusUploading), node, until, now, id, string(StatusQueued))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrConflict
	}
	return nil
}

// resetStaging puts images whose stage was cut by a crash back in queued:
// uploading with nothing staged, this node's or with an expired lease.
func resetStaging(ctx context.Context, tx *sql.Tx, node string, now int64) (int64, error) {
	res, err := tx.ExecContext(ctx, `UPDATE images SET status=$1, updated_at=$2
		WHERE status=$3 AND staging_key = '' AND (upload_node=$4 OR upload_lease < $2)`,
		string(StatusQueued), now, string(StatusUploading), node)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Stage receives an image's data into the staging area (size -1 when
// unknown). The image must be queued; it stays uploading afterwards.
func (s *Service) Stage(ctx context.Context, p *policy.Principal, id string, body io.Reader, size int64) error {
	if size > s.sizeCap {
		return tooLarge(s.sizeCap)
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		im, err := s.visible(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if !canModify(p, im) {
			return notAuthorized("stage_image")
		}
		now := store.Now()
		err = startStaging(ctx, tx, id, s.node, now, now+s.lease.Microseconds())
		if errors.Is(err, store.ErrConflict) {
			return fault.Conflictf("Image status transition from %s to %s is not allowed", im.Status, StatusUploading)
		}
		return err
	})
	if err != nil {
		return err
	}
	stop := s.renewWhileSaving(id)
	st, err := s.receiveStaged(ctx, id, body, size)
	stop()
	if err == nil {
		err = s.db.Tx(ctx, func(tx *sql.Tx) error {
			cur, err := getImage(ctx, tx, id)
			if err != nil {
				return err
			}
			if cur.Status != StatusUploading {
				return fault.Conflictf("Image status transition from %s to %s is not allowed", cur.Status, StatusUploading)
			}
			return setStaged(ctx, tx, id, st)
		})
		if err == nil {
			return nil
		}
		s.blobs.Delete(context.WithoutCancel(ctx), st.Key)
	}
	s.unstage(id)
	if isNotFound(err) {
		return fault.New(fault.Gone, "Image %s could not be found after upload. The image may have been deleted during the upload.", id)
	}
	return err
}

// receiveStaged writes the body to a new committed blob with its sums.
func (s *Service) receiveStaged(ctx context.Context, id string, body io.Reader, size int64) (staged, error) {
	key := "staging/" + uploadKey(id)[len("images/"):]
	w, err := s.blobs.Create(ctx, key)
	if err != nil {
		return staged{}, err
	}
	limit := s.sizeCap
	if size >= 0 {
		limit = size
	}
	hs, err := copyHashed(ctx, w, body, limit)
	switch {
	case err != nil:
	case size >= 0 && (hs.over || hs.n != size):
		err = fault.Invalidf("Size of uploaded data (%d bytes) does not match the declared size (%d bytes).", hs.n, size)
	case size < 0 && hs.over:
		err = tooLarge(s.sizeCap)
	}
	if err != nil {
		w.Abort()
		return staged{}, err
	}
	if err := w.Commit(); err != nil {
		return staged{}, err
	}
	return staged{Key: key, Size: hs.n, MD5: hs.md5, SHA512: hs.sha512}, nil
}

// unstage puts an image whose stage failed back in queued.
func (s *Service) unstage(id string) {
	ctx := context.Background()
	s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE images SET status=$1, updated_at=$2 WHERE id=$3 AND status=$4 AND staging_key = ''",
			string(StatusQueued), store.Now(), id, string(StatusUploading))
		return err
	})
}
