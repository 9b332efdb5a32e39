package compute

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Instance actions record what was asked of a server (Nova's
// os-instance-actions): one per request, with the events of the work.

// recordAction starts an instance action in tx (its own transaction when
// tx is nil).
func (s *Service) recordAction(ctx context.Context, tx *sql.Tx, p *policy.Principal, serverID, requestID, action string) {
	if requestID == "" {
		requestID = httpapi.NewRequestID()
	}
	now := store.Now()
	ins := func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO compute_instance_actions (server_id, request_id, project_id, user_id, action, start_time, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`, serverID, requestID, p.ProjectID, p.UserID, action, now, now)
		return err
	}
	var err error
	if tx != nil {
		err = ins(tx)
	} else {
		err = s.db.Tx(ctx, ins)
	}
	if err != nil {
		s.log.Warn("instance action not recorded", "server", serverID, "err", err)
	}
}

// event records one finished event of an action (result Success or
// Error), and closes the action with its message on failure.
func (s *Service) event(ctx context.Context, serverID, requestID, name string, start time.Time, opErr error) {
	if requestID == "" {
		return
	}
	ctx = context.WithoutCancel(ctx)
	result, tb := "Success", ""
	if opErr != nil {
		result, tb = "Error", faultMessage(opErr)
	}
	now := store.Now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var host *string
		tx.QueryRowContext(ctx, `SELECT host FROM compute_servers WHERE id = $1`, serverID).Scan(&host)
		if _, err := tx.ExecContext(ctx, `INSERT INTO compute_instance_action_events (server_id, request_id, event, host, result, traceback, details, start_time, finish_time)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
			serverID, requestID, name, host, result, nilIfEmpty(tb), nilIfEmpty(tb), start.UnixMicro(), now); err != nil {
			return err
		}
		msg := any(nil)
		if opErr != nil {
			msg = "Error"
		}
		_, err := tx.ExecContext(ctx, `UPDATE compute_instance_actions SET finish_time = $1, updated_at = $1, message = COALESCE($2, message)
			WHERE server_id = $3 AND request_id = $4`, now, msg, serverID, requestID)
		return err
	})
	if err != nil {
		s.log.Warn("instance action event not recorded", "server", serverID, "err", err)
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// InstanceAction is one recorded request on a server.
type InstanceAction struct {
	RequestID, ProjectID, UserID, Action string
	Message                              *string
	Start, Updated                       int64 // unix microseconds
}

// ActionEvent is one step of the work of an instance action.
type ActionEvent struct {
	Name                    string
	Host, Result, Traceback *string
	Start                   int64  // unix microseconds
	Finish                  *int64 // nil while running
}

// actionServer is the server of p's project (any for admin) whose
// actions are read; deleted servers' only when withDeleted (2.21).
func (s *Service) actionServer(ctx context.Context, p *policy.Principal, id string, withDeleted bool) (*Server, error) {
	sv, err := getServerRow(ctx, s.r, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && ((sv.DeletedAt != 0 && !withDeleted) || (sv.ProjectID != p.ProjectID && !p.IsAdmin()))) {
		return nil, serverNotFound(id)
	}
	return sv, err
}

// InstanceActions are a server's actions, newest first.
func (s *Service) InstanceActions(ctx context.Context, p *policy.Principal, serverID string, withDeleted bool) (*Server, []InstanceAction, error) {
	sv, err := s.actionServer(ctx, p, serverID, withDeleted)
	if err != nil {
		return nil, nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT request_id, project_id, user_id, action, message, start_time, updated_at
		FROM compute_instance_actions WHERE server_id = $1 ORDER BY start_time DESC, request_id DESC`, sv.ID)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out []InstanceAction
	for rows.Next() {
		var a InstanceAction
		if err := rows.Scan(&a.RequestID, &a.ProjectID, &a.UserID, &a.Action, &a.Message, &a.Start, &a.Updated); err != nil {
			return nil, nil, err
		}
		out = append(out, a)
	}
	return sv, out, rows.Err()
}

// InstanceAction is one action of a server, with its events when p is an
// admin or withEvents (2.51); events is nil when they are not shown.
func (s *Service) InstanceAction(ctx context.Context, p *policy.Principal, serverID, requestID string, withDeleted, withEvents bool) (*Server, *InstanceAction, []ActionEvent, error) {
	sv, err := s.actionServer(ctx, p, serverID, withDeleted)
	if err != nil {
		return nil, nil, nil, err
	}
	var a InstanceAction
	err = s.r.QueryRowContext(ctx, `SELECT request_id, project_id, user_id, action, message, start_time, updated_at
		FROM compute_instance_actions WHERE server_id = $1 AND request_id = $2`, sv.ID, requestID).
		Scan(&a.RequestID, &a.ProjectID, &a.UserID, &a.Action, &a.Message, &a.Start, &a.Updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, nil, fault.NotFoundf("Action %s not found", requestID)
	}
	if err != nil {
		return nil, nil, nil, err
	}
	if !p.IsAdmin() && !withEvents {
		return sv, &a, nil, nil
	}
	rows, err := s.r.QueryContext(ctx, `SELECT event, host, result, traceback, start_time, finish_time
		FROM compute_instance_action_events WHERE server_id = $1 AND request_id = $2 ORDER BY start_time`, sv.ID, requestID)
	if err != nil {
		return nil, nil, nil, err
	}
	defer rows.Close()
	events := []ActionEvent{}
	for rows.Next() {
		var e ActionEvent
		if err := rows.Scan(&e.Name, &e.Host, &e.Result, &e.Traceback, &e.Start, &e.Finish); err != nil {
			return nil, nil, nil, err
		}
		events = append(events, e)
	}
	return sv, &a, events, rows.Err()
}
