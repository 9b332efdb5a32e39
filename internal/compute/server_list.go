package compute

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// ServerFilter selects servers for a list (Nova's search options).
type ServerFilter struct {
	AllTenants    bool
	Project       string // with AllTenants, one project only
	User          string
	Deleted       *bool // nil: live ones, or live and deleted with ChangesSince
	ChangesSince  int64 // unix µs; 0 none
	ChangesBefore int64
	Image         string
	Flavor        string
	Host          string
	Reservation   string
	VMStates      []string
	TaskStates    []string // with VMStates: one of these or none (Nova's "default")
	AnyTask       bool
	Name          *regexp.Regexp
	IP            *regexp.Regexp
	Tags, TagsAny []string
	NotTags       []string
	NotTagsAny    []string
	Locked        *bool
	SortKey       string
	SortDesc      bool
	Limit         int
	Marker        string
}

// sortExprs are the sort keys Nova accepts that stratus orders by, as
// non-null SQL expressions.
var sortExprs = map[string]string{
	"created_at": "created_at", "updated_at": "updated_at", "display_name": "name", "uuid": "id",
	"launched_at": "COALESCE(launched_at, 0)", "terminated_at": "COALESCE(terminated_at, 0)",
	"vm_state": "vm_state", "task_state": "COALESCE(task_state, '')", "power_state": "power_state",
	"host": "COALESCE(host, '')", "node": "COALESCE(node, '')", "hostname": "hostname", "project_id": "project_id",
	"user_id": "user_id", "key_name": "COALESCE(key_name, '')", "availability_zone": "COALESCE(availability_zone, '')",
	"display_description": "COALESCE(description, '')", "image_ref": "image_id", "instance_type_id": "flavor_id",
	"locked": "COALESCE(locked_by, '')", "progress": "progress", "reservation_id": "reservation_id",
	"launch_index": "launch_index", "config_drive": "config_drive", "access_ip_v4": "access_ipv4", "access_ip_v6": "access_ipv6",
}

// ListServers returns a page of servers p may list.
func (s *Service) ListServers(ctx context.Context, p *policy.Principal, f ServerFilter) ([]*Server, error) {
	var out []*Server
	err := s.listRows(ctx, p, f, serverCols, func(sc interface{ Scan(...any) error }) (bool, error) {
		sv, err := scanServer(sc)
		if err != nil {
			return false, err
		}
		if f.match(ctx, s, sv) {
			out = append(out, sv)
			return true, nil
		}
		return false, nil
	})
	return out, err
}

// pageRow is what a list page needs to know of a server before its views
// come from the view cache.
type pageRow struct {
	ID, Name, VMState string
	Deleted, Updated  int64
}

// listPage is ListServers for filters SQL answers alone, reading only
// the columns that key the view cache.
func (s *Service) listPage(ctx context.Context, p *policy.Principal, f ServerFilter) ([]pageRow, error) {
	var out []pageRow
	err := s.listRows(ctx, p, f, "id, name, vm_state, deleted_at, updated_at", func(sc interface{ Scan(...any) error }) (bool, error) {
		var pr pageRow
		if err := sc.Scan(&pr.ID, &pr.Name, &pr.VMState, &pr.Deleted, &pr.Updated); err != nil {
			return false, err
		}
		out = append(out, pr)
		return true, nil
	})
	return out, err
}

