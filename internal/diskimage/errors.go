// Package diskimage inspects and converts virtual-disk images (raw, qcow2,
// vmdk, vhd, vhdx, ...). It knows nothing about HTTP or SQL; API layers map
// the Kind of its errors to their own codes.
package diskimage

import (
	"errors"
	"fmt"
)

// ErrorKind says why an image was refused or a conversion failed.
type ErrorKind int

const (
	KindIO          ErrorKind = iota // reading or writing failed
	KindUnsafe                       // the image is refused for safety (backing file, extents naming files, mismatch, ...)
	KindCorrupt                      // the image is malformed
	KindUnsupported                  // a valid image of a format or feature not supported
)

func (k ErrorKind) String() string {
	switch k {
	case KindUnsafe:
		return "unsafe"
	case KindCorrupt:
		return "corrupt"
	case KindUnsupported:
		return "unsupported"
	default:
		return "io"
	}
}

// Error is the error type of this package.
type Error struct {
	Kind   ErrorKind
	Format string // format concerned, e.g. "qcow2"; may be empty
	Reason string // human-readable reason, safe to show to users
	Err    error  // underlying error, may be nil
}

func (e *Error) Error() string {
	s := e.Kind.String()
	if e.Format != "" {
		s += " " + e.Format
	}
	s += ": " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error.
func Errorf(kind ErrorKind, format, reasonFormat string, args ...any) *Error {
	return &Error{Kind: kind, Format: format, Reason: fmt.Sprintf(reasonFormat, args...)}
}

// KindOf reports the kind of err; errors not from this package are KindIO.
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindIO
}
