package compute

import (
	"context"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Usage of servers over time: os-simple-tenant-usage and
// os-instance_usage_audit_log. The wire shapes are in usage_http.go.

// UsageWindow is the time window of a usage query as the client wrote it
// (start and end, each now when empty).
type UsageWindow struct{ Start, End string }

func parseUsageTime(name, v string, def time.Time) (time.Time, error) {
	if v == "" {
		return def, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04:05.999999", "2006-01-02 15:04:05.999999", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	if t, ok := parseTime(v); ok {
		return t.UTC(), nil
	}
	return time.Time{}, fault.Invalidf("Invalid %s time. The time should be formatted as %%Y-%%m-%%dT%%H:%%M:%%S.%%f (%s)", name, v)
}

// Range reads start and end (now by default), refusing a start after the
// end.
func (w UsageWindow) Range() (time.Time, time.Time, error) {
	now := time.Now().UTC()
	start, err := parseUsageTime("start", w.Start, now)
	if err != nil {
		return start, start, err
	}
	end, err := parseUsageTime("end", w.End, now)
	if err != nil {
		return start, end, err
	}
	if start.After(end) {
		return start, end, fault.Invalidf("Invalid start time. The start time cannot occur after the end time.")
	}
	return start, end, nil
}

type serverUsage struct {
	sv           *Server
	start, end   time.Time
	ended        *time.Time
	hours        float64
	uptime       int64
	state, label string
}

// Usage is the servers that ran in a window, with the window.
type Usage struct {
	Start, End time.Time
	Servers    []serverUsage
}

// AllUsages is the usage of every project in w (an admin's view).
func (s *Service) AllUsages(ctx context.Context, w UsageWindow) (*Usage, error) {
	return s.usageIn(ctx, "", w)
}

// ProjectUsage is the usage of one project in w; a caller who is not an
// admin sees only its own project's.
func (s *Service) ProjectUsage(ctx context.Context, p *policy.Principal, project string, w UsageWindow) (*Usage, error) {
	if project != p.ProjectID && !p.IsAdmin() {
		return nil, fault.Forbiddenf("Policy doesn't allow os_compute_api:os-simple-tenant-usage:show to be performed.")
	}
	return s.usageIn(ctx, project, w)
}

func (s *Service) usageIn(ctx context.Context, project string, w UsageWindow) (*Usage, error) {
	start, end, err := w.Range()
	if err != nil {
		return nil, err
	}
	list, err := s.usages(ctx, project, start, end)
	if err != nil {
		return nil, err
	}
	return &Usage{Start: start, End: end, Servers: list}, nil
}

// usages are the servers (deleted ones included) that ran in [start, end],
// of one project or all, with their hours in the window.
func (s *Service) usages(ctx context.Context, project string, start, end time.Time) ([]serverUsage, error) {
	cond, args := ` WHERE created_at < $1`, []any{end.UnixMicro()}
	if project != "" {
		cond += ` AND project_id = $2`
		args = append(args, project)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+serverCols+` FROM compute_servers`+cond+` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	now := time.Now().UTC()
	var out []serverUsage
	for rows.Next() {
		sv, err := scanServer(rows)
		if err != nil {
			return nil, err
		}
		began := sv.CreatedAt
		if sv.LaunchedAt != nil {
			began = *sv.LaunchedAt
		}
		var ended *time.Time
		if sv.TerminatedAt != nil {
			ended = sv.TerminatedAt
		} else if sv.DeletedAt != 0 {
			t := store.Time(sv.DeletedAt)
			ended = &t
		}
		if ended != nil && ended.Before(start) {
			continue
		}
		a, b := began, now
		if ended != nil {
			b = *ended
		}
		if a.Before(start) {
			a = start
		}
		if b.After(end) {
			b = end
		}
		u := serverUsage{sv: sv, start: began, ended: ended, state: sv.VMState}
		if b.After(a) {
			u.hours = b.Sub(a).Hours()
		}
		if sv.DeletedAt != 0 {
			u.state = "terminated"
		}
		if ended == nil {
			u.uptime = int64(now.Sub(began).Seconds())
		} else {
			u.uptime = int64(ended.Sub(began).Seconds())
		}
		out = append(out, u)
	}
	return out, rows.Err()
}