// listRows runs a list's query selecting cols, calling take on each row
// (true when it joined the page) until the page is full.
func (s *Service) listRows(ctx context.Context, p *policy.Principal, f ServerFilter, cols string, take func(sc interface{ Scan(...any) error }) (bool, error)) error {
	where, args := []string{}, []any{}
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	if !f.AllTenants {
		where = append(where, "project_id = "+arg(p.ProjectID))
	} else if f.Project != "" {
		where = append(where, "project_id = "+arg(f.Project))
	}
	switch {
	case f.Deleted != nil && *f.Deleted:
		where = append(where, "deleted_at <> 0")
	case f.Deleted == nil && (f.ChangesSince != 0 || f.ChangesBefore != 0):
	default:
		where = append(where, "deleted_at = 0")
	}
	for col, v := range map[string]string{"user_id": f.User, "image_id": f.Image, "flavor_id": f.Flavor, "host": f.Host, "reservation_id": f.Reservation} {
		if v != "" {
			where = append(where, col+" = "+arg(v))
		}
	}
	if f.ChangesSince != 0 {
		where = append(where, "updated_at >= "+arg(f.ChangesSince))
	}
	if f.ChangesBefore != 0 {
		where = append(where, "updated_at <= "+arg(f.ChangesBefore))
	}
	if len(f.VMStates) > 0 {
		var ph []string
		for _, v := range f.VMStates {
			ph = append(ph, arg(v))
		}
		where = append(where, "vm_state IN ("+strings.Join(ph, ",")+")")
	}
	key := f.SortKey
	if key == "" {
		key = "created_at"
	}
	expr := sortExprs[key]
	dir, cmp := "ASC", ">"
	if f.SortDesc {
		dir, cmp = "DESC", "<"
	}
	if f.Marker != "" {
		var mv any
		err := s.r.QueryRowContext(ctx, `SELECT `+expr+` FROM compute_servers WHERE id = $1`, f.Marker).Scan(&mv)
		if err != nil {
			return fault.Invalidf("marker [%s] not found", f.Marker)
		}
		m, id := arg(mv), arg(f.Marker)
		where = append(where, fmt.Sprintf("(%s %s %s OR (%s = %s AND id %s %s))", expr, cmp, m, expr, m, cmp, id))
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = maxLimit
	}
	batch := limit
	if f.needsGo() {
		batch = max(limit*2, 200)
	}
	taken, offset := 0, 0
	for taken < limit {
		q := fmt.Sprintf(`SELECT %s FROM compute_servers%s ORDER BY %s %s, id %s LIMIT %d OFFSET %d`, cols, cond, expr, dir, dir, batch, offset)
		rows, err := s.r.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		n := 0
		for rows.Next() {
			n++
			if taken >= limit {
				continue
			}
			ok, err := take(rows)
			if err != nil {
				rows.Close()
				return err
			}
			if ok {
				taken++
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if n < batch {
			break
		}
		offset += batch
	}
	return nil
}

func (f ServerFilter) needsGo() bool {
	return f.Name != nil || f.IP != nil || len(f.TaskStates) > 0 || len(f.Tags)+len(f.TagsAny)+len(f.NotTags)+len(f.NotTagsAny) > 0 || f.Locked != nil
}

// match applies the filters SQL does not.
func (f ServerFilter) match(ctx context.Context, s *Service, sv *Server) bool {
	if f.Name != nil && !f.Name.MatchString(sv.Name) {
		return false
	}
	if len(f.TaskStates) > 0 && !(contains(f.TaskStates, sv.task()) || (f.AnyTask && sv.TaskState == nil)) {
		return false
	}
	if f.Locked != nil && (sv.LockedBy != nil) != *f.Locked {
		return false
	}
	has := func(t string) bool { return contains(sv.Tags, t) }
	for _, t := range f.Tags {
		if !has(t) {
			return false
		}
	}
	if len(f.TagsAny) > 0 {
		ok := false
		for _, t := range f.TagsAny {
			ok = ok || has(t)
		}
		if !ok {
			return false
		}
	}
	if len(f.NotTags) > 0 {
		all := true
		for _, t := range f.NotTags {
			all = all && has(t)
		}
		if all {
			return false
		}
	}
	for _, t := range f.NotTagsAny {
		if has(t) {
			return false
		}
	}
	if f.IP != nil {
		ports, err := s.net.ServerPorts(ctx, sv.ID)
		if err != nil {
			return false
		}
		ok := false
		for _, p := range ports {
			for _, ip := range p.FixedIPs {
				ok = ok || f.IP.MatchString(ip.IPAddress)
			}
		}
		return ok
	}
	return true
}

// nonAdminFilters are the search options Nova lets non-admins use; others
// are dropped silently (remove_invalid_options).
var nonAdminFilters = map[string]bool{"reservation_id": true, "name": true, "status": true, "image": true, "flavor": true,
	"ip": true, "changes-since": true, "changes-before": true, "all_tenants": true, "ip6": true, "tags": true, "tags-any": true,
	"not-tags": true, "not-tags-any": true, "locked": true, "limit": true, "marker": true, "sort_key": true, "sort_dir": true}

// parseServerFilter reads GET /servers query parameters as Nova does.
func parseServerFilter(r *http.Request) (ServerFilter, error) {
	p := principal(r)
	q := r.URL.Query()
	var f ServerFilter
	for k := range q {
		if !p.IsAdmin() && !nonAdminFilters[k] {
			q.Del(k)
		}
	}
	var err error
	if f.Limit, f.Marker, err = page(r); err != nil {
		return f, err
	}
	if v, ok := q["all_tenants"]; ok {
		on := true
		if v[0] != "" {
			b, valid := strictBool(v[0])
			if !valid {
				return f, fault.Invalidf("Invalid value '%s' for all_tenants. Value must be boolean.", v[0])
			}
			on = b
		}
		if on {
			if !p.IsAdmin() {
				return f, fault.Forbiddenf("Policy doesn't allow os_compute_api:servers:detail:get_all_tenants to be performed.")
			}
			f.AllTenants = true
			f.Project = q.Get("tenant_id")
			if f.Project == "" {
				f.Project = q.Get("project_id")
			}
		}
	}
	if v := q.Get("deleted"); v != "" {
		b, _ := strictBool(v)
		f.Deleted = &b
	}
	for _, t := range []struct {
		key string
		dst *int64
	}{{"changes-since", &f.ChangesSince}, {"changes-before", &f.ChangesBefore}} {
		if v := q.Get(t.key); v != "" {
			tm, ok := parseTime(v)
			if !ok {
				return f, fault.Invalidf("Invalid filter field: %s.", t.key)
			}
			*t.dst = tm.UnixMicro()
		}
	}
	if f.ChangesSince != 0 && f.ChangesBefore != 0 && f.ChangesBefore < f.ChangesSince {
		return f, fault.Invalidf("The value of changes-since must be less than or equal to changes-before.")
	}
	f.Image, f.Flavor = idFromHref(q.Get("image")), idFromHref(q.Get("flavor"))
	f.Host, f.Reservation, f.User = q.Get("host"), q.Get("reservation_id"), q.Get("user_id")
	if statuses := q["status"]; len(statuses) > 0 {
		vms, tasks, def := statesOf(statuses)
		if len(vms) == 0 {
			if atLeast(r, 38) {
				return f, fault.Invalidf("Invalid status value")
			}
			f.VMStates = []string{"-none-"}
		}
		f.VMStates = append(f.VMStates, vms...)
		if !def {
			f.TaskStates = tasks
		}
		if contains(statuses, "deleted") || contains(statuses, "DELETED") {
			if !p.IsAdmin() {
				return f, fault.Forbiddenf("Only administrators may list deleted instances")
			}
			t := true
			f.Deleted = &t
			f.VMStates = nil
		}
	}
	for key, dst := range map[string]**regexp.Regexp{"name": &f.Name, "ip": &f.IP, "ip6": &f.IP} {
		if v := q.Get(key); v != "" {
			re, err := regexp.Compile(v)
			if err != nil {
				re = regexp.MustCompile(regexp.QuoteMeta(v))
			}
			*dst = re
		}
	}
	if atLeast(r, 26) {
		for key, dst := range map[string]*[]string{"tags": &f.Tags, "tags-any": &f.TagsAny, "not-tags": &f.NotTags, "not-tags-any": &f.NotTagsAny} {
			if v := q.Get(key); v != "" {
				*dst = strings.Split(v, ",")
			}
		}
	}
	if v := q.Get("locked"); v != "" && atLeast(r, 73) {
		b, ok := strictBool(v)
		if !ok {
			return f, fault.Invalidf("Unrecognized value '%s', acceptable values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'", v)
		}
		f.Locked = &b
	}
	f.SortKey, f.SortDesc = "created_at", true
	if keys := q["sort_key"]; len(keys) > 0 {
		k := strings.TrimSpace(keys[0])
		if _, ok := sortExprs[k]; !ok || ((k == "host" || k == "node") && !p.IsAdmin()) {
			if !p.IsAdmin() && (k == "host" || k == "node") {
				k = "created_at"
			} else {
				return f, queryErr("sort_key", k, "'"+k+"' is not one of the valid sort keys")
			}
		}
		f.SortKey = k
		f.SortDesc = true
		if d := q["sort_dir"]; len(d) > 0 {
			switch strings.TrimSpace(d[0]) {
			case "asc":
				f.SortDesc = false
			case "desc":
			default:
				return f, queryErr("sort_dir", d[0], "'"+d[0]+"' is not one of ['asc', 'desc']")
			}
		}
	}
	return f, nil
}
