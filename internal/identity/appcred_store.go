package identity

import (
	"context"

	"github.com/stratus-iaas/stratus/internal/store"
)

// AppCred is an application credential: a secret that authenticates as
// its user on its project with a subset of the user's roles.
type AppCred struct {
	ID, UserID, ProjectID, Name, Description string
	SecretHash                               string
	ExpiresAt                                int64 // unix µs; 0 never
	Unrestricted                             bool
	RoleIDs                                  []string
	AccessRules                              []*AccessRule
}

// AccessRule limits what an application credential's tokens may call.
type AccessRule struct {
	ID, UserID, Service, Path, Method string
}

const appCredCols = "id, user_id, project_id, name, description, secret_hash, expires_at, unrestricted"

func scanAppCred(sc interface{ Scan(...any) error }) (*AppCred, error) {
	var a AppCred
	if err := sc.Scan(&a.ID, &a.UserID, &a.ProjectID, &a.Name, &a.Description, &a.SecretHash, &a.ExpiresAt, &a.Unrestricted); err != nil {
		return nil, store.Map(err)
	}
	return &a, nil
}

// fillAppCred loads an application credential's roles and access rules.
func fillAppCred(ctx context.Context, q store.Querier, a *AppCred) error {
	var err error
	if a.RoleIDs, err = stringColumn(ctx, q, "SELECT role_id FROM identity_app_cred_roles WHERE app_cred_id = $1 ORDER BY role_id", a.ID); err != nil {
		return err
	}
	rows, err := q.QueryContext(ctx, "SELECT r.id, r.user_id, r.service, r.path, r.method FROM identity_access_rules r "+
		"JOIN identity_app_cred_access_rules x ON x.access_rule_id = r.id WHERE x.app_cred_id = $1 ORDER BY r.id", a.ID)
	if err != nil {
		return err
	}
	a.AccessRules, err = collect(rows, scanAccessRule)
	return err
}

func scanAccessRule(sc interface{ Scan(...any) error }) (*AccessRule, error) {
	var r AccessRule
	if err := sc.Scan(&r.ID, &r.UserID, &r.Service, &r.Path, &r.Method); err != nil {
		return nil, store.Map(err)
	}
	return &r, nil
}

func getAppCred(ctx context.Context, q store.Querier, id string) (*AppCred, error) {
	a, err := scanAppCred(q.QueryRowContext(ctx, "SELECT "+appCredCols+" FROM identity_app_creds WHERE id = $1", id))
	if err != nil {
		return nil, err
	}
	return a, fillAppCred(ctx, q, a)
}

func getAppCredByName(ctx context.Context, q store.Querier, userID, name string) (*AppCred, error) {
	a, err := scanAppCred(q.QueryRowContext(ctx, "SELECT "+appCredCols+" FROM identity_app_creds WHERE user_id = $1 AND name = $2", userID, name))
	if err != nil {
		return nil, err
	}
	return a, fillAppCred(ctx, q, a)
}

func listAppCreds(ctx context.Context, q store.Querier, f filter) ([]*AppCred, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+appCredCols+" FROM identity_app_creds"+f.sql()+" ORDER BY created_at, id", f.args...)
	if err != nil {
		return nil, err
	}
	as, err := collect(rows, scanAppCred)
	for _, a := range as {
		if err != nil {
			break
		}
		err = fillAppCred(ctx, q, a)
	}
	return as, err
}

func insertAppCred(ctx context.Context, q store.Querier, a *AppCred, now int64) error {
	_, err := q.ExecContext(ctx, "INSERT INTO identity_app_creds ("+appCredCols+", created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
		a.ID, a.UserID, a.ProjectID, a.Name, a.Description, a.SecretHash, a.ExpiresAt, a.Unrestricted, now)
	if err != nil {
		return store.Map(err)
	}
	for _, r := range a.RoleIDs {
		if _, err := q.ExecContext(ctx, "INSERT INTO identity_app_cred_roles (app_cred_id, role_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", a.ID, r); err != nil {
			return store.Map(err)
		}
	}
	for _, r := range a.AccessRules {
		if _, err := q.ExecContext(ctx, "INSERT INTO identity_access_rules (id, user_id, service, path, method, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
			r.ID, a.UserID, r.Service, r.Path, r.Method, now); err != nil {
			return store.Map(err)
		}
		if _, err := q.ExecContext(ctx, "INSERT INTO identity_app_cred_access_rules (app_cred_id, access_rule_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", a.ID, r.ID); err != nil {
			return store.Map(err)
		}
	}
	return nil
}
