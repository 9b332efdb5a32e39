package objectstore

import (
	"strings"
	"unicode/utf8"

	"github.com/stratus-iaas/stratus/internal/fault"
)

// The name rules. Every container and object name that enters the store
// passes one of these two functions, wherever it comes from: the request
// path, COPY's Destination, X-Copy-From, X-Object-Manifest, an SLO
// manifest's segment paths, a versions location, a bulk-delete line or
// an archive member of a bulk upload. A name that one entry refused and
// another let in would make an object that cannot be addressed, hence
// never deleted, and its container with it.

// msgBadUTF8 is Swift's check_utf8 refusal (412).
const msgBadUTF8 = "Invalid UTF8 or contains NULL"

// checkPathNames applies the rules to the names of a request path, where
// either may be empty (account and container requests): valid UTF-8, no
// NUL, no slash in the container, and Swift's length limits.
func checkPathNames(container, object string) error {
	if !utf8.ValidString(container) || !utf8.ValidString(object) ||
		strings.IndexByte(container, 0) >= 0 || strings.IndexByte(object, 0) >= 0 {
		return fault.New(fault.PreconditionFailed, msgBadUTF8)
	}
	// A path segment may carry an escaped slash (%2F): no container name
	// holds one (Swift splits the unescaped path there), and the versions
	// containers (versions.go) rely on no request naming one that does.
	if strings.Contains(container, "/") {
		return fault.New(fault.PreconditionFailed, "Container name cannot contain slashes")
	}
	if len(container) > maxContainerNameLen {
		return fault.Invalidf("Container name length of %d longer than %d", len(container), maxContainerNameLen)
	}
	if len(object) > maxObjectNameLength {
		return fault.Invalidf("Object name length of %d longer than %d", len(object), maxObjectNameLength)
	}
	return nil
}

// checkName applies the rules to a name that arrives outside the path:
// the path's rules, and a container that is present and holds no slash
// (constraints.check_name_format). An empty object is the caller's to
// refuse with its own message.
func checkName(container, object string) error {
	if container == "" {
		return fault.New(fault.PreconditionFailed, "Container name cannot be empty")
	}
	if strings.Contains(container, "/") {
		return fault.New(fault.PreconditionFailed, "Container name cannot contain slashes")
	}
	return checkPathNames(container, object)
}
