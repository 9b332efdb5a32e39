package identity

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/stratus-iaas/stratus/internal/store"
)

// Domain is a Keystone domain. Extra holds attributes Keystone keeps
// verbatim on every entity; Tags are loaded only where shown.
type Domain struct {
	ID, Name, Description string
	Enabled               bool
	Extra                 map[string]any
	Tags                  []string
}

// Project is a Keystone project; ParentID is its domain's id for a
// top-level project, as in Keystone.
type Project struct {
	ID, DomainID, Name, Description, ParentID string
	Enabled                                   bool
	Extra                                     map[string]any
	Tags                                      []string
}

// User is a Keystone user. Extra holds attributes Keystone keeps verbatim
// (email, description, ...).
type User struct {
	ID, DomainID, Name, DefaultProjectID string
	PasswordHash                         string
	Enabled                              bool
	Extra                                map[string]any
	TokensValidAfter                     int64
}

// Role is a Keystone role; DomainID is "" for global roles.
type Role struct {
	ID, DomainID, Name, Description string
	Extra                           map[string]any
}

// decodeExtra reads an extra column; anything unreadable is no extra.
func decodeExtra(s string) map[string]any {
	var m map[string]any
	if json.Unmarshal([]byte(s), &m) != nil || m == nil {
		m = map[string]any{}
	}
	return m
}

func encodeExtra(m map[string]any) string {
	if len(m) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// filter is a list query: equality conditions ANDed together.
type filter struct {
	where []string
	args  []any
}

func (f *filter) eq(col string, v any) {
	f.args = append(f.args, v)
	f.where = append(f.where, col+" = $"+strconv.Itoa(len(f.args)))
}

// in adds "col IN (values...)"; no values matches nothing.
func (f *filter) in(col string, values []string) {
	if len(values) == 0 {
		f.where = append(f.where, "1 = 0")
		return
	}
	ph := make([]string, len(values))
	for i, v := range values {
		f.args = append(f.args, v)
		ph[i] = "$" + strconv.Itoa(len(f.args))
	}
	f.where = append(f.where, col+" IN ("+strings.Join(ph, ", ")+")")
}

func (f *filter) sql() string {
	if len(f.where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(f.where, " AND ")
}

// --- domains ---

const domainCols = "id, name, description, enabled, extra"

func scanDomain(sc interface{ Scan(...any) error }) (*Domain, error) {
	var d Domain
	var extra string
	if err := sc.Scan(&d.ID, &d.Name, &d.Description, &d.Enabled, &extra); err != nil {
		return nil, store.Map(err)
	}
	d.Extra = decodeExtra(extra)
	return &d, nil
}

func getDomain(ctx context.Context, q store.Querier, id string) (*Domain, error) {
	return scanDomain(q.QueryRowContext(ctx, "SELECT "+domainCols+" FROM identity_domains WHERE id = $1", id))
}

func getDomainByName(ctx context.Context, q store.Querier, name string) (*Domain, error) {
	return scanDomain(q.QueryRowContext(ctx, "SELECT "+domainCols+" FROM identity_domains WHERE name = $1", name))
}

func listDomains(ctx context.Context, q store.Querier, f filter) ([]*Domain, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+domainCols+" FROM identity_domains"+f.sql()+" ORDER BY name, id", f.args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanDomain)
}

func insertDomain(ctx context.Context, q store.Querier, d *Domain, now int64) error {
	_, err := q.ExecContext(ctx, "INSERT INTO identity_domains (id, name, description, enabled, extra, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
		d.ID, d.Name, d.Description, d.Enabled, encodeExtra(d.Extra), now)
	return store.Map(err)
}

func updateDomain(ctx context.Context, q store.Querier, d *Domain) error {
	_, err := q.ExecContext(ctx, "UPDATE identity_domains SET name = $2, description = $3, enabled = $4, extra = $5 WHERE id = $1",
		d.ID, d.Name, d.Description, d.Enabled, encodeExtra(d.Extra))
	return store.Map(err)
}

// --- projects ---

const projectCols = "id, domain_id, name, description, parent_id, enabled, extra"

func scanProject(sc interface{ Scan(...any) error }) (*Project, error) {
	var p Project
	var extra string
	if err := sc.Scan(&p.ID, &p.DomainID, &p.Name, &p.Description, &p.ParentID, &p.Enabled, &extra); err != nil {
		return nil, store.Map(err)
	}
	p.Extra = decodeExtra(extra)
	return &p, nil
}

func getProject(ctx context.Context, q store.Querier, id string) (*Project, error) {
	return scanProject(q.QueryRowContext(ctx, "SELECT "+projectCols+" FROM identity_projects WHERE id = $1", id))
}

func getProjectByName(ctx context.Context, q store.Querier, domainID, name string) (*Project, error) {
	return scanProject(q.QueryRowContext(ctx, "SELECT "+projectCols+" FROM identity_projects WHERE domain_id = $1 AND name = $2", domainID, name))
}

func listProjects(ctx context.Context, q store.Querier, f filter) ([]*Project, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+projectCols+" FROM identity_projects"+f.sql()+" ORDER BY name, id", f.args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanProject)
}

func insertProject(ctx context.Context, q store.Querier, p *Project, now int64) error {
	_, err := q.ExecContext(ctx, "INSERT INTO identity_projects (id, domain_id, name, description, parent_id, enabled, extra, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
		p.ID, p.DomainID, p.Name, p.Description, p.ParentID, p.Enabled, encodeExtra(p.Extra), now)
	return store.Map(err)
}

