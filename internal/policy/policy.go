// Package policy holds the authenticated caller (Principal) and the named
// access rules that every route declares. Rules are evaluated in one place,
// internal/httpapi, before a handler runs; handlers only do object-level
// checks (visibility, ownership) through the Principal's methods.
package policy

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Role names bootstrapped at first start.
const (
	RoleAdmin  = "admin"
	RoleMember = "member"
	RoleReader = "reader"
)

// Principal is the caller behind a validated token.
type Principal struct {
	TokenID       string
	UserID        string
	UserName      string
	UserDomainID  string
	ProjectID     string // empty when not project-scoped
	ProjectName   string
	ProjectDomain string
	DomainID      string // set for domain-scoped tokens
	// IsAdminProject is set for tokens scoped to the cloud's admin project
	// (Keystone's is_admin_project), SystemScope for system-scoped tokens
	// (Keystone's system: {all: true}). The admin role makes a cloud admin
	// only there.
	IsAdminProject bool
	SystemScope    bool
	Roles          []string
	// AccessRules, when not empty, are the only calls the token may make
	// (an application credential's access rules).
	AccessRules []AccessRule
	ExpiresAt   time.Time
	IssuedAt    time.Time
}

// AccessRule allows one kind of call to a service: Method on paths
// matching Path, where "*" (or "{name}") is one path segment and "**" any
// number, as keystonemiddleware matches them. Path is relative to the
// service's root (what follows the service's prefix here).
type AccessRule struct {
	Service, Method, Path string
}

// AllowsCall reports whether the principal may call method on path of a
// service of one of serviceTypes: always when it has no access rules.
func (p *Principal) AllowsCall(serviceTypes []string, method, path string) bool {
	if p == nil || len(p.AccessRules) == 0 {
		return true
	}
	for _, r := range p.AccessRules {
		if r.Method == method && slices.Contains(serviceTypes, r.Service) && pathMatches(path, r.Path) {
			return true
		}
	}
	return false
}

// pathMatches matches an access rule's path pattern against a path.
func pathMatches(path, pattern string) bool {
	if pattern == "" {
		return path == ""
	}
	switch {
	case strings.HasPrefix(pattern, "**"):
		rest := pattern[2:]
		for i := 0; i <= len(path); i++ {
			if pathMatches(path[i:], rest) {
				return true
			}
		}
		return false
	case pattern[0] == '*' || pattern[0] == '{':
		rest := pattern[1:]
		if pattern[0] == '{' {
			end := strings.IndexByte(pattern, '}')
			if end < 0 {
				return path == pattern
			}
			rest = pattern[end+1:]
		}
		// One or more characters of one segment.
		for i := 1; i <= len(path) && path[i-1] != '/'; i++ {
			if pathMatches(path[i:], rest) {
				return true
			}
		}
		return false
	}
	return path != "" && path[0] == pattern[0] && pathMatches(path[1:], pattern[1:])
}

// HasRole reports whether the principal holds role.
func (p *Principal) HasRole(role string) bool {
	return p != nil && slices.Contains(p.Roles, role)
}

// IsAdmin reports whether the principal is a cloud admin: the admin role
// on the admin project or on the system, as Keystone's default policy
// with admin_project_name set. The admin role on another project or on a
// domain is an admin of that scope only, not of the cloud.
func (p *Principal) IsAdmin() bool {
	return p.HasRole(RoleAdmin) && (p.IsAdminProject || p.SystemScope)
}

// CanWrite reports whether the principal may change resources of its
// project: any role except a lone reader.
func (p *Principal) CanWrite() bool {
	if p == nil {
		return false
	}
	for _, r := range p.Roles {
		if r != RoleReader {
			return true
		}
	}
	return false
}

// InProject reports whether the principal is scoped to project, or is admin.
func (p *Principal) InProject(project string) bool {
	return p != nil && (p.IsAdmin() || (p.ProjectID != "" && p.ProjectID == project))
}

// Rule is a named access rule declared on a route.
type Rule struct {
	Name string
	// Anonymous rules run the handler without a token. Optional rules
	// authenticate when a token is sent and run anonymously otherwise
	// (Swift public containers, temp URLs).
	Anonymous bool
	Optional  bool
	allow     func(p *Principal) bool
}

// Allow reports whether p passes the rule. A nil p passes only anonymous
// and optional rules.
func (r Rule) Allow(p *Principal) bool {
	if r.Anonymous || (r.Optional && p == nil) {
		return true
	}
	if p == nil {
		return false
	}
	return r.allow == nil || r.allow(p)
}

// IsZero reports whether the rule was left unset (a route bug).
func (r Rule) IsZero() bool { return r.Name == "" }

var (
	// Public needs no token (version documents, token issue).
	Public = Rule{Name: "public", Anonymous: true}
	// Optional authenticates when a token is present.
	Optional = Rule{Name: "optional", Optional: true}
	// Authenticated needs any valid token.
	Authenticated = Rule{Name: "authenticated"}
	// Admin needs the admin role.
	Admin = Rule{Name: "admin", allow: (*Principal).IsAdmin}
	// ProjectReader needs a project-scoped token (any role).
	ProjectReader = Rule{Name: "project_reader", allow: func(p *Principal) bool { return p.ProjectID != "" || p.IsAdmin() }}
	// ProjectMember needs a project-scoped token with a role that may write.
	ProjectMember = Rule{Name: "project_member", allow: func(p *Principal) bool { return (p.ProjectID != "" && p.CanWrite()) || p.IsAdmin() }}
)

type ctxKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal in ctx, or nil when anonymous.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(ctxKey{}).(*Principal)
	return p
}
