package imports

import (
	"strconv"
	"time"

	"github.com/stratus-iaas/stratus/internal/job"
)

// importStatusBody is Table I-3 (seed 002 §1.6.3.2), every field always
// present; message only when failed.
type importStatusBody struct {
	ImportStatus    string            `json:"import_status"`
	Progress        int               `json:"progress"`
	Name            string            `json:"name"`
	DiskFormat      string            `json:"disk_format"`
	ContainerFormat string            `json:"container_format"`
	IsPublic        bool              `json:"is_public"`
	Location        string            `json:"location"`
	ID              string            `json:"id"`
	MinRAM          int64             `json:"min_ram"`
	MinDisk         int64             `json:"min_disk"`
	Properties      map[string]string `json:"properties"`
	OVFLocation     string            `json:"ovf_location"`
	Conversion      bool              `json:"conversion"`
	OSType          string            `json:"os_type"`
	UserName        string            `json:"user_name"`
	Password        string            `json:"password"`
	DomainName      string            `json:"domain_name"`
	KMS             *kmsSpec          `json:"kms,omitempty"`
	Message         *string           `json:"message,omitempty"`
}

// importState is K5's import_status of a job state.
func importState(s job.State) string {
	switch s {
	case job.Queued:
		return "queued"
	case job.Running, job.Cancelling:
		return "processing"
	case job.Succeeded:
		return "succeeded"
	}
	return "failed"
}

// exportState is K5's export_status of a job state.
func exportState(s job.State) string {
	switch s {
	case job.Queued:
		return "queued"
	case job.Running:
		return "processing"
	case job.Cancelling:
		return "cancelling"
	case job.Cancelled:
		return "canceled"
	}
	return string(s) // succeeded, failed
}

// importToWire renders an import's status. The password is never stored,
// so it is echoed empty (docs/decisions.md).
func importToWire(im *Import) importStatusBody {
	q := im.Req
	b := importStatusBody{ImportStatus: importState(im.Job.State), Progress: im.Job.Progress, Name: q.Name,
		DiskFormat: q.DiskFormat, ContainerFormat: q.ContainerFormat, Location: q.Location, ID: q.ImageID,
		MinRAM: q.MinRAM, MinDisk: q.MinDisk, Properties: q.Properties, OVFLocation: q.OVFLocation,
		Conversion: q.Conversion, OSType: q.OSType, UserName: q.UserName, DomainName: q.DomainName, KMS: q.KMS}
	if b.Properties == nil {
		b.Properties = map[string]string{}
	}
	if b.ImportStatus == "failed" {
		msg := im.Job.Message
		if msg == "" {
			msg = "Import process has stopped unexpectedly."
		}
		b.Message = &msg
	}
	return b
}

type importListEntry struct {
	ImportID     string `json:"import_id"`
	ImportStatus string `json:"import_status"`
	Status       string `json:"status"`
}

// exportStatusBody is Table E-3 (seed 002 §1.6.3.5).
type exportStatusBody struct {
	ExportStatus     string  `json:"export_status"`
	Progress         int     `json:"progress"`
	ImageID          string  `json:"image_id"`
	ImageName        string  `json:"image_name"`
	StorageContainer string  `json:"storage_container"`
	RequestTime      string  `json:"request_time"`
	ErrorMessage     *string `json:"error_message,omitempty"`
}

type exportListEntry struct {
	ExportID     string `json:"export_id"`
	ExportStatus string `json:"export_status"`
	Status       string `json:"status"`
	ImageID      string `json:"image_id"`
	RequestTime  string `json:"request_time"`
}

func k5Time(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// parseStartLimit reads the list queries' start and limit: whole numbers
// ≥ 0; a missing limit is all (up to the API's cap), one above the cap is
// the cap.
func parseStartLimit(start, limit string, capN int) (int, int, error) {
	s, l := 0, capN
	if start != "" {
		n, err := strconv.Atoi(start)
		if err != nil || n < 0 {
			return 0, 0, errBadStart
		}
		s = n
	}
	if limit != "" {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 0 {
			return 0, 0, errBadLimit
		}
		l = min(n, capN)
	}
	return s, l, nil
}
