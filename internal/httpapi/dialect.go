package httpapi

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/stratus-iaas/stratus/internal/fault"
)

// Dialect renders errors the way one upstream service does.
type Dialect interface {
	WriteError(w http.ResponseWriter, r *http.Request, e *fault.Error)
	// MalformedBody is the message for a request body that is not valid JSON.
	MalformedBody() string
}

// Dialects, one per upstream error format.
var (
	Nova     Dialect = novaDialect{}     // {"itemNotFound":{"message","code"}}; Cinder uses the same
	Cinder   Dialect = novaDialect{}     //
	Keystone Dialect = keystoneDialect{} // {"error":{"code","title","message"}}
	Glance   Dialect = glanceDialect{}   // webob: HTML, or JSON when asked for
	Swift    Dialect = swiftDialect{}    // short HTML, no body on HEAD
	Neutron  Dialect = neutronDialect{}  // {"NeutronError":{"type","message","detail"}}
	K5Import Dialect = k5Dialect{msgKey: "message"}
	K5Export Dialect = k5Dialect{msgKey: "error_message"}
	SCP      Dialect = scpDialect{} // {"code":<status>,"message"} (Samsung SDS Cloud OpenAPI)
	Plain    Dialect = plainDialect{}
)

func writeJSONBody(w http.ResponseWriter, r *http.Request, status int, v any) {
	b, _ := MarshalJSON(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(b)
	}
}

type novaDialect struct{}

// novaFaultNames are the wrapper keys Nova and Cinder use per status.
var novaFaultNames = map[int]string{
	400: "badRequest", 401: "unauthorized", 403: "forbidden", 404: "itemNotFound",
	405: "badMethod", 409: "conflictingRequest", 413: "overLimit", 415: "badMediaType",
	429: "overLimit", 501: "notImplemented", 503: "serviceUnavailable",
}

func (novaDialect) WriteError(w http.ResponseWriter, r *http.Request, e *fault.Error) {
	status := e.HTTPStatus()
	name, ok := novaFaultNames[status]
	if !ok {
		name = "computeFault" // Nova's and Cinder's Fault: any other code (406, 422, 5xx)
	}
	writeJSONBody(w, r, status, map[string]any{name: map[string]any{"message": e.Message, "code": status}})
}

func (novaDialect) MalformedBody() string { return "Malformed request body" }

type keystoneDialect struct{}

