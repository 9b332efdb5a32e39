package compute

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
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

type actionRow struct {
	requestID, project, user, action string
	message                          *string
	start, updated                   int64
}

func actionView(r *http.Request, serverID string, a actionRow) map[string]any {
	v := map[string]any{"action": a.action, "instance_uuid": serverID, "request_id": a.requestID, "user_id": a.user,
		"project_id": a.project, "start_time": naiveTime(store.Time(a.start)), "message": a.message}
	if atLeast(r, 58) {
		v["updated_at"] = naiveTime(store.Time(a.updated))
	}
	return v
}

// actionServer is the server whose actions are read; from 2.21 deleted
// servers' actions are shown too.
func (s *Service) actionServer(r *http.Request) (*Server, error) {
	p, id := principal(r), r.PathValue("server_id")
	sv, err := getServerRow(r.Context(), s.r, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && ((sv.DeletedAt != 0 && !atLeast(r, 21)) || (sv.ProjectID != p.ProjectID && !p.IsAdmin()))) {
		return nil, serverNotFound(id)
	}
	return sv, err
}

func (s *Service) listInstanceActions(w http.ResponseWriter, r *http.Request) error {
	sv, err := s.actionServer(r)
	if err != nil {
		return err
	}
	rows, err := s.r.QueryContext(r.Context(), `SELECT request_id, project_id, user_id, action, message, start_time, updated_at
		FROM compute_instance_actions WHERE server_id = $1 ORDER BY start_time DESC, request_id DESC`, sv.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	out := []map[string]any{}
	for rows.Next() {
		var a actionRow
		if err := rows.Scan(&a.requestID, &a.project, &a.user, &a.action, &a.message, &a.start, &a.updated); err != nil {
			return err
		}
		out = append(out, actionView(r, sv.ID, a))
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"instanceActions": out})
}

func (s *Service) getInstanceAction(w http.ResponseWriter, r *http.Request) error {
	sv, err := s.actionServer(r)
	if err != nil {
		return err
	}
	reqID := r.PathValue("request_id")
	var a actionRow
	err = s.r.QueryRowContext(r.Context(), `SELECT request_id, project_id, user_id, action, message, start_time, updated_at
		FROM compute_instance_actions WHERE server_id = $1 AND request_id = $2`, sv.ID, reqID).
		Scan(&a.requestID, &a.project, &a.user, &a.action, &a.message, &a.start, &a.updated)
	if errors.Is(err, sql.ErrNoRows) {
		return fault.NotFoundf("Action %s not found", reqID)
	}
	if err != nil {
		return err
	}
	v := actionView(r, sv.ID, a)
	p := principal(r)
	if p.IsAdmin() || atLeast(r, 51) {
		rows, err := s.r.QueryContext(r.Context(), `SELECT event, host, result, traceback, start_time, finish_time
			FROM compute_instance_action_events WHERE server_id = $1 AND request_id = $2 ORDER BY start_time`, sv.ID, reqID)
		if err != nil {
			return err
		}
		defer rows.Close()
		events := []map[string]any{}
		for rows.Next() {
			var name string
			var host, result, tb *string
			var start int64
			var finish *int64
			if err := rows.Scan(&name, &host, &result, &tb, &start, &finish); err != nil {
				return err
			}
			e := map[string]any{"event": name, "start_time": naiveTime(store.Time(start)), "result": result, "finish_time": nil}
			if finish != nil {
				e["finish_time"] = naiveTime(store.Time(*finish))
			}
			if p.IsAdmin() {
				e["traceback"] = tb
			}
			if atLeast(r, 62) {
				hs := ""
				if host != nil {
					hs = *host
				}
				if p.IsAdmin() {
					e["host"] = hs
				}
				e["hostId"] = (&Server{ProjectID: sv.ProjectID, Host: host}).HostID()
			}
			events = append(events, e)
		}
		v["events"] = events
	}
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{"instanceAction": v})
}
