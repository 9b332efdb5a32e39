package job

import (
	"context"
	"database/sql"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/stratus-iaas/stratus/internal/store"
)

const jobCols = `id, kind, project_id, user_id, resource_type, resource_id, state, progress, bytes_done, bytes_total,
	message, error_code, input, result, checkpoint, attempt, node, lease_owner, lease_expires, created_at, updated_at, started_at, finished_at`

func scanJob(sc interface{ Scan(...any) error }) (*Job, error) {
	var j Job
	var in, res, cp string
	var lease, created, updated, started, finished int64
	err := sc.Scan(&j.ID, &j.Kind, &j.Project, &j.User, &j.ResourceType, &j.ResourceID, &j.State, &j.Progress,
		&j.BytesDone, &j.BytesTotal, &j.Message, &j.Code, &in, &res, &cp, &j.Attempt, &j.Node, &j.LeaseOwner, &lease,
		&created, &updated, &started, &finished)
	if err != nil {
		return nil, store.Map(err)
	}
	j.Input, j.Result, j.Checkpoint = raw(in), raw(res), raw(cp)
	j.leaseUS = lease
	j.LeaseExpires, j.CreatedAt, j.UpdatedAt = opt(lease), store.Time(created), store.Time(updated)
	j.StartedAt, j.FinishedAt = opt(started), opt(finished)
	return &j, nil
}

func raw(s string) []byte {
	if s == "" {
		return nil
	}
	return []byte(s)
}

func insertJob(ctx context.Context, q store.Querier, j *Job) error {
	_, err := q.ExecContext(ctx, `INSERT INTO jobs (id, kind, project_id, user_id, resource_type, resource_id, state,
		input, node, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)`,
		j.ID, j.Kind, j.Project, j.User, j.ResourceType, j.ResourceID, j.State, string(j.Input), j.Node, store.Now())
	return store.Map(err)
}

func getJob(ctx context.Context, q store.Querier, id string) (*Job, error) {
	return scanJob(q.QueryRowContext(ctx, "SELECT "+jobCols+" FROM jobs WHERE id = $1", id))
}

// Filter selects jobs for List. Empty fields match everything.
type Filter struct {
	Project      string
	Kinds        []string
	ResourceType string
	ResourceID   string
	States       []State
	Offset       int
	Limit        int // 0: no limit
}

