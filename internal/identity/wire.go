package identity

import (
	"context"
	"net/http"
	"time"

	"github.com/stratus-iaas/stratus/internal/catalog"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// Wire shapes, as Keystone sends them. Every entity carries
// "links":{"self":...}; every collection carries
// "links":{"self","previous":null,"next":null}.

// timeFormat is Keystone's token timestamp: ISO 8601, microseconds, Z.
const timeFormat = "2006-01-02T15:04:05.000000Z"

func isoTime(t time.Time) string { return t.UTC().Format(timeFormat) }

// v3URL is the absolute URL of path under /identity/v3 as the client
// reached us.
func v3URL(r *http.Request, path string) string {
	return httpapi.BaseURL(r) + catalog.IdentityPrefix + "/v3" + path
}

func selfLinks(r *http.Request, path string) map[string]string {
	return map[string]string{"self": v3URL(r, path)}
}

type collectionLinks struct {
	Self     string  `json:"self"`
	Previous *string `json:"previous"`
	Next     *string `json:"next"`
}

func listLinks(r *http.Request) collectionLinks {
	self := httpapi.BaseURL(r) + r.URL.Path
	if r.URL.RawQuery != "" {
		self += "?" + r.URL.RawQuery
	}
	return collectionLinks{Self: self}
}

type domainRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func domainWire(r *http.Request, d *Domain) map[string]any {
	m := withExtra(d.Extra)
	m["id"], m["name"], m["description"], m["enabled"] = d.ID, d.Name, d.Description, d.Enabled
	m["tags"], m["options"], m["links"] = nonNilTags(d.Tags), map[string]any{}, selfLinks(r, "/domains/"+d.ID)
	return m
}

// domainAsProjectWire is a domain as the projects API shows it: a
// project acting as a domain.
func domainAsProjectWire(r *http.Request, d *Domain) map[string]any {
	m := withExtra(d.Extra)
	m["id"], m["name"], m["description"], m["enabled"] = d.ID, d.Name, d.Description, d.Enabled
	m["domain_id"], m["parent_id"], m["is_domain"] = nil, nil, true
	m["tags"], m["options"], m["links"] = nonNilTags(d.Tags), map[string]any{}, selfLinks(r, "/projects/"+d.ID)
	return m
}

func nonNilTags(t []string) []string {
	if t == nil {
		return []string{}
	}
	return t
}

func projectWire(r *http.Request, p *Project) map[string]any {
	parent := any(nil)
	if p.ParentID != "" {
		parent = p.ParentID
	}
	m := withExtra(p.Extra)
	m["id"], m["name"], m["domain_id"], m["description"] = p.ID, p.Name, p.DomainID, p.Description
	m["enabled"], m["parent_id"], m["is_domain"], m["tags"] = p.Enabled, parent, false, nonNilTags(p.Tags)
	m["options"], m["links"] = map[string]any{}, selfLinks(r, "/projects/"+p.ID)
	return m
}

func userWire(r *http.Request, u *User) map[string]any {
	m := withExtra(u.Extra)
	m["id"], m["name"], m["domain_id"], m["enabled"] = u.ID, u.Name, u.DomainID, u.Enabled
	m["password_expires_at"] = nil
	m["options"] = map[string]any{}
	m["links"] = selfLinks(r, "/users/"+u.ID)
	if u.DefaultProjectID != "" {
		m["default_project_id"] = u.DefaultProjectID
	}
	return m
}

func roleWire(r *http.Request, role *Role) map[string]any {
	var dom, desc any
	if role.DomainID != "" {
		dom = role.DomainID
	}
	if role.Description != "" {
		desc = role.Description
	}
	m := withExtra(role.Extra)
	m["id"], m["name"], m["domain_id"], m["description"] = role.ID, role.Name, dom, desc
	m["options"], m["links"] = map[string]any{}, selfLinks(r, "/roles/"+role.ID)
	return m
}

// tokenUser is the token body's user.
type tokenUser struct {
	ID                string    `json:"id"`
	Name              string    `json:"name"`
	Domain            domainRef `json:"domain"`
	PasswordExpiresAt *string   `json:"password_expires_at"`
}

type tokenProject struct {
	ID     string    `json:"id"`
	Name   string    `json:"name"`
	Domain domainRef `json:"domain"`
}

type roleRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type tokenBody struct {
	Methods   []string      `json:"methods"`
	User      tokenUser     `json:"user"`
	AuditIDs  []string      `json:"audit_ids"`
	ExpiresAt string        `json:"expires_at"`
	IssuedAt  string        `json:"issued_at"`
	Project   *tokenProject `json:"project,omitempty"`
	Domain    *domainRef    `json:"domain,omitempty"`
	IsDomain  *bool         `json:"is_domain,omitempty"`
	// IsAdminProject is sent on project-scoped tokens, as Keystone does
	// when an admin project is configured.
	IsAdminProject *bool           `json:"is_admin_project,omitempty"`
	System         *systemRef      `json:"system,omitempty"`
	Trust          *tokenTrust     `json:"OS-TRUST:trust,omitempty"`
	AppCred        *tokenAppCred   `json:"application_credential,omitempty"`
	Roles          []roleRef       `json:"roles,omitempty"`
	Catalog        *[]catalogEntry `json:"catalog,omitempty"`
}

type systemRef struct {
	All bool `json:"all"`
}

type idRef struct {
	ID string `json:"id"`
}

type tokenTrust struct {
	ID            string `json:"id"`
	TrustorUser   idRef  `json:"trustor_user"`
	TrusteeUser   idRef  `json:"trustee_user"`
	Impersonation bool   `json:"impersonation"`
}

type tokenAppCred struct {
	ID          string           `json:"id"`
	Name        string           `json:"name"`
	Restricted  bool             `json:"restricted"`
	AccessRules []map[string]any `json:"access_rules,omitempty"`
}

// tokenWire renders a v3 token; the catalog is left out when
// withCatalog is false (?nocatalog) and for unscoped tokens.
func (s *Service) tokenWire(ctx context.Context, info *tokenInfo, withCatalog bool) (map[string]tokenBody, error) {
	b := tokenBody{
		Methods: info.methods,
		User: tokenUser{ID: info.user.ID, Name: info.user.Name,
			Domain: domainRef{ID: info.userDomain.ID, Name: info.userDomain.Name}},
		AuditIDs:  info.auditIDs,
		ExpiresAt: isoTime(info.expiresAt),
		IssuedAt:  isoTime(info.issuedAt),
	}
	if info.project != nil {
		b.Project = &tokenProject{ID: info.project.ID, Name: info.project.Name,
			Domain: domainRef{ID: info.projectDomain.ID, Name: info.projectDomain.Name}}
		f, ap := false, s.isAdminProject(info.project)
		b.IsDomain = &f
		if !s.opts.AnyProjectAdmin {
			// Keystone sends is_admin_project only when an admin project
			// is configured.
			b.IsAdminProject = &ap
		}
	}
	if info.domain != nil {
		b.Domain = &domainRef{ID: info.domain.ID, Name: info.domain.Name}
	}
	if info.system {
		b.System = &systemRef{All: true}
	}
	if t := info.trust; t != nil {
		b.Trust = &tokenTrust{ID: t.ID, TrustorUser: idRef{t.TrustorID}, TrusteeUser: idRef{t.TrusteeID}, Impersonation: t.Impersonation}
		b.IsAdminProject = nil // Keystone's trust-scoped body has no is_admin_project
		if t.Impersonation {
			d := info.trustorDomain
			b.User = tokenUser{ID: info.trustor.ID, Name: info.trustor.Name, Domain: domainRef{ID: d.ID, Name: d.Name}}
		}
	}
	if a := info.appCred; a != nil {
		b.AppCred = &tokenAppCred{ID: a.ID, Name: a.Name, Restricted: !a.Unrestricted}
		for _, r := range a.AccessRules {
			b.AppCred.AccessRules = append(b.AppCred.AccessRules, map[string]any{"id": r.ID, "service": r.Service, "path": r.Path, "method": r.Method})
		}
	}
	for _, r := range info.roles {
		b.Roles = append(b.Roles, roleRef{ID: r.ID, Name: r.Name})
	}
	if withCatalog && !info.unscoped() {
		projectID := ""
		if info.project != nil {
			projectID = info.project.ID
		}
		c, err := s.catalogFor(ctx, projectID)
		if err != nil {
			return nil, err
		}
		b.Catalog = &c
	}
	return map[string]tokenBody{"token": b}, nil
}
