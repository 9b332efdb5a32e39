package image

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// SortKey is one sort column.
type SortKey struct {
	Key  string
	Desc bool
}

// TimeFilter compares created_at or updated_at ("gt", "gte", "lt", "lte", "eq", "neq").
type TimeFilter struct {
	Column string
	Op     string
	At     time.Time
}

// sql is the condition for tf. The column is compared as the API shows
// it, to the second: rows keep microseconds, but clients filter with the
// times they were shown (Glance's columns keep whole seconds), so an
// image's own created_at must match eq: and lte: and not gt:.
func (tf TimeFilter) sql(arg func(any) string) string {
	const second = int64(time.Second / time.Microsecond)
	at := tf.At.UnixMicro()
	floor := tf.At.Truncate(time.Second).UnixMicro()
	ceil := floor
	if at != floor {
		ceil += second
	}
	c := tf.Column
	switch tf.Op {
	case "gt":
		return c + " >= " + arg(floor+second)
	case "gte":
		return c + " >= " + arg(ceil)
	case "lt":
		return c + " < " + arg(ceil)
	case "lte":
		return c + " < " + arg(floor+second)
	case "eq", "neq":
		// No whole second equals a fractional time. (Take no argument
		// then: PostgreSQL refuses parameters a statement never uses.)
		in := "1 = 0"
		if at == floor {
			in = "(" + c + " >= " + arg(floor) + " AND " + c + " < " + arg(floor+second) + ")"
		}
		if tf.Op == "neq" {
			return "NOT " + in
		}
		return in
	}
	panic("image: unchecked time operator " + tf.Op)
}

// ListOptions are the filters of GET /v2/images.
type ListOptions struct {
	In            map[string][]string // column -> accepted values (name, status, disk_format, ... id)
	Equal         map[string]string   // equalColumns -> value (?size=1803)
	Properties    map[string]string   // extra property equality
	NotProperties map[string]string   // extra property absent or different
	Tags          []string            // all must be present
	Visibility    string              // "" (default set), public, community, shared, private, all
	MemberStatus  string              // accepted (default), pending, rejected, all
	Hidden        *bool               // os_hidden; default false
	Protected     *bool
	SizeMin       *int64
	SizeMax       *int64
	Times         []TimeFilter
	Sort          []SortKey // default created_at desc
	Limit         int
	Marker        string
}

// equalColumns are the other image columns Glance compares for equality
// when the query names them (its database layer matches any column of the
// images table, else a property); true marks the numeric ones.
var equalColumns = map[string]bool{"size": true, "virtual_size": true, "min_ram": true, "min_disk": true,
	"checksum": false, "os_hash_algo": false, "os_hash_value": false}

// sortable columns and the SQL expression each sorts by (NULLs folded so
// keyset comparisons work on both engines).
var sortable = map[string]string{
	"name": "COALESCE(name, '')", "status": "status", "container_format": "COALESCE(container_format, '')",
	"disk_format": "COALESCE(disk_format, '')", "size": "COALESCE(size, -1)", "id": "id",
	"created_at": "created_at", "updated_at": "updated_at", "visibility": "visibility", "owner": "owner",
	"min_ram": "min_ram", "min_disk": "min_disk", "virtual_size": "COALESCE(virtual_size, -1)",
	"protected": "protected", "os_hidden": "os_hidden",
}

// SortKeys lists the keys accepted by sort_key, in Glance's message order.
var SortKeys = []string{"name", "status", "container_format", "disk_format", "size", "id", "created_at",
	"updated_at", "visibility", "owner", "min_ram", "min_disk", "virtual_size", "protected", "os_hidden"}

func sortValue(key string, im *Image) any {
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	num := func(p *int64) int64 {
		if p == nil {
			return -1
		}
		return *p
	}
	switch key {
	case "name":
		return str(im.Name)
	case "status":
		return string(im.Status)
	case "container_format":
		return str(im.ContainerFormat)
	case "disk_format":
		return str(im.DiskFormat)
	case "size":
		return num(im.Size)
	case "created_at":
		return im.CreatedAt.UnixMicro()
	case "updated_at":
		return im.UpdatedAt.UnixMicro()
	case "visibility":
		return im.Visibility
	case "owner":
		return im.Owner
	case "min_ram":
		return im.MinRAM
	case "min_disk":
		return im.MinDisk
	case "virtual_size":
		return num(im.VirtualSize)
	case "protected":
		return im.Protected
	case "os_hidden":
		return im.Hidden
	}
	return im.ID
}

// ListImages returns one page of the images p may see, and whether more follow.
func (s *Service) ListImages(ctx context.Context, p *policy.Principal, o ListOptions) ([]*Image, bool, error) {
	q, order, err := s.buildList(ctx, p, o)
	if err != nil {
		return nil, false, err
	}
	imgs, err := queryImages(ctx, s.r, q.sql(imageCols, order, o.Limit+1), q.args)
	if err != nil {
		return nil, false, err
	}
	more := len(imgs) > o.Limit
	if more {
		imgs = imgs[:o.Limit]
	}
	return imgs, more, nil
}

