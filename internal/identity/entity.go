package identity

import (
	"context"
	"database/sql"
	"errors"

	"github.com/stratus-iaas/stratus/internal/store"
)

// The reads and writes every entity kind shares (entity_http.go renders
// them).

// all lists the records f selects, each with the rest of its wire form
// (more).
func (e *entity[T]) all(ctx context.Context, q store.Querier, f filter) ([]*T, error) {
	vs, err := e.list(ctx, q, f)
	if err != nil {
		return nil, err
	}
	if e.more != nil {
		for _, v := range vs {
			if err := e.more(ctx, q, v); err != nil {
				return nil, err
			}
		}
	}
	return vs, nil
}

// modify reads the record id, lets change alter it and saves it, in one
// transaction; a duplicate name is the kind's conflict.
func (e *entity[T]) modify(ctx context.Context, s *Service, id string, change func(*T) error) (*T, error) {
	var v *T
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if v, err = e.load(ctx, tx, id); err != nil {
			return err
		}
		if err := change(v); err != nil {
			return err
		}
		return e.save(ctx, tx, v)
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, e.conflict(v)
	}
	if err != nil {
		return nil, err
	}
	s.invalidate()
	return v, nil
}

// delete removes the record id; before, when set, checks the record may go
// and removes what refers to it, in the same transaction.
func (e *entity[T]) delete(ctx context.Context, s *Service, id string, before func(ctx context.Context, tx *sql.Tx, id string) error) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if before != nil {
			if err := before(ctx, tx, id); err != nil {
				return err
			}
		}
		ok, err := deleteRow(ctx, tx, e.table, id)
		if err == nil && !ok {
			err = notFound(e.name, id)
		}
		return err
	})
	if err != nil {
		return err
	}
	s.invalidate()
	return nil
}

// execAll runs each statement with id as $1.
func execAll(ctx context.Context, tx *sql.Tx, id string, stmts ...string) error {
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return err
		}
	}
	return nil
}
