package objectstore

import (
	"html"
	"io"
	"net/http"
	"strconv"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// swobDefaults are the explanations swob puts in its short HTML page when
// a response has no body of its own (RESPONSE_REASONS, 4xx).
var swobDefaults = map[string]bool{
	"The server could not comply with the request since it is either malformed or otherwise incorrect.": true,
	msgUnauthorized: true,
	msgForbidden:    true,
	msgNotFound:     true,
	"The method is not allowed for this resource.":                             true,
	"The resource is not available in a format acceptable to your browser.":    true,
	"The server has waited too long for the request to be sent by the client.": true,
	msgConflict:     true,
	msgLength:       true,
	msgPrecondition: true,
	msgTooLarge:     true,
	"The request URI was too long for this server.": true,
	msgRange:     true,
	msgUnprocess: true,
}

// bareBody reports whether a client error carries a message of its own.
// Swift sends such a message as the whole body (HTTPBadRequest(body=...));
// only responses without one get swob's short HTML page, which the Swift
// dialect renders for the rest.
func bareBody(fe *fault.Error) bool {
	st := fe.HTTPStatus()
	return st >= 400 && st < 499 && fe.Message != "" && !swobDefaults[fe.Message]
}

// writeBare writes fe's message as the body, with swob's default content
// type unless the error names one, and no body on HEAD. An error without
// a message of its own but with a content type of its own (a delete
// marker's 404) gets swob's short page in that type. Client errors are
// always returned before a handler writes, so the headers are still
// unsent; the error middleware sees them sent and only logs.
func writeBare(w http.ResponseWriter, r *http.Request, fe *fault.Error) {
	h := w.Header()
	for k, vs := range fe.Header {
		h[k] = append([]string(nil), vs...)
	}
	if fe.Header.Get("Content-Type") == "" {
		h.Set("Content-Type", "text/html; charset=UTF-8")
	}
	if fe.HTTPStatus() == http.StatusUnauthorized {
		httpapi.SetSwiftAuthenticate(h, r.URL.Path)
	}
	body := fe.Message
	if !bareBody(fe) {
		body = "<html><h1>" + httpapi.SwiftReason(fe.HTTPStatus()) + "</h1><p>" + html.EscapeString(fe.Message) + "</p></html>"
	}
	if r.Method == http.MethodHead {
		h.Set("Content-Length", "0")
		w.WriteHeader(fe.HTTPStatus())
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(fe.HTTPStatus())
	io.WriteString(w, body)
}

// ownType reports whether a client error names its own content type.
func ownType(fe *fault.Error) bool {
	st := fe.HTTPStatus()
	return st >= 400 && st < 499 && fe.Header.Get("Content-Type") != ""
}