func (keystoneDialect) WriteError(w http.ResponseWriter, r *http.Request, e *fault.Error) {
	status := e.HTTPStatus()
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Keystone uri="`+baseURL(r)+`/identity"`)
	}
	writeJSONBody(w, r, status, map[string]any{"error": map[string]any{
		"code": status, "title": http.StatusText(status), "message": e.Message,
	}})
}

func (keystoneDialect) MalformedBody() string {
	return "Expecting to find valid JSON in request body."
}

type glanceDialect struct{}

// WriteError renders webob's error page: JSON when the client accepts it
// and not HTML, otherwise the HTML page webob sends by default.
func (glanceDialect) WriteError(w http.ResponseWriter, r *http.Request, e *fault.Error) {
	status := e.HTTPStatus()
	title := http.StatusText(status)
	code := fmt.Sprintf("%d %s", status, title)
	accept := r.Header.Get("Accept")
	if strings.Contains(accept, "application/json") && !strings.Contains(accept, "text/html") {
		writeJSONBody(w, r, status, map[string]any{"code": code, "title": title, "message": e.Message + "<br /><br />\n\n\n"})
		return
	}
	body := "<html>\n <head>\n  <title>" + code + "</title>\n </head>\n <body>\n  <h1>" + code + "</h1>\n  " +
		html.EscapeString(e.Message) + "<br /><br />\n\n\n\n </body>\n</html>"
	writeText(w, r, status, "text/html; charset=UTF-8", body)
}

func (glanceDialect) MalformedBody() string { return "Malformed JSON in request body." }

type swiftDialect struct{}

// WriteError renders Swift's short HTML body.
func (swiftDialect) WriteError(w http.ResponseWriter, r *http.Request, e *fault.Error) {
	status := e.HTTPStatus()
	if status == http.StatusUnauthorized {
		SetSwiftAuthenticate(w.Header(), r.URL.Path)
	}
	body := "<html><h1>" + SwiftReason(status) + "</h1><p>" + html.EscapeString(e.Message) + "</p></html>"
	writeText(w, r, status, "text/html; charset=UTF-8", body)
}

// SwiftReason is swob's reason phrase for status (RESPONSE_REASONS),
// which differs from net/http's for 499 and 500.
func SwiftReason(status int) string {
	switch status {
	case 499:
		return "Client Disconnect"
	case http.StatusInternalServerError:
		return "Internal Error"
	}
	return http.StatusText(status)
}

// SetSwiftAuthenticate sets the WWW-Authenticate header swob adds to every
// 401: the realm is the account of a /v1/<account> path, else "unknown".
func SetSwiftAuthenticate(h http.Header, path string) {
	realm := "unknown"
	if i := strings.Index(path, "/v1/"); i >= 0 {
		acct, _, _ := strings.Cut(path[i+len("/v1/"):], "/")
		if acct != "" && acct != "auth" {
			realm = acct
		}
	}
	h.Set("Www-Authenticate", `Swift realm="`+url.PathEscape(realm)+`"`)
}

func (swiftDialect) MalformedBody() string { return "Malformed request body" }

type neutronDialect struct{}

// neutronTypes are the webob exception class names Neutron reports as
// NeutronError.type for errors raised without a Neutron exception class.
var neutronTypes = map[int]string{
	400: "HTTPBadRequest", 403: "HTTPForbidden", 404: "HTTPNotFound", 405: "HTTPMethodNotAllowed",
	409: "HTTPConflict", 413: "HTTPRequestEntityTooLarge", 415: "HTTPUnsupportedMediaType",
	500: "HTTPInternalServerError", 501: "HTTPNotImplemented", 503: "HTTPServiceUnavailable",
}

// neutronInternalMessage is what Neutron says of every 500: it never shows
// the cause.
const neutronInternalMessage = "Request Failed: internal server error while processing your request."

// WriteError renders Neutron's fault body. The fault's Code, when set, is
// the Neutron exception class (NetworkNotFound, IpAddressInUse, ...). A
// 401 comes from keystonemiddleware in front of Neutron, in its own shape.
func (neutronDialect) WriteError(w http.ResponseWriter, r *http.Request, e *fault.Error) {
	status := e.HTTPStatus()
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Keystone uri="`+baseURL(r)+`/identity"`)
		writeJSONBody(w, r, status, map[string]any{"error": map[string]any{
			"code": status, "title": "Unauthorized", "message": e.Message}})
		return
	}
	typ, msg := e.Code, e.Message
	if status == http.StatusInternalServerError {
		typ, msg = "", neutronInternalMessage
	}
	if typ == "" {
		typ = neutronTypes[status]
		if typ == "" {
			typ = "HTTPError"
		}
	}
	writeJSONBody(w, r, status, map[string]any{"NeutronError": map[string]any{"type": typ, "message": msg, "detail": ""}})
}

func (neutronDialect) MalformedBody() string { return "Body contains invalid data" }

type k5Dialect struct{ msgKey string }

func (d k5Dialect) WriteError(w http.ResponseWriter, r *http.Request, e *fault.Error) {
	status := e.HTTPStatus()
	code := e.Code
	if code == "" {
		code = strconv.Itoa(status)
	}
	writeJSONBody(w, r, status, map[string]any{"error_code": code, d.msgKey: e.Message})
}

func (k5Dialect) MalformedBody() string { return "Malformed request body" }

type scpDialect struct{}

// WriteError renders SCP's "error code and message" (the seed gives no
// body; docs/decisions.md).
func (scpDialect) WriteError(w http.ResponseWriter, r *http.Request, e *fault.Error) {
	status := e.HTTPStatus()
	writeJSONBody(w, r, status, map[string]any{"code": status, "message": e.Message})
}

func (scpDialect) MalformedBody() string { return "Request body is not valid JSON." }

type plainDialect struct{}

func (plainDialect) WriteError(w http.ResponseWriter, r *http.Request, e *fault.Error) {
	writeText(w, r, e.HTTPStatus(), "text/plain; charset=utf-8", e.Message+"\n")
}

func (plainDialect) MalformedBody() string { return "Malformed request body" }

func writeText(w http.ResponseWriter, r *http.Request, status int, ctype, body string) {
	w.Header().Set("Content-Type", ctype)
	if r.Method == http.MethodHead {
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write([]byte(body))
}

// baseURL is the scheme and host the client used to reach us.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	return scheme + "://" + r.Host
}

// BaseURL is exported for services that build links (version documents, next links).
func BaseURL(r *http.Request) string { return baseURL(r) }