func (f Filter) where() (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, strings.ReplaceAll(cond, "?", "$"+itoa(len(args))))
	}
	if f.Project != "" {
		add("project_id = ?", f.Project)
	}
	if f.ResourceType != "" {
		add("resource_type = ?", f.ResourceType)
	}
	if f.ResourceID != "" {
		add("resource_id = ?", f.ResourceID)
	}
	if len(f.Kinds) > 0 {
		var ors []string
		for _, k := range f.Kinds {
			args = append(args, k)
			ors = append(ors, "$"+itoa(len(args)))
		}
		conds = append(conds, "kind IN ("+strings.Join(ors, ", ")+")")
	}
	if len(f.States) > 0 {
		var ors []string
		for _, s := range f.States {
			args = append(args, string(s))
			ors = append(ors, "$"+itoa(len(args)))
		}
		conds = append(conds, "state IN ("+strings.Join(ors, ", ")+")")
	}
	if len(conds) == 0 {
		return "", args
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// listJobs returns the jobs f selects, newest first.
func listJobs(ctx context.Context, q store.Querier, f Filter) ([]*Job, error) {
	where, args := f.where()
	query := "SELECT " + jobCols + " FROM jobs" + where + " ORDER BY created_at DESC, id DESC"
	limit := f.Limit
	if limit <= 0 && f.Offset > 0 {
		limit = math.MaxInt32 // SQLite takes OFFSET only after a LIMIT
	}
	if limit > 0 {
		args = append(args, limit)
		query += " LIMIT $" + itoa(len(args))
	}
	if f.Offset > 0 {
		args = append(args, f.Offset)
		query += " OFFSET $" + itoa(len(args))
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

func countJobs(ctx context.Context, q store.Querier, f Filter) (int, error) {
	where, args := f.where()
	var n int
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM jobs"+where, args...).Scan(&n)
	return n, err
}

// candidate is a queued job a node may claim.
type candidate struct {
	id, kind, project, node string
}

func queuedJobs(ctx context.Context, q store.Querier, node string, limit int) ([]candidate, error) {
	rows, err := q.QueryContext(ctx, "SELECT id, kind, project_id, node FROM jobs WHERE state = $1 AND node IN ('', $3) ORDER BY created_at, id LIMIT $2", Queued, limit, node)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []candidate
	for rows.Next() {
		var c candidate
		if err := rows.Scan(&c.id, &c.kind, &c.project, &c.node); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// runningPerProject counts the running and cancelling jobs of every
// project, over all nodes.
func runningPerProject(ctx context.Context, q store.Querier) (map[string]int, error) {
	rows, err := q.QueryContext(ctx, "SELECT project_id, COUNT(*) FROM jobs WHERE state IN ($1, $2) GROUP BY project_id", Running, Cancelling)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var p string
		var n int
		if err := rows.Scan(&p, &n); err != nil {
			return nil, err
		}
		out[p] = n
	}
	return out, rows.Err()
}

// claimJob takes a queued job for owner: a compare-and-set on the state,
// so that of several nodes trying, one wins.
func claimJob(ctx context.Context, q store.Querier, id, owner string, now, expires int64) (*Job, error) {
	j, err := scanJob(q.QueryRowContext(ctx, `UPDATE jobs SET state = $1, lease_owner = $2, lease_expires = $3,
		attempt = attempt + 1, started_at = CASE WHEN started_at = 0 THEN $4 ELSE started_at END, updated_at = $4
		WHERE id = $5 AND state = $6 RETURNING `+jobCols, Running, owner, expires, now, id, Queued))
	return j, err
}

// renewLease extends owner's lease on a running job and returns the job's
// state; ErrNotFound when owner no longer holds it.
func renewLease(ctx context.Context, q store.Querier, id, owner string, expires int64, p progress) (State, error) {
	var st State
	err := q.QueryRowContext(ctx, `UPDATE jobs SET lease_expires = $1, progress = $2, bytes_done = $3, bytes_total = $4
		WHERE id = $5 AND lease_owner = $6 AND state IN ($7, $8) RETURNING state`,
		expires, p.pct, p.done, p.total, id, owner, Running, Cancelling).Scan(&st)
	return st, store.Map(err)
}

// saveCheckpoint records a checkpoint of a job owner holds; a cancelling
// job is still held (its handler may checkpoint what its cleanup needs).
func saveCheckpoint(ctx context.Context, q store.Querier, id, owner, cp string) error {
	res, err := q.ExecContext(ctx, "UPDATE jobs SET checkpoint = $1, updated_at = $2 WHERE id = $3 AND lease_owner = $4 AND state IN ($5, $6)",
		cp, store.Now(), id, owner, Running, Cancelling)
	return affected(res, err)
}

// finishJob moves a job this owner holds from one of from (one or two
// states) to a final state.
func finishJob(ctx context.Context, q store.Querier, id, owner string, to State, pct int, msg, code, result string, from ...State) error {
	now := store.Now()
	res, err := q.ExecContext(ctx, `UPDATE jobs SET state = $1, progress = $2, message = $3, error_code = $4, result = $5,
		lease_owner = '', lease_expires = 0, updated_at = $6, finished_at = $6
		WHERE id = $7 AND lease_owner = $8 AND state IN ($9, $10)`,
		to, pct, msg, code, result, now, id, owner, from[0], from[len(from)-1])
	return affected(res, err)
}

// requeueJob puts a job back in the queue, keeping its checkpoint.
// expected guards against racing another recoverer (compare-and-set on
// the owner and lease seen).
func requeueJob(ctx context.Context, q store.Querier, id, owner string, lease int64) error {
	res, err := q.ExecContext(ctx, `UPDATE jobs SET state = $1, lease_owner = '', lease_expires = 0, updated_at = $2
		WHERE id = $3 AND lease_owner = $4 AND lease_expires = $5 AND state = $6`,
		Queued, store.Now(), id, owner, lease, Running)
	return affected(res, err)
}

// interruptedJobs are running or cancelling jobs whose lease has expired,
// or that owner held (owner restarted).
func interruptedJobs(ctx context.Context, q store.Querier, owner string, now int64) ([]*Job, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+jobCols+" FROM jobs WHERE state IN ($1, $2) AND (lease_expires < $3 OR lease_owner = $4)",
		Running, Cancelling, now, owner)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

func deleteFinished(ctx context.Context, q store.Querier, before int64) (int64, error) {
	res, err := q.ExecContext(ctx, "DELETE FROM jobs WHERE finished_at > 0 AND finished_at < $1", before)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func affected(res sql.Result, err error) error {
	if err != nil {
		return store.Map(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

func itoa(n int) string { return strconv.Itoa(n) }

// opt is a stored timestamp, zero when unset.
func opt(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return store.Time(us)
}
