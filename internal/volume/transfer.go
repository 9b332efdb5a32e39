package volume

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/http"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Transfer is an offer of a volume to another project (Cinder's
// os-volume-transfer): whoever presents the auth key takes the volume.
type Transfer struct {
	ID        string
	VolumeID  string
	ProjectID string
	Name      *string
	AuthKey   string // only when just created
	salt      string
	keyHash   string
	CreatedAt time.Time
}

func transferNotFound(id string) error { return fault.NotFoundf("Transfer %s could not be found.", id) }

func keyHash(salt, key string) string {
	h := sha256.Sum256([]byte(salt + key))
	return hex.EncodeToString(h[:])
}

const transferCols = "id, volume_id, project_id, name, salt, key_hash, created_at"

func scanTransfer(sc scanner) (*Transfer, error) {
	var t Transfer
	var name sql.NullString
	var created int64
	if err := sc.Scan(&t.ID, &t.VolumeID, &t.ProjectID, &name, &t.salt, &t.keyHash, &created); err != nil {
		return nil, err
	}
	t.Name, t.CreatedAt = strPtr(name), store.Time(created)
	return &t, nil
}

// getTransfer reads a transfer of project ("" for any).
func getTransfer(ctx context.Context, q store.Querier, project, id string) (*Transfer, error) {
	query, args := "SELECT "+transferCols+" FROM volume_transfers WHERE id = $1", []any{id}
	if project != "" {
		query, args = query+" AND project_id = $2", append(args, project)
	}
	t, err := scanTransfer(q.QueryRowContext(ctx, query, args...))
	return t, store.Map(err)
}

