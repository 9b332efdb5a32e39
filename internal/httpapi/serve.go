package httpapi

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
)

type ctxKey int

const (
	requestIDKey ctxKey = iota
	dialectKey
)

// RequestID returns the request ID of ctx ("req-<uuid>").
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// DialectFrom returns the dialect serving ctx's request.
func DialectFrom(ctx context.Context) Dialect {
	d, _ := ctx.Value(dialectKey).(Dialect)
	if d == nil {
		return Plain
	}
	return d
}

// NewRequestID returns "req-" and a random UUID, as OpenStack services do.
func NewRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("req-%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// AuthTokenHeader is where OpenStack clients send their token.
const AuthTokenHeader = "X-Auth-Token"

func (m *Mux) wrap(g *Group, rt *Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := NewRequestID()
		h := w.Header()
		h.Set("X-Openstack-Request-Id", id)
		for _, name := range g.RequestIDHeaders {
			h.Set(name, id)
		}
		ctx := context.WithValue(r.Context(), requestIDKey, id)
		ctx = context.WithValue(ctx, dialectKey, g.Dialect)
		sw := &statusWriter{ResponseWriter: w}
		r = r.WithContext(ctx)
		var err error
		func() {
			defer func() {
				if v := recover(); v != nil {
					if v == http.ErrAbortHandler {
						panic(v)
					}
					err = fmt.Errorf("panic: %v\n%s", v, debug.Stack())
				}
			}()
			err = m.serve(g, rt, sw, r)
		}()
		if err != nil {
			m.writeError(g, sw, r, err)
		}
		m.access(g, sw, r, start, err)
		if sw.status == 499 && !sw.wrote {
			// The client went away. Returning would make net/http send an
			// empty 200 to whatever is still reading: a half-closed
			// client must not take that for success. Drop the connection.
			panic(http.ErrAbortHandler)
		}
	})
}

func (m *Mux) serve(g *Group, rt *Route, w http.ResponseWriter, r *http.Request) error {
	var p *policy.Principal
	if !rt.Policy.Anonymous {
		var err error
		if p, err = m.authenticate(r); err != nil {
			return err
		}
	}
	if p != nil && !accessRulesAllow(g, p, r) {
		return unauthorized() // keystonemiddleware's "Token authorization failed"
	}
	if !rt.Policy.Allow(p) {
		if p == nil {
			return unauthorized()
		}
		return forbidden(rt.Policy)
	}
	// A project in the path must be the caller's own unless admin.
	if proj := projectInPath(r); proj != "" && p != nil && !p.InProject(proj) && !rt.Policy.Optional {
		return forbidden(rt.Policy)
	}
	if p != nil {
		r = r.WithContext(policy.WithPrincipal(r.Context(), p))
	}
	if r.Body != nil && r.Body != http.NoBody && m.body.MinRate > 0 {
		r.Body = newRateBody(w, r.Body, m.body)
	}
	if !rt.Streaming && r.Body != nil {
		limit := int64(DefaultBodyLimit)
		if rt.BodyLimit > 0 {
			limit = rt.BodyLimit
		}
		if p == nil {
			limit = min(limit, AnonymousBodyLimit)
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
	}
	return rt.Handler(w, r)
}

// accessRulesAllow checks an application credential's access rules: the
// call, with the path relative to the group's prefix, must match one. A
// token may always be validated (GET /v3/auth/tokens), as in
// keystonemiddleware.
func accessRulesAllow(g *Group, p *policy.Principal, r *http.Request) bool {
	if len(p.AccessRules) == 0 {
		return true
	}
	types := g.ServiceTypes
	if len(types) == 0 {
		types = []string{g.Name}
	}
	path := strings.TrimPrefix(r.URL.Path, g.Prefix)
	if slices.Contains(types, "identity") && r.Method == http.MethodGet && strings.HasSuffix(path, "/v3/auth/tokens") {
		return true
	}
	return p.AllowsCall(types, r.Method, path)
}

func projectInPath(r *http.Request) string {
	if v := r.PathValue("project_id"); v != "" {
		return v
	}
	return r.PathValue("tenant_id")
}

func unauthorized() *fault.Error {
	return fault.Unauthorizedf("The request you have made requires authentication.")
}

func forbidden(rule policy.Rule) *fault.Error {
	return fault.Forbiddenf("Policy doesn't allow this operation to be performed.").WithCause(errors.New("rule " + rule.Name))
}

func notFoundError() *fault.Error {
	return fault.NotFoundf("The resource could not be found.")
}

func methodNotAllowed(method string, allowed []string) *fault.Error {
	e := fault.New(fault.MethodNotAllowed, "The method %s is not allowed for this resource.", method)
	e.Header = http.Header{"Allow": {strings.Join(allowed, ", ")}}
	return e
}

// genericMessage is what clients see for errors that are not *fault.Error.
const genericMessage = "The server has either erred or is incapable of performing the requested operation."

func (m *Mux) writeError(g *Group, w *statusWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		w.status = 499 // client went away; nothing to write
		return
	}
	fe := fault.As(err)
	var mbe *http.MaxBytesError
	switch {
	case fe != nil:
	case errors.As(err, &mbe):
		fe = fault.New(fault.TooLarge, "Request body is too large (limit %d bytes).", mbe.Limit)
	default:
		fe = fault.Internalf(genericMessage).WithCause(err)
	}
	if fe.Kind == fault.Internal || fe.Cause != nil {
		m.log.Error("request failed", "service", g.Name, "method", r.Method, "path", logPath(r),
			"request_id", RequestID(r.Context()), "status", fe.HTTPStatus(), "err", err)
	}
	if w.wrote {
		return // headers already sent; the log line is all we can do
	}
	for k, vs := range fe.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	g.Dialect.WriteError(w, r, fe)
}

func (m *Mux) access(g *Group, w *statusWriter, r *http.Request, start time.Time, err error) {
	d := time.Since(start)
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	m.stats.observe(g.Name, r.Method, status, d)
	if !m.log.Enabled(r.Context(), slog.LevelInfo) {
		return
	}
	attrs := []slog.Attr{
		slog.String("service", g.Name), slog.String("method", r.Method), slog.String("path", logPath(r)),
		slog.Int("status", status), slog.Int64("bytes", w.bytes), slog.Duration("duration", d),
		slog.String("request_id", RequestID(r.Context())), slog.String("remote", r.RemoteAddr),
	}
	if q := logQuery(r); q != "" {
		attrs = append(attrs, slog.String("query", q))
	}
	if p := policy.FromContext(r.Context()); p != nil {
		attrs = append(attrs, slog.String("user", p.UserID), slog.String("project", p.ProjectID))
	}
	m.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
}

// statusWriter records what was written.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer (Flush, deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ReadFrom keeps sendfile/splice for streamed downloads.
func (w *statusWriter) ReadFrom(src io.Reader) (int64, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	var n int64
	var err error
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(src)
	} else {
		n, err = io.Copy(struct{ io.Writer }{w.ResponseWriter}, src)
	}
	w.bytes += n
	return n, err
}

// Flush forwards to the underlying writer when it can flush.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
