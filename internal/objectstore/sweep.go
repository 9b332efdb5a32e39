package objectstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/stratus-iaas/stratus/internal/blob"
)

// sweepOrphans deletes blobs under swift/ that no row references and that
// were committed before olderThan ago: the bytes of PUTs that crashed
// between their blob commit and their row commit. It lists the blob store,
// so it works on every backend; with several nodes each runs it, and a
// delete of what another node already deleted is harmless.
func (s *Service) sweepOrphans(ctx context.Context, olderThan time.Duration) (int, error) {
	cut := time.Now().Add(-olderThan)
	n := 0
	err := s.blobs.List(ctx, "swift/", func(b blob.Info) error {
		if b.ModTime.After(cut) {
			return nil
		}
		var one int
		err := s.db.R().QueryRowContext(ctx, `SELECT 1 FROM swift_objects WHERE blob_key = $1 LIMIT 1`, b.Key).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			if err := s.blobs.Delete(ctx, b.Key); err == nil {
				n++
			}
			return nil
		}
		return err
	})
	return n, err
}

// sweeper runs sweepOrphans a minute after start and every six hours.
func (s *Service) sweeper() {
	defer s.wg.Done()
	wait := time.Minute
	for {
		select {
		case <-s.quit:
			return
		case <-time.After(wait):
		}
		wait = 6 * time.Hour
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			select {
			case <-s.quit:
			case <-ctx.Done():
			}
			cancel()
		}()
		n, err := s.sweepOrphans(ctx, time.Hour)
		cancel()
		if err != nil && ctx.Err() == nil {
			s.log.Warn("orphan sweep", "err", err)
		} else if n > 0 {
			s.log.Info("orphan sweep", "deleted", n)
		}
	}
}