// CreateTransfer offers an available volume for transfer; the volume is
// awaiting-transfer until it is accepted or the transfer deleted.
func (s *Service) CreateTransfer(ctx context.Context, p *policy.Principal, volumeID string, name *string) (*Transfer, error) {
	var b [8]byte
	rand.Read(b[:])
	key := hex.EncodeToString(b[:])
	rand.Read(b[:])
	t := &Transfer{ID: newID(), VolumeID: volumeID, ProjectID: p.ProjectID, Name: name, AuthKey: key,
		salt: hex.EncodeToString(b[:]), CreatedAt: time.Now().UTC()}
	t.keyHash = keyHash(t.salt, key)
	_, err := s.change(ctx, p, volumeID, func(tx *sql.Tx, v *Volume) error {
		if v.Status != StatusAvailable {
			return invalidVolume("status must be available")
		}
		snaps, err := snapshotsOfVolume(ctx, tx, v.ID)
		if err != nil {
			return err
		}
		for _, sn := range snaps {
			if sn.Status != SnapAvailable {
				return fault.Invalidf("Invalid snapshot: snapshot: %s status must be available", sn.ID)
			}
		}
		t.ProjectID, v.Status = v.ProjectID, "awaiting-transfer"
		_, err = tx.ExecContext(ctx, "INSERT INTO volume_transfers ("+transferCols+") VALUES ($1,$2,$3,$4,$5,$6,$7)",
			t.ID, t.VolumeID, t.ProjectID, t.Name, t.salt, t.keyHash, t.CreatedAt.UnixMicro())
		return err
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// Transfers lists the transfers of p's project (every project's for an admin).
func (s *Service) Transfers(ctx context.Context, p *policy.Principal) ([]*Transfer, error) {
	query, args := "SELECT "+transferCols+" FROM volume_transfers", []any{}
	if sc := scope(p); sc != "" {
		query, args = query+" WHERE project_id = $1", append(args, sc)
	}
	rows, err := s.r.QueryContext(ctx, query+" ORDER BY created_at", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Transfer
	for rows.Next() {
		t, err := scanTransfer(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// GetTransfer returns a transfer of p's project.
func (s *Service) GetTransfer(ctx context.Context, p *policy.Principal, id string) (*Transfer, error) {
	t, err := getTransfer(ctx, s.r, scope(p), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, transferNotFound(id)
	}
	return t, err
}

// DeleteTransfer withdraws a transfer; the volume is available again.
func (s *Service) DeleteTransfer(ctx context.Context, p *policy.Principal, id string) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		t, err := getTransfer(ctx, tx, scope(p), id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM volume_transfers WHERE id = $1", id); err != nil {
			return err
		}
		err = setVolumeStatus(ctx, tx, t.VolumeID, []string{"awaiting-transfer"}, StatusAvailable)
		if errors.Is(err, store.ErrConflict) {
			return nil
		}
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return transferNotFound(id)
	}
	return err
}

// AcceptTransfer gives the volume (and its snapshots) to p's project when
// key is the transfer's auth key, within p's quotas.
func (s *Service) AcceptTransfer(ctx context.Context, p *policy.Principal, id, key string) (*Transfer, error) {
	var t *Transfer
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if t, err = getTransfer(ctx, tx, "", id); err != nil {
			return err
		}
		if subtle.ConstantTimeCompare([]byte(keyHash(t.salt, key)), []byte(t.keyHash)) != 1 {
			return fault.Invalidf("Invalid auth key: Attempt to transfer %s with invalid auth key.", id)
		}
		v, err := getVolume(ctx, tx, "", t.VolumeID)
		if err != nil {
			return err
		}
		snaps, err := snapshotsOfVolume(ctx, tx, v.ID)
		if err != nil {
			return err
		}
		typeName, err := typeNameOf(ctx, tx, v.TypeID)
		if err != nil {
			return err
		}
		gb := v.Size * int64(1+len(snaps))
		if err := checkQuota(ctx, tx, p.ProjectID, typeName, 1, int64(len(snaps)), gb, v.Size); err != nil {
			return err
		}
		now := store.Now()
		if _, err := tx.ExecContext(ctx, "UPDATE volumes SET project_id = $2, user_id = $3, status = $4, updated_at = $5 WHERE id = $1",
			v.ID, p.ProjectID, p.UserID, StatusAvailable, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE volume_snapshots SET project_id = $2, user_id = $3, updated_at = $4 WHERE volume_id = $1",
			v.ID, p.ProjectID, p.UserID, now); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM volume_transfers WHERE id = $1", id)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, transferNotFound(id)
	}
	return t, err
}

type transferWire struct {
	ID        string  `json:"id"`
	Name      *string `json:"name"`
	VolumeID  string  `json:"volume_id"`
	CreatedAt string  `json:"created_at,omitempty"`
	AuthKey   string  `json:"auth_key,omitempty"`
	Links     []link  `json:"links"`
}

func transferView(r *http.Request, t *Transfer, detail bool) transferWire {
	w := transferWire{ID: t.ID, Name: t.Name, VolumeID: t.VolumeID, AuthKey: t.AuthKey, Links: links(r, "os-volume-transfer", t.ID)}
	if detail {
		w.CreatedAt = stamp(t.CreatedAt)
	}
	return w
}

func (s *Service) createTransferHTTP(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeBody(r, "transfer")
	if err != nil {
		return err
	}
	vid, _, err := o.str("volume_id")
	if err != nil {
		return err
	}
	if vid == nil || !isUUID(*vid) {
		return validation("transfer", o.raw(), "'volume_id' is a required property")
	}
	name, err := o.text("name")
	if err != nil {
		return err
	}
	t, err := s.CreateTransfer(r.Context(), principal(r), *vid, name)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusAccepted, map[string]any{"transfer": transferView(r, t, true)})
}

func (s *Service) listTransfersHTTP(detail bool) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ts, err := s.Transfers(r.Context(), principal(r))
		if err != nil {
			return err
		}
		out := make([]transferWire, 0, len(ts))
		for _, t := range ts {
			out = append(out, transferView(r, t, detail))
		}
		return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"transfers": out})
	}
}

func (s *Service) showTransferHTTP(w http.ResponseWriter, r *http.Request) error {
	t, err := s.GetTransfer(r.Context(), principal(r), r.PathValue("transfer_id"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"transfer": transferView(r, t, true)})
}

func (s *Service) deleteTransferHTTP(w http.ResponseWriter, r *http.Request) error {
	if err := s.DeleteTransfer(r.Context(), principal(r), r.PathValue("transfer_id")); err != nil {
		return err
	}
	return accepted(w)
}

func (s *Service) acceptTransferHTTP(w http.ResponseWriter, r *http.Request) error {
	o, err := decodeBody(r, "accept")
	if err != nil {
		return err
	}
	key, _, err := o.str("auth_key")
	if err != nil {
		return err
	}
	if key == nil {
		return validation("accept", o.raw(), "'auth_key' is a required property")
	}
	t, err := s.AcceptTransfer(r.Context(), principal(r), r.PathValue("transfer_id"), *key)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusAccepted, map[string]any{"transfer": transferView(r, t, false)})
}
