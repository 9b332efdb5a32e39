package server

import (
	"net/http"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// notImplemented answers APIs that are not built yet: a 501 in the
// service's own dialect (docs/compatibility.md lists them).
func notImplemented(w http.ResponseWriter, r *http.Request) error {
	return fault.NotImplementedf("The requested API is not implemented in stratus yet.")
}

// unbuiltGroups are services whose prefix is reserved but whose APIs are
// not built: every request under them is a 501.
func unbuiltGroups() []httpapi.Group {
	return nil // every reserved prefix is served now
}
