// Package httpapi is the one shared HTTP layer: route tables with a policy
// on every route, handlers that return errors, error dialects, request IDs,
// authentication, access logs, JSON helpers, pagination and metrics.
package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/stratus-iaas/stratus/internal/policy"
)

// HandlerFunc handles a request. It writes successes itself and returns
// failures, which the route's dialect renders.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// DefaultBodyLimit caps request bodies of non-streaming routes.
const DefaultBodyLimit = 1 << 20

// Route is one method+path of a service.
type Route struct {
	Method  string // GET, PUT, ...; GET also answers HEAD unless a HEAD route exists
	Pattern string // ServeMux path pattern relative to the group prefix, e.g. "/v2/images/{image_id}"
	Policy  policy.Rule
	Handler HandlerFunc
	// Streaming routes read their body themselves with no size limit.
	Streaming bool
	// BodyLimit overrides DefaultBodyLimit when positive.
	BodyLimit int64
}

// Authenticator turns a token into a principal.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (*policy.Principal, error)
}

// Group is a set of routes served under one prefix in one dialect.
type Group struct {
	Name string // service name for logs and metrics, e.g. "image"
	// ServiceTypes are the catalog types the group serves, against which
	// application credentials' access rules are checked; empty is Name.
	ServiceTypes []string
	Prefix       string // e.g. "/image"; "" for the root
	Dialect      Dialect
	Routes       []Route
	// RequestIDHeaders are extra headers that carry the request ID
	// (x-compute-request-id on compute).
	RequestIDHeaders []string
	// NotFound handles requests under Prefix that match no route; nil
	// answers the dialect's 404 (or 405 when only the method is wrong).
	NotFound HandlerFunc
	// RawPaths keeps paths under Prefix as sent: ServeMux would answer a
	// path holding "//", "/./" or "/../" with a 301 to its cleaned form,
	// but Swift object names may contain them.
	RawPaths bool
	// RoutesOnly mounts the routes without claiming the rest of Prefix
	// (no 404/405 catch-all), for a few routes at a shared path such as
	// the root.
	RoutesOnly bool
}

// Mux serves groups of routes.
type Mux struct {
	mux    *http.ServeMux
	auth   Authenticator
	signed []RequestAuthenticator
	log    *slog.Logger
	stats  *metrics
	groups []*Group
	body   BodyPolicy
}

// NewMux returns a Mux that authenticates tokens with auth.
func NewMux(auth Authenticator, log *slog.Logger) *Mux {
	if log == nil {
		log = slog.Default()
	}
	m := &Mux{mux: http.NewServeMux(), auth: auth, log: log, stats: newMetrics(), body: DefaultBodyPolicy}
	return m
}

// SetAuthenticator replaces the authenticator (used while assembling a server).
func (m *Mux) SetAuthenticator(a Authenticator) { m.auth = a }

// Mount registers a group. It panics on a route without a policy or on
// conflicting patterns: both are programming errors found at start-up.
func (m *Mux) Mount(g Group) {
	if g.Dialect == nil {
		panic("httpapi: group " + g.Name + " has no dialect")
	}
	gp := &g
	m.groups = append(m.groups, gp)
	for _, rt := range g.Routes {
		if rt.Policy.IsZero() {
			panic(fmt.Sprintf("httpapi: route %s %s%s has no policy", rt.Method, g.Prefix, rt.Pattern))
		}
		rt := rt
		m.mux.Handle(rt.Method+" "+g.Prefix+rt.Pattern, m.wrap(gp, &rt))
	}
	if g.RoutesOnly {
		return
	}
	// Requests under the prefix that match no route get the dialect's 404/405.
	nf := &Route{Policy: policy.Public, Handler: m.notFound(gp)}
	catch := g.Prefix + "/"
	m.mux.Handle(catch, m.wrap(gp, nf))
	if g.Prefix != "" {
		m.mux.Handle(g.Prefix, m.wrap(gp, nf))
	}
}

// Handle registers a plain handler (e.g. /metrics) outside any dialect.
func (m *Mux) Handle(pattern string, h http.Handler) { m.mux.Handle(pattern, h) }

// ServeHTTP implements http.Handler.
func (m *Mux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.Contains(r.URL.Path, "//") || strings.Contains(r.URL.Path, "/.") {
		for _, g := range m.groups {
			if g.RawPaths && strings.HasPrefix(r.URL.Path, g.Prefix+"/") {
				r.URL.RawPath = protectSegments(r.URL.EscapedPath(), len(g.Prefix))
				break
			}
		}
	}
	m.mux.ServeHTTP(w, r)
}

// protectSegments escapes, after the first skip bytes of the escaped path
// p, the slash of every empty segment ("a//b" → "a/%2Fb") and the dots of
// "." and ".." segments, so that ServeMux sees a clean path and does not
// redirect, while the path still unescapes to the same name (wildcard
// values and URL.Path are unescaped).
func protectSegments(p string, skip int) string {
	var b strings.Builder
	b.WriteString(p[:skip])
	for i := skip; i < len(p); i++ {
		c := p[i]
		if c == '/' && i > 0 && p[i-1] == '/' && i > skip {
			b.WriteString("%2F")
			continue
		}
		if c == '.' && p[i-1] == '/' {
			// A segment of only dots ("." or "..") up to the next slash or the end.
			j := i
			for j < len(p) && p[j] == '.' {
				j++
			}
			if j-i <= 2 && (j == len(p) || p[j] == '/') {
				b.WriteString(strings.Repeat("%2E", j-i))
				i = j - 1
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// MetricsHandler serves Prometheus metrics.
func (m *Mux) MetricsHandler() http.Handler { return m.stats.handler() }

var probeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, "COPY"}

func (m *Mux) notFound(g *Group) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		// Is there a route for this path under another method? Then 405.
		var allowed []string
		for _, meth := range probeMethods {
			if meth == r.Method {
				continue
			}
			r2 := r.Clone(r.Context())
			r2.Method = meth
			if _, pat := m.mux.Handler(r2); pat != "" && !isCatchAll(pat, g.Prefix) {
				allowed = append(allowed, meth)
			}
		}
		if len(allowed) > 0 {
			return methodNotAllowed(r.Method, allowed)
		}
		if g.NotFound != nil {
			return g.NotFound(w, r)
		}
		return notFoundError()
	}
}

func isCatchAll(pattern, prefix string) bool {
	return pattern == prefix+"/" || pattern == prefix || !strings.Contains(pattern, " ")
}

// MountedRoute is a route as mounted: its group, and its method and path
// pattern with the group's prefix.
type MountedRoute struct {
	Group, Method, Pattern string
	Policy                 policy.Rule
}

// Routes lists every route mounted so far, in mounting order (tests use
// it to check that each route is accounted for).
func (m *Mux) Routes() []MountedRoute {
	var out []MountedRoute
	for _, g := range m.groups {
		for _, rt := range g.Routes {
			out = append(out, MountedRoute{Group: g.Name, Method: rt.Method, Pattern: g.Prefix + rt.Pattern, Policy: rt.Policy})
		}
	}
	return out
}