func updateProject(ctx context.Context, q store.Querier, p *Project) error {
	_, err := q.ExecContext(ctx, "UPDATE identity_projects SET name = $2, description = $3, enabled = $4, extra = $5 WHERE id = $1",
		p.ID, p.Name, p.Description, p.Enabled, encodeExtra(p.Extra))
	return store.Map(err)
}

// --- users ---

const userCols = "id, domain_id, name, password_hash, enabled, default_project_id, extra, tokens_valid_after"

func scanUser(sc interface{ Scan(...any) error }) (*User, error) {
	var u User
	var extra string
	if err := sc.Scan(&u.ID, &u.DomainID, &u.Name, &u.PasswordHash, &u.Enabled, &u.DefaultProjectID, &extra, &u.TokensValidAfter); err != nil {
		return nil, store.Map(err)
	}
	u.Extra = decodeExtra(extra)
	return &u, nil
}

func getUser(ctx context.Context, q store.Querier, id string) (*User, error) {
	return scanUser(q.QueryRowContext(ctx, "SELECT "+userCols+" FROM identity_users WHERE id = $1", id))
}

func getUserByName(ctx context.Context, q store.Querier, domainID, name string) (*User, error) {
	return scanUser(q.QueryRowContext(ctx, "SELECT "+userCols+" FROM identity_users WHERE domain_id = $1 AND name = $2", domainID, name))
}

func listUsers(ctx context.Context, q store.Querier, f filter) ([]*User, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+userCols+" FROM identity_users"+f.sql()+" ORDER BY name, id", f.args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanUser)
}

func insertUser(ctx context.Context, q store.Querier, u *User, now int64) error {
	_, err := q.ExecContext(ctx, "INSERT INTO identity_users (id, domain_id, name, password_hash, enabled, default_project_id, extra, tokens_valid_after, created_at) "+
		"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
		u.ID, u.DomainID, u.Name, u.PasswordHash, u.Enabled, u.DefaultProjectID, encodeExtra(u.Extra), u.TokensValidAfter, now)
	return store.Map(err)
}

func updateUser(ctx context.Context, q store.Querier, u *User) error {
	_, err := q.ExecContext(ctx, "UPDATE identity_users SET name = $2, password_hash = $3, enabled = $4, default_project_id = $5, extra = $6, tokens_valid_after = $7 WHERE id = $1",
		u.ID, u.Name, u.PasswordHash, u.Enabled, u.DefaultProjectID, encodeExtra(u.Extra), u.TokensValidAfter)
	return store.Map(err)
}

// setPassword stores a new password hash; tokens issued until validAfter
// stop working.
func setPassword(ctx context.Context, q store.Querier, id, hash string, validAfter int64) error {
	_, err := q.ExecContext(ctx, "UPDATE identity_users SET password_hash = $1, tokens_valid_after = $2 WHERE id = $3", hash, validAfter, id)
	return err
}

// --- roles ---

const roleCols = "id, domain_id, name, description, extra"

func scanRole(sc interface{ Scan(...any) error }) (*Role, error) {
	var r Role
	var extra string
	if err := sc.Scan(&r.ID, &r.DomainID, &r.Name, &r.Description, &extra); err != nil {
		return nil, store.Map(err)
	}
	r.Extra = decodeExtra(extra)
	return &r, nil
}

func getRole(ctx context.Context, q store.Querier, id string) (*Role, error) {
	return scanRole(q.QueryRowContext(ctx, "SELECT "+roleCols+" FROM identity_roles WHERE id = $1", id))
}

func getRoleByName(ctx context.Context, q store.Querier, name string) (*Role, error) {
	return scanRole(q.QueryRowContext(ctx, "SELECT "+roleCols+" FROM identity_roles WHERE domain_id = '' AND name = $1", name))
}

func listRoles(ctx context.Context, q store.Querier, f filter) ([]*Role, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+roleCols+" FROM identity_roles"+f.sql()+" ORDER BY name, id", f.args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanRole)
}

func insertRole(ctx context.Context, q store.Querier, r *Role, now int64) error {
	_, err := q.ExecContext(ctx, "INSERT INTO identity_roles (id, domain_id, name, description, extra, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
		r.ID, r.DomainID, r.Name, r.Description, encodeExtra(r.Extra), now)
	return store.Map(err)
}

func updateRole(ctx context.Context, q store.Querier, r *Role) error {
	_, err := q.ExecContext(ctx, "UPDATE identity_roles SET name = $2, description = $3, extra = $4 WHERE id = $1", r.ID, r.Name, r.Description, encodeExtra(r.Extra))
	return store.Map(err)
}

// deleteRow deletes one row by id, reporting whether it existed.
func deleteRow(ctx context.Context, q store.Querier, table, id string) (bool, error) {
	return changedRows(ctx, q, "DELETE FROM "+table+" WHERE id = $1", id)
}

// changedRows runs a statement, reporting whether it changed a row.
func changedRows(ctx context.Context, q store.Querier, query string, args ...any) (bool, error) {
	res, err := q.ExecContext(ctx, query, args...)
	if err != nil {
		return false, store.Map(err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

func countRows(ctx context.Context, q store.Querier, query string, args ...any) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, query, args...).Scan(&n)
	return n, store.Map(err)
}

func collect[T any](rows *sql.Rows, scan func(interface{ Scan(...any) error }) (*T, error)) ([]*T, error) {
	defer rows.Close()
	var out []*T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, store.Map(rows.Err())
}
