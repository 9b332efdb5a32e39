// Package fault defines the errors that services return to clients.
//
// A *Error carries a Kind (which decides the HTTP status), a public Message
// copied verbatim from the contract, an optional vendor Code (K5 "40401"),
// and an internal Cause that is logged but never sent. Nothing in this
// package knows about HTTP; the dialects in internal/httpapi render it.
package fault

import (
	"errors"
	"fmt"
	"net/http"
)

// Kind classifies an error for the client.
type Kind int

const (
	Internal Kind = iota
	Invalid
	Unauthorized
	Forbidden
	NotFound
	MethodNotAllowed
	NotAcceptable
	Conflict
	Gone
	LengthRequired
	PreconditionFailed
	TooLarge
	UnsupportedMediaType
	RangeNotSatisfiable
	Unprocessable
	OverLimit
	NotImplemented
	Unavailable
)

var kindStatus = map[Kind]int{
	Internal:             http.StatusInternalServerError,
	Invalid:              http.StatusBadRequest,
	Unauthorized:         http.StatusUnauthorized,
	Forbidden:            http.StatusForbidden,
	NotFound:             http.StatusNotFound,
	MethodNotAllowed:     http.StatusMethodNotAllowed,
	NotAcceptable:        http.StatusNotAcceptable,
	Conflict:             http.StatusConflict,
	Gone:                 http.StatusGone,
	LengthRequired:       http.StatusLengthRequired,
	PreconditionFailed:   http.StatusPreconditionFailed,
	TooLarge:             http.StatusRequestEntityTooLarge,
	UnsupportedMediaType: http.StatusUnsupportedMediaType,
	RangeNotSatisfiable:  http.StatusRequestedRangeNotSatisfiable,
	Unprocessable:        http.StatusUnprocessableEntity,
	OverLimit:            http.StatusRequestEntityTooLarge,
	NotImplemented:       http.StatusNotImplemented,
	Unavailable:          http.StatusServiceUnavailable,
}

// Status is the HTTP status a Kind maps to.
func (k Kind) Status() int {
	if s, ok := kindStatus[k]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Error is an error meant for a client.
type Error struct {
	Kind    Kind
	Message string      // public, exact wire text
	Code    string      // vendor code, e.g. K5 "40401"; empty when none
	Status  int         // overrides Kind.Status() when non-zero (e.g. OverLimit as 413 or 429)
	Header  http.Header // extra response headers (Retry-After, Allow, ...)
	Cause   error       // internal, logged only
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %v", e.Message, e.Cause)
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Cause }

// HTTPStatus is the status code to send.
func (e *Error) HTTPStatus() int {
	if e.Status != 0 {
		return e.Status
	}
	return e.Kind.Status()
}

// WithCode returns a copy of e with a vendor code.
func (e *Error) WithCode(code string) *Error { c := *e; c.Code = code; return &c }

// WithCause returns a copy of e with an internal cause.
func (e *Error) WithCause(err error) *Error { c := *e; c.Cause = err; return &c }

// WithStatus returns a copy of e with an explicit status.
func (e *Error) WithStatus(status int) *Error { c := *e; c.Status = status; return &c }

func newf(k Kind, format string, args ...any) *Error {
	if len(args) == 0 {
		return &Error{Kind: k, Message: format}
	}
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

func Invalidf(format string, args ...any) *Error        { return newf(Invalid, format, args...) }
func Unauthorizedf(format string, args ...any) *Error   { return newf(Unauthorized, format, args...) }
func Forbiddenf(format string, args ...any) *Error      { return newf(Forbidden, format, args...) }
func NotFoundf(format string, args ...any) *Error       { return newf(NotFound, format, args...) }
func Conflictf(format string, args ...any) *Error       { return newf(Conflict, format, args...) }
func OverLimitf(format string, args ...any) *Error      { return newf(OverLimit, format, args...) }
func NotImplementedf(format string, args ...any) *Error { return newf(NotImplemented, format, args...) }
func Internalf(format string, args ...any) *Error       { return newf(Internal, format, args...) }
func New(k Kind, format string, args ...any) *Error     { return newf(k, format, args...) }

// As returns the *Error in err's chain, or nil.
func As(err error) *Error {
	var fe *Error
	if errors.As(err, &fe) {
		return fe
	}
	return nil
}

// KindOf is the Kind of err, Internal when err carries no *Error.
func KindOf(err error) Kind {
	if fe := As(err); fe != nil {
		return fe.Kind
	}
	return Internal
}