// buildList turns o into a WHERE clause and an ORDER BY.
func (s *Service) buildList(ctx context.Context, p *policy.Principal, o ListOptions) (*listQuery, string, error) {
	q := &listQuery{}
	s.visibilityFilter(q, p, o)
	for col, vals := range o.In {
		if _, ok := sortable[col]; !ok {
			continue
		}
		ph := make([]string, len(vals))
		for i, v := range vals {
			ph[i] = q.arg(v)
		}
		q.add(col + " IN (" + strings.Join(ph, ",") + ")")
	}
	for col, v := range o.Equal {
		numeric, ok := equalColumns[col]
		switch {
		case !ok:
		case !numeric:
			q.add(col + " = " + q.arg(v))
		default:
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				q.add(col + " = " + q.arg(n))
			} else {
				q.add("1 = 0") // no image has a size of "abc"
			}
		}
	}
	for k, v := range o.Properties {
		q.add(s.propExpr(q, k) + " = " + q.arg(v))
	}
	for k, v := range o.NotProperties {
		q.add("COALESCE(" + s.propExpr(q, k) + ", '') <> " + q.arg(v))
	}
	for _, t := range o.Tags {
		q.add("EXISTS (SELECT 1 FROM image_tags t WHERE t.image_id = images.id AND t.tag = " + q.arg(t) + ")")
	}
	hidden := false
	if o.Hidden != nil {
		hidden = *o.Hidden
	}
	q.add("os_hidden = " + q.arg(hidden))
	if o.Protected != nil {
		q.add("protected = " + q.arg(*o.Protected))
	}
	if o.SizeMin != nil {
		q.add("size >= " + q.arg(*o.SizeMin))
	}
	if o.SizeMax != nil {
		q.add("size <= " + q.arg(*o.SizeMax))
	}
	for _, tf := range o.Times {
		q.add(tf.sql(q.arg))
	}
	sort := append([]SortKey{}, o.Sort...)
	if len(sort) == 0 {
		sort = []SortKey{{Key: "created_at", Desc: true}}
	}
	if sort[len(sort)-1].Key != "id" {
		sort = append(sort, SortKey{Key: "id", Desc: sort[len(sort)-1].Desc})
	}
	if o.Marker != "" {
		m, err := s.visible(ctx, s.r, p, o.Marker)
		if err != nil {
			if fault.KindOf(err) == fault.NotFound {
				return nil, "", fault.Invalidf("Invalid marker. Image %s could not be found.", o.Marker)
			}
			return nil, "", err
		}
		var or []string
		for i, sk := range sort {
			var and []string
			for _, prev := range sort[:i] {
				and = append(and, sortable[prev.Key]+" = "+q.arg(sortValue(prev.Key, m)))
			}
			op := ">"
			if sk.Desc {
				op = "<"
			}
			and = append(and, sortable[sk.Key]+" "+op+" "+q.arg(sortValue(sk.Key, m)))
			or = append(or, "("+strings.Join(and, " AND ")+")")
		}
		q.add("(" + strings.Join(or, " OR ") + ")")
	}
	var order []string
	for _, sk := range sort {
		dir := " ASC"
		if sk.Desc {
			dir = " DESC"
		}
		order = append(order, sortable[sk.Key]+dir)
	}
	return q, strings.Join(order, ", "), nil
}

// propExpr is the SQL expression of extra property k.
func (s *Service) propExpr(q *listQuery, k string) string {
	if s.db.Engine == store.Postgres {
		return "(properties::jsonb ->> " + q.arg(k) + ")"
	}
	return "json_extract(properties, " + q.arg(`$."`+strings.ReplaceAll(k, `"`, `\"`)+`"`) + ")"
}

// visibilityFilter restricts q to what p may list, following Glance.
func (s *Service) visibilityFilter(q *listQuery, p *policy.Principal, o ListOptions) {
	ms := o.MemberStatus
	if ms == "" {
		ms = MemberAccepted
	}
	member := func() string {
		c := "EXISTS (SELECT 1 FROM image_members m WHERE m.image_id = images.id AND m.member = " + q.arg(p.ProjectID)
		if ms != "all" {
			c += " AND m.status = " + q.arg(ms)
		}
		return c + ")"
	}
	admin := p.IsAdmin()
	switch o.Visibility {
	case "", "all":
		if o.Visibility == "" && o.MemberStatus == "" && admin {
			q.add("visibility <> 'community'" + " OR owner = " + q.arg(p.ProjectID))
			q.where[len(q.where)-1] = "(" + q.where[len(q.where)-1] + ")"
			return
		}
		if admin {
			return
		}
		c := "(owner = " + q.arg(p.ProjectID) + " OR visibility = 'public'"
		if o.Visibility == "all" {
			c += " OR visibility = 'community'"
		}
		c += " OR (visibility = 'shared' AND " + member() + "))"
		q.add(c)
	case VisibilityShared:
		q.add("visibility = 'shared'")
		if !admin || o.MemberStatus != "" {
			q.add("(owner = " + q.arg(p.ProjectID) + " OR " + member() + ")")
		}
	case VisibilityPrivate:
		q.add("visibility = 'private'")
		if !admin {
			q.add("owner = " + q.arg(p.ProjectID))
		}
	default:
		q.add("visibility = " + q.arg(o.Visibility))
	}
}

// ParseTimeFilter parses "gt:2016-01-01T00:00:00Z" (a bare time means eq).
func ParseTimeFilter(col, v string) (TimeFilter, error) {
	op, val, ok := strings.Cut(v, ":")
	if !ok || !validTimeOp(op) {
		op, val = "eq", v
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, val); err == nil {
			return TimeFilter{Column: col, Op: op, At: t.UTC()}, nil
		}
	}
	return TimeFilter{}, fault.Invalidf("Unable to filter on a unknown operator.")
}

func validTimeOp(op string) bool {
	switch op {
	case "gt", "gte", "lt", "lte", "eq", "neq":
		return true
	}
	return false
}

// ParseSortKey checks a sort key against the allowed set.
func ParseSortKey(k string) error {
	if _, ok := sortable[k]; !ok {
		return fault.Invalidf("Invalid sort key: %s. It must be one of the following: %s.", k, strings.Join(SortKeys, ", "))
	}
	return nil
}
