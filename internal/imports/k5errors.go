package imports

import "github.com/stratus-iaas/stratus/internal/fault"

// K5 detailed errors. Codes are per API (40010 means one thing in
// register image and another in cancel export); the messages are the
// seeds' "Detailed error message" column, verbatim. The import APIs render
// them as {"error_code","message"}, the export APIs as
// {"error_code","error_message"} (httpapi.K5Import / K5Export).

func k5err(kind fault.Kind, code, msg string) *fault.Error {
	return fault.New(kind, "%s", msg).WithCode(code)
}

func k5bad(code, msg string) *fault.Error { return k5err(fault.Invalid, code, msg) }

func required(code, param string) *fault.Error {
	return k5bad(code, "Required parameter '"+param+"' is not specified.")
}

func invalid(code, param string) *fault.Error {
	return k5bad(code, "Parameter '"+param+"' has invalid value.")
}

var (
	errForbidden = k5err(fault.Forbidden, "40301", "You cannot execute this API.")
	errTooMany   = k5err(fault.Unavailable, "50301", "Too many requests.")
)

// internalErr is K5's 500: 50001 for the store, 50002 for the services
// behind (identity, object storage, images), 50003 for the job engine.
func internalErr(code string, cause error) *fault.Error {
	return k5err(fault.Internal, code, "Internal server error.").WithCause(cause)
}

// Register image (seed 000 Table 5, seed 002 Table 5).
var (
	errNoName          = required("40001", "name")
	errNoLocation      = required("40002", "location")
	errNoID            = required("40003", "id")
	errNoConversion    = required("40004", "conversion")
	errNoOSType        = required("40005", "os_type")
	errBadOSType       = invalid("40006", "os_type")
	errNoUserName      = required("40007", "user_name")
	errNoPassword      = required("40008", "password")
	errNoDomainName    = required("40009", "domain_name")
	errBadCredentials  = k5bad("40010", "Parameter 'user_name' or 'password' or 'domain_name' has invalid value.")
	errNoProjectImport = k5bad("40011", "Project_id does not exist. No project can be retrieved from the authentication token.")
	errImportNotJSON   = k5bad("40014", "Request body is not a json format.")
	errBadLocation     = invalid("40025", "location")
	errBadOVFLocation  = invalid("40025", "ovf_location")
	errBadConversion   = invalid("40026", "conversion")
	errBadID           = invalid("40027", "id")
	errBadName         = invalid("40028", "name")
	errBadDiskFormat   = invalid("40029", "disk_format")
	errBadContainerFmt = invalid("40030", "container_format")
	errBadChecksum     = invalid("40031", "checksum")
	errBadMinRAM       = invalid("40032", "min_ram")
	errBadMinDisk      = invalid("40033", "min_disk")
	errBadKMS          = invalid("40034", "kms")
	errImportTooLarge  = k5bad("40037", "The size of the import image is too large.")
	errNoImport        = k5err(fault.NotFound, "40401", "Invalid import_id.")
)

func errBadProperty(key string) *fault.Error { return invalid("40035", key) }

// Image export, its status, list and cancel (seed 002 Tables 23, 30, 36, 40).
var (
	errNoImageID          = required("40001", "image_id")
	errBadImageID         = invalid("40002", "image_id")
	errNoContainer        = required("40003", "storage_container")
	errBadContainer       = invalid("40004", "storage_container")
	errNoProjectExport    = k5bad("40005", "Project id does not exist.")
	errNoBody             = k5bad("40007", "Request body does not exist.")
	errExportNotJSON      = k5bad("40008", "Request body is not a json format.")
	errAlreadyCancelling  = k5bad("40010", "Export_id is already accepted cancelling.")
	errExportTooLarge     = k5bad("40011", "The size of the export image is too large.")
	errGlanceAccess       = k5bad("40012", "Glance access error. Parameter has invalid value.")
	errBadStart           = k5bad("40013", "Query parameter 'start' has invalid value.")
	errBadLimit           = k5bad("40014", "Query parameter 'limit' has invalid value.")
	errSameRequest        = k5bad("40015", "The same request already exists.")
	errExportExists       = k5bad("40016", "The exported file already exists.")
	errNoImageData        = k5bad("40017", "The uploaded file by image id does not exist in the object storage.")
	errNoExport           = k5err(fault.NotFound, "40401", "Invalid export_id.")
	errExportFinished     = k5err(fault.NotFound, "40402", "Export_id was already finished.")
	errExportTooManyInner = errTooMany
)

// Export failure messages (status error_message, seed 002 Table 28).
const (
	msgExportNotFound    = "Specified id is not found."
	msgExportNotValid    = "Specified id is not valid image."
	msgExportStopped     = "Export process has stopped unexpectedly."
	msgExportTooLong     = "Export process takes too long time."
	msgExportDownload    = "VMexport process is failed (fail to download image)"
	msgExportUpload      = "VMexport process is failed (fail to upload image)"
	msgExportFailedOther = "VMexport process is failed (internal error)"
	// Not K5's: the admin job listing's message for a cleanup job.
	msgCleanupFailed = "Removing the segments of a failed export failed."
)
