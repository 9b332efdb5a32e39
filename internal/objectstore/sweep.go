package objectstore

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"path/filepath"
	"time"
)

// sweepOrphans deletes blobs under swift/ that no row references and that
// were last written before olderThan ago: the bytes of PUTs that crashed
// between their blob commit and their row commit. It needs a filesystem
// store (one with Path); other stores are skipped.
func (s *Service) sweepOrphans(ctx context.Context, olderThan time.Duration) (int, error) {
	p, ok := s.blobs.(interface{ Path(string) (string, error) })
	if !ok {
		return 0, nil
	}
	root, err := p.Path("swift")
	if err != nil {
		return 0, err
	}
	base := filepath.Dir(root)
	cut := time.Now().Add(-olderThan)
	n := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil || info.ModTime().After(cut) {
			return nil
		}
		rel, err := filepath.Rel(base, path)
		if err != nil {
			return nil
		}
		key := filepath.ToSlash(rel)
		var one int
		err = s.db.R().QueryRowContext(ctx, `SELECT 1 FROM swift_objects WHERE blob_key = $1 LIMIT 1`, key).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			if err := s.blobs.Delete(ctx, key); err == nil {
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
