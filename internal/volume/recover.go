package volume

import (
	"context"
	"database/sql"
)

// recover finishes what a crash interrupted on this node outside jobs:
// deletions (rows marked deleting: their bytes and rows go) and
// extensions (rows marked extending: the file is sized back to the row
// and the volume returns to its previous status; the client may extend
// again). Jobs recover through the job engine.
func (s *Service) recover(ctx context.Context) error {
	snaps, err := snapshotsByStatus(ctx, s.r, s.node, SnapDeleting)
	if err != nil {
		return err
	}
	for _, sn := range snaps {
		if err := s.finishSnapshotDelete(ctx, sn); err != nil {
			s.log.Warn("snapshot deletion not finished", "snapshot", sn.ID, "err", err)
		}
	}
	vols, err := volumesByStatus(ctx, s.r, s.node, StatusDeleting)
	if err != nil {
		return err
	}
	for _, v := range vols {
		if err := s.finishDelete(ctx, v, nil); err != nil {
			s.log.Warn("volume deletion not finished", "volume", v.ID, "err", err)
		}
	}
	vols, err = volumesByStatus(ctx, s.r, s.node, StatusExtending)
	if err != nil {
		return err
	}
	for _, v := range vols {
		if err := s.store.Resize(ctx, v.StoreKey, v.Size*GiB); err != nil {
			s.log.Warn("interrupted extension not undone", "volume", v.ID, "err", err)
			continue
		}
		prev := v.PreviousStatus
		if prev == "" {
			prev = StatusAvailable
		}
		err := s.db.Tx(ctx, func(tx *sql.Tx) error {
			return setVolumeStatus(ctx, tx, v.ID, []string{StatusExtending}, prev)
		})
		if err != nil {
			return err
		}
		s.log.Warn("interrupted volume extension undone", "volume", v.ID, "size_gb", v.Size)
	}
	return nil
}
