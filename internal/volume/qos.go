package volume

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// QoSSpec is Cinder's QoS specification: a named set of key/values for a
// consumer (front-end: the hypervisor, back-end: the volume driver, or
// both), associated with volume types. stratus keeps and shows them; it
// does not throttle I/O by them.
type QoSSpec struct {
	ID        string
	Name      string
	Consumer  string
	Specs     map[string]string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// QoSAssociation is a volume type a QoS spec is associated with.
type QoSAssociation struct {
	TypeID, TypeName string
}

// qosConsumers are Cinder's CONTROL_LOCATION, back-end the default.
var qosConsumers = []string{"front-end", "back-end", "both"}

func qosNotFound(id string) error { return fault.NotFoundf("No such QoS spec %s.", id) }

const qosCols = "id, name, consumer, specs, created_at, updated_at"

func scanQoS(sc scanner) (*QoSSpec, error) {
	var q QoSSpec
	var specs string
	var created, updated int64
	if err := sc.Scan(&q.ID, &q.Name, &q.Consumer, &specs, &created, &updated); err != nil {
		return nil, err
	}
	q.Specs = decodeMap(specs)
	q.CreatedAt, q.UpdatedAt = store.Time(created), store.Time(updated)
	return &q, nil
}

func getQoS(ctx context.Context, q store.Querier, id string) (*QoSSpec, error) {
	spec, err := scanQoS(q.QueryRowContext(ctx, "SELECT "+qosCols+" FROM volume_qos_specs WHERE id = $1", id))
	if errors.Is(store.Map(err), store.ErrNotFound) {
		return nil, qosNotFound(id)
	}
	return spec, err
}

func saveQoS(ctx context.Context, tx *sql.Tx, q *QoSSpec, insert bool) error {
	if insert {
		_, err := tx.ExecContext(ctx, "INSERT INTO volume_qos_specs ("+qosCols+") VALUES ($1,$2,$3,$4,$5,$6)",
			q.ID, q.Name, q.Consumer, encodeMap(q.Specs), q.CreatedAt.UnixMicro(), q.UpdatedAt.UnixMicro())
		return store.Map(err)
	}
	_, err := tx.ExecContext(ctx, "UPDATE volume_qos_specs SET consumer = $2, specs = $3, updated_at = $4 WHERE id = $1",
		q.ID, q.Consumer, encodeMap(q.Specs), q.UpdatedAt.UnixMicro())
	return err
}

func qosAssociations(ctx context.Context, q store.Querier, id string) ([]QoSAssociation, error) {
	rows, err := q.QueryContext(ctx, `SELECT t.id, t.name FROM volume_qos_associations a JOIN volume_types t ON t.id = a.type_id
		WHERE a.qos_id = $1 ORDER BY t.name, t.id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []QoSAssociation
	for rows.Next() {
		var a QoSAssociation
		if err := rows.Scan(&a.TypeID, &a.TypeName); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func checkConsumer(c string) error {
	if !slices.Contains(qosConsumers, c) {
		return fault.Invalidf("Invalid QoS specs: Valid consumer of QoS specs are: ['front-end', 'back-end', 'both']")
	}
	return nil
}

// CreateQoS creates a QoS spec named name (admin); specs may carry
// "consumer" (back-end when absent) besides the spec keys.
func (s *Service) CreateQoS(ctx context.Context, p *policy.Principal, name string, specs map[string]string) (*QoSSpec, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 255 {
		return nil, fault.Invalidf("Please specify a name for QoS specs.")
	}
	now := time.Now().UTC()
	q := &QoSSpec{ID: newID(), Name: name, Consumer: "back-end", Specs: map[string]string{}, CreatedAt: now, UpdatedAt: now}
	for k, v := range specs {
		if k == "consumer" {
			if err := checkConsumer(v); err != nil {
				return nil, err
			}
			q.Consumer = v
			continue
		}
		q.Specs[k] = v
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error { return saveQoS(ctx, tx, q, true) })
	if errors.Is(err, store.ErrConflict) {
		return nil, fault.Conflictf("QoS Specs %s already exists.", name)
	}
	return q, err
}

// QoSSpecs lists every QoS spec (admin).
func (s *Service) QoSSpecs(ctx context.Context, p *policy.Principal) ([]*QoSSpec, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT "+qosCols+" FROM volume_qos_specs ORDER BY created_at, id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*QoSSpec
	for rows.Next() {
		q, err := scanQoS(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, rows.Err()
}

// QoS returns one QoS spec (admin).
func (s *Service) QoS(ctx context.Context, p *policy.Principal, id string) (*QoSSpec, error) {
	return getQoS(ctx, s.r, id)
}

// SetQoSKeys adds or replaces keys of a QoS spec; "consumer" changes its
// consumer (admin).
func (s *Service) SetQoSKeys(ctx context.Context, p *policy.Principal, id string, specs map[string]string) (*QoSSpec, error) {
	if c, ok := specs["consumer"]; ok {
		if err := checkConsumer(c); err != nil {
			return nil, err
		}
	}
	var q *QoSSpec
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if q, err = getQoS(ctx, tx, id); err != nil {
			return err
		}
		for k, v := range specs {
			if k == "consumer" {
				q.Consumer = v
			} else {
				q.Specs[k] = v
			}
		}
		q.UpdatedAt = time.Now().UTC()
		return saveQoS(ctx, tx, q, false)
	})
	return q, err
}

// UnsetQoSKeys deletes keys of a QoS spec; an absent key is 400 (admin).
func (s *Service) UnsetQoSKeys(ctx context.Context, p *policy.Principal, id string, keys []string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		q, err := getQoS(ctx, tx, id)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if _, ok := q.Specs[k]; !ok {
				return fault.Invalidf("QoS spec %s has no spec with key %s.", id, k)
			}
			delete(q.Specs, k)
		}
		q.UpdatedAt = time.Now().UTC()
		return saveQoS(ctx, tx, q, false)
	})
}

// DeleteQoS deletes a QoS spec; one still associated with types needs
// force, which drops the associations (admin).
func (s *Service) DeleteQoS(ctx context.Context, p *policy.Principal, id string, force bool) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := getQoS(ctx, tx, id); err != nil {
			return err
		}
		as, err := qosAssociations(ctx, tx, id)
		if err != nil {
			return err
		}
		if len(as) > 0 && !force {
			return fault.Invalidf("Qos specs still in use.")
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM volume_qos_associations WHERE qos_id = $1", id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM volume_qos_specs WHERE id = $1", id)
		return err
	})
}

// QoSAssociations lists the types a QoS spec is associated with (admin).
func (s *Service) QoSAssociations(ctx context.Context, p *policy.Principal, id string) ([]QoSAssociation, error) {
	if _, err := getQoS(ctx, s.r, id); err != nil {
		return nil, err
	}
	return qosAssociations(ctx, s.r, id)
}

// AssociateQoS associates a QoS spec with a volume type; a type has at most
// one (admin).
func (s *Service) AssociateQoS(ctx context.Context, p *policy.Principal, id, typeID string) error {
	if typeID == "" {
		return fault.Invalidf("Volume Type id must not be None.")
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := getQoS(ctx, tx, id); err != nil {
			return err
		}
		t, err := getType(ctx, tx, typeID)
		if errors.Is(err, store.ErrNotFound) {
			return typeNotFound(typeID)
		}
		if err != nil {
			return err
		}
		switch t.QoSSpecsID {
		case id:
			return nil
		case "":
			_, err = tx.ExecContext(ctx, "INSERT INTO volume_qos_associations (type_id, qos_id) VALUES ($1, $2)", typeID, id)
			return err
		}
		return fault.Invalidf("Invalid volume type: Type %s is already associated with another qos specs: %s", typeID, t.QoSSpecsID)
	})
}

// DisassociateQoS removes a QoS spec's association with a type (admin).
func (s *Service) DisassociateQoS(ctx context.Context, p *policy.Principal, id, typeID string) error {
	if typeID == "" {
		return fault.Invalidf("Volume Type id must not be None.")
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := getQoS(ctx, tx, id); err != nil {
			return err
		}
		if _, err := getType(ctx, tx, typeID); errors.Is(err, store.ErrNotFound) {
			return typeNotFound(typeID)
		} else if err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "DELETE FROM volume_qos_associations WHERE qos_id = $1 AND type_id = $2", id, typeID)
		return err
	})
}

// DisassociateAllQoS removes every association of a QoS spec (admin).
func (s *Service) DisassociateAllQoS(ctx context.Context, p *policy.Principal, id string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := getQoS(ctx, tx, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "DELETE FROM volume_qos_associations WHERE qos_id = $1", id)
		return err
	})
}
