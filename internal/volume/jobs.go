package volume

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"sync"
	"time"

	"github.com/stratus-iaas/stratus/internal/diskimage"
	"github.com/stratus-iaas/stratus/internal/diskimage/convert"
	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/job"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Job kinds (append-only names).
const (
	kindCreate   = "volume.create"
	kindSnapshot = "snapshot.create"
	kindRestore  = "volume.restore"
	kindUpload   = "volume.uploadImage"
)

type createInput struct {
	VolumeID string       `json:"volume_id"`
	Source   createSource `json:"source"`
}

type snapshotInput struct {
	SnapshotID string `json:"snapshot_id"`
	VolumeKey  string `json:"volume_key"`
}

type restoreInput struct {
	VolumeID    string `json:"volume_id"`
	SnapshotID  string `json:"snapshot_id"`
	SnapshotKey string `json:"snapshot_key"`
	VolumeKey   string `json:"volume_key"`
	Size        int64  `json:"size"`
}

// Every kind rewrites its output from the start into a temp file that
// replaces the key only when complete, so an interrupted job can run again.
func (s *Service) registerJobs() {
	s.jobs.Register(job.Kind{Name: kindCreate, Handler: s.runCreate, Resumable: true, OnFail: s.createFailed,
		FailMessage: "Volume creation failed."})
	s.jobs.Register(job.Kind{Name: kindSnapshot, Handler: s.runSnapshot, Resumable: true, OnFail: s.snapshotFailed,
		FailMessage: "Snapshot creation failed."})
	s.jobs.Register(job.Kind{Name: kindRestore, Handler: s.runRestore, Resumable: true, OnFail: s.restoreFailed,
		FailMessage: "Snapshot restore failed."})
	s.jobs.Register(job.Kind{Name: kindUpload, Handler: s.runUpload, Resumable: true, OnFail: s.uploadFailed,
		FailMessage: "Upload of the volume to an image failed."})
}

func (s *Service) runCreate(ctx context.Context, r *job.Run) error {
	var in createInput
	if err := r.Input(&in); err != nil {
		return err
	}
	v, err := getVolume(ctx, s.r, "", in.VolumeID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted meanwhile (an admin reset it first)
	}
	if err != nil {
		return err
	}
	size := v.Size * GiB
	switch in.Source.Kind {
	case "volume", "snapshot":
		if _, err := s.store.Copy(ctx, in.Source.Key, v.StoreKey, r.Progress); err != nil {
			return err
		}
		err = s.store.Resize(ctx, v.StoreKey, size)
	case "image":
		err = s.fillFromImage(ctx, r, v, in.Source)
	default:
		err = s.store.Create(ctx, v.StoreKey, size)
	}
	if err != nil {
		return err
	}
	return r.Finish(ctx, nil, func(tx *sql.Tx) error {
		err := setVolumeStatus(ctx, tx, v.ID, []string{StatusCreating}, StatusAvailable)
		if errors.Is(err, store.ErrConflict) {
			return nil // an admin reset the status meanwhile: leave it
		}
		return err
	})
}

// fillFromImage writes the image's bytes as raw into the volume: the
// disk-image engine inspects the image first (refusing unsafe ones) and
// converts any format it reads.
func (s *Service) fillFromImage(ctx context.Context, r *job.Run, v *Volume, src createSource) error {
	rd, err := s.blobs.Open(ctx, src.ImageBlob)
	if err != nil {
		return fault.Invalidf("Image %s could not be read.", src.ImageID).WithCause(err)
	}
	defer rd.Close()
	format := src.ImageFormat
	switch format {
	case "ami", "ari", "aki":
		format = "raw"
	}
	size := v.Size * GiB
	return s.store.Fill(ctx, v.StoreKey, size, func(ctx context.Context, f *os.File) error {
		res, err := convert.Convert(ctx, convert.Source{ReaderAt: rd, Size: rd.Size()}, f,
			convert.Options{SrcFormat: format, DstFormat: "raw", Progress: r.Progress, Sync: true})
		if err != nil {
			var de *diskimage.Error
			if errors.As(err, &de) && de.Kind != diskimage.KindIO {
				return fault.Invalidf("Image %s is unacceptable: %s", src.ImageID, de.Error()).WithCause(err)
			}
			return err
		}
		if res.VirtualSize > size {
			return fault.Invalidf("Image %s is unacceptable: Image virtual size is %dGB and doesn't fit in a volume of size %dGB.",
				src.ImageID, (res.VirtualSize+GiB-1)/GiB, v.Size)
		}
		return nil
	})
}

