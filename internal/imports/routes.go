package imports

import (
	"net/http"

	"github.com/stratus-iaas/stratus/internal/catalog"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// Prefixes the service is mounted under (catalog types vmimport and
// virtualserver).
const (
	vmimportPrefix = catalog.ImportPrefix
	scpPrefix      = catalog.VirtualServerPrefix
)

// Groups are the service's route groups: K5 import (errors
// {"error_code","message"}), K5 export (same prefix, errors
// {"error_code","error_message"}) and SCP's virtualserver. Every route
// authenticates; the K5 role rule (40301) and the SCP ones are checked in
// the service, where their error codes are known.
func (s *Service) Groups() []httpapi.Group {
	auth := policy.Authenticated
	return []httpapi.Group{
		{Name: "vmimport", Prefix: vmimportPrefix, Dialect: httpapi.K5Import, Routes: []httpapi.Route{
			{Method: http.MethodPost, Pattern: "/v1/imageimport", Policy: auth, Handler: s.registerImport},
			{Method: http.MethodGet, Pattern: "/v1/imageimport", Policy: auth, Handler: s.listImports},
			{Method: http.MethodGet, Pattern: "/v1/imageimport/{import_id}/status", Policy: auth, Handler: s.getImportStatus},
		}},
		{Name: "vmexport", Prefix: vmimportPrefix, Dialect: httpapi.K5Export, RoutesOnly: true, Routes: []httpapi.Route{
			{Method: http.MethodPost, Pattern: "/v1/imageexport", Policy: auth, Handler: s.startExport},
			{Method: http.MethodGet, Pattern: "/v1/imageexport", Policy: auth, Handler: s.listExports},
			{Method: http.MethodGet, Pattern: "/v1/imageexport/{export_id}/status", Policy: auth, Handler: s.getExportStatus},
			{Method: http.MethodPost, Pattern: "/v1/imageexport/{export_id}/cancel", Policy: auth, Handler: s.cancelExport},
		}},
		{Name: "virtualserver", Prefix: scpPrefix, Dialect: httpapi.SCP, Routes: []httpapi.Route{
			{Method: http.MethodGet, Pattern: "", Policy: policy.Public, Handler: s.scpVersionsDoc},
			{Method: http.MethodGet, Pattern: "/{$}", Policy: policy.Public, Handler: s.scpVersionsDoc},
			{Method: http.MethodPost, Pattern: "/v1/images/{image_id}/import", Policy: auth, Handler: s.scpImportImage},
		}},
	}
}
