package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/stratus-iaas/stratus/internal/blob"
	"github.com/stratus-iaas/stratus/internal/blob/s3blob"
)

// openBlobs opens the byte store every service shares. On the filesystem
// it is one group-committing store (concurrent small writes share
// directory fsyncs, large ones start writeback early); on S3 it is the
// bucket every node of the deployment uses, with staging files in this
// node's data dir.
func openBlobs(ctx context.Context, cfg Config) (blob.Store, error) {
	if cfg.Blob == "" {
		fs, err := blob.NewFS(filepath.Join(cfg.DataDir, "blobs"))
		if err != nil {
			return nil, err
		}
		return blob.NewGroup(fs), nil
	}
	// The environment wins over the config file, as for every option.
	fromFile := map[string]string{"AWS_ACCESS_KEY_ID": cfg.S3AccessKey, "AWS_SECRET_ACCESS_KEY": cfg.S3SecretKey, "AWS_REGION": cfg.S3Region}
	getenv := func(k string) string {
		if v := os.Getenv(k); v != "" {
			return v
		}
		return fromFile[k]
	}
	o, err := s3blob.ParseURL(cfg.Blob, getenv)
	if err != nil {
		return nil, err
	}
	o.StageDir = filepath.Join(cfg.DataDir, "stage")
	st, err := s3blob.New(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("blob store: %w", err)
	}
	return st, nil
}

// sweepUploads aborts, every hour, the multipart uploads that a node which
// died mid-upload left in the bucket (those started over a day ago; no
// upload of a live node takes that long). Every node runs it; aborting is
// idempotent.
func (s *Server) sweepUploads(st *s3blob.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			if n, err := st.SweepUploads(ctx, 24*time.Hour); err != nil && ctx.Err() == nil {
				s.log.Warn("sweeping abandoned uploads", "err", err)
			} else if n > 0 {
				s.log.Info("aborted abandoned uploads", "count", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	s.onClose(func() error { cancel(); <-done; return nil })
}