func (s *Service) createFailed(ctx context.Context, tx *sql.Tx, j *job.Job) error {
	err := setVolumeStatus(ctx, tx, j.ResourceID, []string{StatusCreating}, StatusError)
	if errors.Is(err, store.ErrConflict) {
		return nil
	}
	return err
}

// throttled returns a progress function that also records a snapshot's
// progress on its row, at most once a second.
func (s *Service) snapshotProgress(r *job.Run, id string) func(done, total int64) {
	var mu sync.Mutex
	var last time.Time
	return func(done, total int64) {
		r.Progress(done, total)
		mu.Lock()
		defer mu.Unlock()
		if time.Since(last) < time.Second || total <= 0 {
			return
		}
		last = time.Now()
		pct := int(done * 100 / total)
		s.db.Tx(context.Background(), func(tx *sql.Tx) error { return setSnapshotProgress(context.Background(), tx, id, min(pct, 99)) })
	}
}

func (s *Service) runSnapshot(ctx context.Context, r *job.Run) error {
	var in snapshotInput
	if err := r.Input(&in); err != nil {
		return err
	}
	if _, err := s.store.Copy(ctx, in.VolumeKey, snapshotKey(in.SnapshotID), s.snapshotProgress(r, in.SnapshotID)); err != nil {
		return err
	}
	return r.Finish(ctx, nil, func(tx *sql.Tx) error {
		if err := setSnapshotProgress(ctx, tx, in.SnapshotID, 100); err != nil {
			return err
		}
		err := setSnapshotStatus(ctx, tx, in.SnapshotID, []string{SnapCreating}, SnapAvailable)
		if errors.Is(err, store.ErrConflict) {
			return nil
		}
		return err
	})
}

func (s *Service) snapshotFailed(ctx context.Context, tx *sql.Tx, j *job.Job) error {
	err := setSnapshotStatus(ctx, tx, j.ResourceID, []string{SnapCreating}, SnapError)
	if errors.Is(err, store.ErrConflict) {
		return nil
	}
	return err
}

func (s *Service) runRestore(ctx context.Context, r *job.Run) error {
	var in restoreInput
	if err := r.Input(&in); err != nil {
		return err
	}
	if _, err := s.store.Copy(ctx, in.SnapshotKey, in.VolumeKey, r.Progress); err != nil {
		return err
	}
	if err := s.store.Resize(ctx, in.VolumeKey, in.Size*GiB); err != nil {
		return err
	}
	return r.Finish(ctx, nil, func(tx *sql.Tx) error {
		if err := setSnapshotStatus(ctx, tx, in.SnapshotID, []string{SnapRestoring}, SnapAvailable); err != nil && !errors.Is(err, store.ErrConflict) {
			return err
		}
		err := setVolumeStatus(ctx, tx, in.VolumeID, []string{StatusReverting}, StatusAvailable)
		if errors.Is(err, store.ErrConflict) {
			return nil
		}
		return err
	})
}

func (s *Service) restoreFailed(ctx context.Context, tx *sql.Tx, j *job.Job) error {
	var in restoreInput
	if err := j.DecodeInput(&in); err != nil {
		return err
	}
	if err := setSnapshotStatus(ctx, tx, in.SnapshotID, []string{SnapRestoring}, SnapAvailable); err != nil && !errors.Is(err, store.ErrConflict) {
		return err
	}
	err := setVolumeStatus(ctx, tx, in.VolumeID, []string{StatusReverting}, StatusError)
	if errors.Is(err, store.ErrConflict) {
		return nil
	}
	return err
}

// submitTx runs fn, which submits a job, in a transaction, and wakes the
// job engine once it has committed: the engine's own wake-up at Submit
// comes before the commit, when the queue does not show the job yet, and
// the job would wait for the engine's next poll (a second).
func (s *Service) submitTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	err := s.db.Tx(ctx, fn)
	if err == nil {
		s.jobs.Kick()
	}
	return err
}
