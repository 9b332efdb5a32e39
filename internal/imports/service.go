// Package imports is the vendor import/export service: FUJITSU K5's
// virtual server import/export (/v1/imageimport, /v1/imageexport; catalog
// type vmimport) and Samsung SDS Cloud's image import
// (/v1/images/{image_id}/import; catalog type virtualserver).
//
// Every import and export is a durable job (internal/job): the request is
// validated, the job is submitted in the transaction that reserves its
// image, and the job reads the source object as the caller (ACLs
// honoured), inspects and converts it in one pass and publishes the image
// in the job's final transaction. A failed or interrupted import leaves no
// usable image; a cancelled export leaves no object.
package imports

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/stratus-iaas/stratus/internal/image"
	"github.com/stratus-iaas/stratus/internal/job"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Object is an object opened for reading: large objects (SLO/DLO) joined.
type Object interface {
	io.ReaderAt
	Size() int64
	ETag() string
	Close() error
}

// ObjectInfo describes an object without opening it.
type ObjectInfo struct {
	Size int64
	ETag string
}

// Objects is what imports need of the object store, acting as the caller
// p (its ACLs and project checked). Errors are *fault.Error NotFound or
// Forbidden when p may not reach the object.
type Objects interface {
	OpenObject(ctx context.Context, p *policy.Principal, account, container, object string) (Object, error)
	HeadObject(ctx context.Context, p *policy.Principal, account, container, object string) (ObjectInfo, error)
	// PutObject stores body (size bytes, -1 when unknown) as the object
	// and returns its ETag (MD5); nothing is visible unless it returns nil.
	PutObject(ctx context.Context, p *policy.Principal, account, container, object string, body io.Reader, size int64) (string, error)
	DeleteObject(ctx context.Context, p *policy.Principal, account, container, object string) error
	// HeadContainer describes a container p may read (NotFound, Forbidden).
	HeadContainer(ctx context.Context, p *policy.Principal, account, container string) (ContainerInfo, error)
	// CreateContainer creates a container as p (its account's owner);
	// an existing one is left as it is.
	CreateContainer(ctx context.Context, p *policy.Principal, account, container string) error
	// CopyObject copies a plain object within an account, sharing its bytes.
	CopyObject(ctx context.Context, p *policy.Principal, account, srcContainer, srcObject, dstContainer, dstObject string) error
	// PutManifest stores an SLO manifest of segs as the object; nothing is
	// visible unless every segment checks and it returns nil.
	PutManifest(ctx context.Context, p *policy.Principal, account, container, object string, segs []Segment) error
}

// ContainerInfo describes a container.
type ContainerInfo struct {
	Writable bool // the caller may write objects into it
}

// Segment is one segment of an SLO manifest.
type Segment struct {
	Path string // "/container/object" in the manifest's account
	ETag string
	Size int64
}

// Identity is what imports need of the identity service.
type Identity interface {
	// PrincipalFor is userID acting on projectID with current roles.
	PrincipalFor(ctx context.Context, userID, projectID string) (*policy.Principal, error)
	// VerifyPassword returns the id of the user whose password it is.
	VerifyPassword(ctx context.Context, userName, domainName, password string) (string, error)
}

// Options configure the service.
type Options struct {
	DB      *store.DB
	Jobs    *job.Engine
	Images  *image.Service
	Objects Objects
	Ident   Identity
	Log     *slog.Logger
	// MaxActive is the most imports (and, apart, exports) of one project
	// queued or running at once; one more is 503/50301 (default 100).
	MaxActive int
	// SizeCap is the largest source object, and virtual size, of an import
	// (default 1 TiB).
	SizeCap int64
	// ExportSizeCap is the largest image an export takes (default SizeCap).
	ExportSizeCap int64
	// ExportSegmentSize is the size of the segments of an exported VMDK
	// larger than one segment, which is written as a Static Large Object
	// (default 1 GiB; at most the object store's single-object limit).
	ExportSegmentSize int64
	// PublicURL is the base URL the cloud is reached at (SCP urls must
	// name it; the versions document links to it).
	PublicURL string
	// Now is the clock of Scp-Api-Version deprecation dates (tests).
	Now func() time.Time
}

// Service is the import/export service.
type Service struct {
	db        *store.DB
	jobs      *job.Engine
	images    *image.Service
	objects   Objects
	ident     Identity
	log       *slog.Logger
	maxActive int
	sizeCap   int64
	exportCap int64
	segSize   int64
	publicURL string
	now       func() time.Time
}

// New returns the service and registers its job kinds on opts.Jobs (call
// before the engine starts).
func New(opts Options) *Service {
	s := &Service{db: opts.DB, jobs: opts.Jobs, images: opts.Images, objects: opts.Objects, ident: opts.Ident,
		log: opts.Log, maxActive: opts.MaxActive, sizeCap: opts.SizeCap, segSize: opts.ExportSegmentSize, publicURL: opts.PublicURL, now: opts.Now}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.maxActive <= 0 {
		s.maxActive = 100
	}
	if s.sizeCap <= 0 {
		s.sizeCap = 1 << 40
	}
	if s.segSize <= 0 {
		s.segSize = DefaultExportSegmentSize
	}
	s.exportCap = opts.ExportSizeCap
	if s.exportCap <= 0 {
		s.exportCap = s.sizeCap
	}
	s.jobs.Register(job.Kind{Name: KindK5Import, Handler: s.runK5Import, Resumable: true, OnFail: s.k5ImportFailed,
		FailMessage: "Internal server error.", InterruptedMessage: "Import process has stopped unexpectedly."})
	s.jobs.Register(job.Kind{Name: KindK5Export, Handler: s.runK5Export, Resumable: true, OnFail: s.k5ExportFailed,
		FailMessage: msgExportFailedOther, InterruptedMessage: msgExportStopped,
		Deadline: exportDeadline, DeadlineMessage: msgExportTooLong})
	s.jobs.Register(job.Kind{Name: KindK5ExportCleanup, Handler: s.runExportCleanup, Resumable: true,
		FailMessage:        msgCleanupFailed,
		InterruptedMessage: "Removing the segments of a failed export was interrupted."})
	s.jobs.Register(job.Kind{Name: KindSCPImport, Handler: s.runSCPImport, Resumable: true, OnFail: s.scpImportFailed,
		FailMessage: "Internal error.", InterruptedMessage: "Import was interrupted."})
	return s
}

// Job kinds (append-only).
const (
	KindK5Import  = "image.import"
	KindK5Export  = "image.export"
	KindSCPImport = "image.scpImport"
	// KindK5ExportCleanup removes what a failed export's node left.
	KindK5ExportCleanup = "image.export.cleanup"
)
