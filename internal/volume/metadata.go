package volume

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// MetadataOp is one change of a volume's or snapshot's metadata.
type MetadataOp struct {
	Op  string            // list, show, merge, replace, set, delete
	Set map[string]string // merge, replace, set
	Key string            // show, set, delete
}

func itemNotFound() error { return fault.NotFoundf("Metadata item was not found") }

// apply changes m as op says; it reports whether m changed.
func (op MetadataOp) apply(m map[string]string) (map[string]string, bool, error) {
	switch op.Op {
	case "merge", "set":
		for k, v := range op.Set {
			m[k] = v
		}
		return m, true, nil
	case "replace":
		return op.Set, true, nil
	case "delete":
		if _, ok := m[op.Key]; !ok {
			return nil, false, itemNotFound()
		}
		delete(m, op.Key)
		return m, true, nil
	case "show":
		if _, ok := m[op.Key]; !ok {
			return nil, false, itemNotFound()
		}
	}
	return m, false, nil
}

// Metadata reads or changes the metadata of a volume or snapshot (kind
// "volumes" or "snapshots") and returns it.
func (s *Service) Metadata(ctx context.Context, p *policy.Principal, kind, id string, op MetadataOp) (map[string]string, error) {
	if err := checkMetadata(op.Set); err != nil {
		return nil, err
	}
	var out map[string]string
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		now := time.Now().UTC()
		if kind == "snapshots" {
			sn, err := getSnapshot(ctx, tx, scope(p), id)
			if err != nil {
				return err
			}
			m, changed, err := op.apply(sn.Metadata)
			if err != nil || !changed {
				out = sn.Metadata
				return err
			}
			sn.Metadata, sn.UpdatedAt, out = m, now, m
			return updateSnapshot(ctx, tx, sn)
		}
		v, err := getVolume(ctx, tx, scope(p), id)
		if err != nil {
			return err
		}
		if op.Op != "list" && op.Op != "show" && v.Status == StatusMaintenance {
			return invalidVolume("Updating volume metadata is not allowed for volumes in maintenance status.")
		}
		m, changed, err := op.apply(v.Metadata)
		if err != nil || !changed {
			out = v.Metadata
			return err
		}
		v.Metadata, v.UpdatedAt, out = m, now, m
		return updateVolume(ctx, tx, v)
	})
	if errors.Is(err, store.ErrNotFound) {
		if kind == "snapshots" {
			return nil, snapshotNotFound(id)
		}
		return nil, volumeNotFound(id)
	}
	return out, err
}
