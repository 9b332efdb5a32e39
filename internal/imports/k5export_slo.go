package imports

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/job"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// An exported VMDK is written as the swift CLI writes a stream with
// `swift upload --use-slo --segment-size N` (python-swiftclient's
// service.py): segments of N bytes named
// {object}/slo/{mtime}/{N}/{NNNNNNNN} in the container {container}_segments
// (created as the caller when missing), then the SLO manifest as the
// object. A VMDK that fits in the first segment becomes a plain object
// (its segment's bytes are shared, not copied, and the segment removed),
// as the CLI uploads a short stream as one object. Each segment is
// streamed into the object store as the converter writes it: nothing is
// held in memory.

// DefaultExportSegmentSize is the segment size of an exported SLO: 1 GiB,
// the size most Swift guides and clouds use with the swift CLI, well under
// the 5 GiB single-object limit, and small enough that a failure or a
// cancel wastes little.
const DefaultExportSegmentSize = 1 << 30

// maxSegments is Swift's max_manifest_segments (objectstore's too): an
// export whose VMDK needs more fails at once rather than at the manifest.
var maxSegments = 1000

// exportCheckpoint is an export's checkpoint: what an attempt wrote or
// began to write, so that a resumed attempt, or the failure of an
// interrupted one, removes it. A crash leaves no manifest and no segments.
type exportCheckpoint struct {
	SegContainer string   `json:"segment_container,omitempty"`
	Segments     []string `json:"segments,omitempty"`
	// Target: the attempt had begun to write {image_id}.vmdk itself (the
	// manifest, or the copy of a lone segment).
	Target bool `json:"target,omitempty"`
}

func (cp exportCheckpoint) empty() bool { return len(cp.Segments) == 0 && !cp.Target }

// segmentContainer returns the container the segments of an export to t
// go to, creating it as p when missing; ok is false when p can neither
// write nor create it (the export is then written as one object).
func (s *Service) segmentContainer(ctx context.Context, p *policy.Principal, t objectRef) (string, bool) {
	c := t.Container + "_segments"
	info, err := s.objects.HeadContainer(ctx, p, t.Account, c)
	if err == nil && info.Writable {
		return c, true
	}
	if fault.KindOf(err) == fault.NotFound {
		if err := s.objects.CreateContainer(ctx, p, t.Account, c); err == nil {
			return c, true
		}
	}
	return "", false
}

// uploadSegmented streams src into segments of s.segSize bytes in segC and
// then writes t as their SLO manifest (or, for a single segment, as a
// plain object). cp records every segment before it is written. On error
// the caller removes what cp lists.
func (s *Service) uploadSegmented(ctx context.Context, r *job.Run, p *policy.Principal, t objectRef, segC string, src io.Reader, cp *exportCheckpoint) error {
	in := bufio.NewReaderSize(src, 64<<10)
	prefix := fmt.Sprintf("%s/slo/%f/%d/", t.Object, float64(time.Now().Unix()), s.segSize)
	var segs []Segment
	for i := 0; ; i++ {
		if i == maxSegments {
			return fmt.Errorf("imports: the VMDK needs more than %d segments of %d bytes", maxSegments, s.segSize)
		}
		if err := ctx.Err(); err != nil {
			return err // cancelled: no further segment is begun
		}
		name := fmt.Sprintf("%s%08d", prefix, i)
		cp.SegContainer, cp.Segments = segC, append(cp.Segments, name)
		if err := r.Checkpoint(cp); err != nil {
			return err
		}
		body := &io.LimitedReader{R: in, N: s.segSize}
		etag, err := s.objects.PutObject(ctx, p, t.Account, segC, name, body, -1)
		if err != nil {
			return err
		}
		n := s.segSize - body.N
		segs = append(segs, Segment{Path: "/" + segC + "/" + name, ETag: etag, Size: n})
		if n < s.segSize {
			break // the stream ended within this segment
		}
		if _, err := in.Peek(1); err == io.EOF {
			break // it ended exactly at the segment's end
		} else if err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	cp.Target = true
	if err := r.Checkpoint(cp); err != nil {
		return err
	}
	if len(segs) > 1 {
		return s.objects.PutManifest(ctx, p, t.Account, t.Container, t.Object, segs)
	}
	// One segment: the object itself, as the swift CLI uploads a short stream.
	if err := s.objects.CopyObject(ctx, p, t.Account, segC, cp.Segments[0], t.Container, t.Object); err != nil {
		return err
	}
	if err := s.objects.DeleteObject(ctx, p, t.Account, segC, cp.Segments[0]); err != nil && fault.KindOf(err) != fault.NotFound {
		s.log.Warn("removing the lone segment of an export failed", "segment", segC+"/"+cp.Segments[0], "err", err)
	}
	return nil
}

// dropExport removes what an export attempt recorded in cp: its
// segments and, when it had begun to write it, the target object. Missing
// objects are fine (a segment whose PUT never finished left nothing).
func (s *Service) dropExport(ctx context.Context, p *policy.Principal, t objectRef, cp exportCheckpoint) error {
	var errs []error
	if cp.Target {
		if err := s.objects.DeleteObject(ctx, p, t.Account, t.Container, t.Object); err != nil && fault.KindOf(err) != fault.NotFound {
			errs = append(errs, err)
		}
	}
	for _, name := range cp.Segments {
		if err := s.objects.DeleteObject(ctx, p, t.Account, cp.SegContainer, name); err != nil && fault.KindOf(err) != fault.NotFound {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// dropInterrupted removes what an interrupted earlier attempt of r left.
func (s *Service) dropInterrupted(ctx context.Context, r *job.Run, p *policy.Principal, t objectRef) error {
	var cp exportCheckpoint
	if ok, _ := r.LoadCheckpoint(&cp); !ok || cp.empty() {
		return nil
	}
	if err := s.dropExport(ctx, p, t, cp); err != nil {
		return err
	}
	return r.Checkpoint(exportCheckpoint{})
}

// dropTimeout bounds the removal of an export's segments by its handler.
const dropTimeout = 5 * time.Minute

// Cleanup retries: a removal that fails (the object store briefly
// unavailable) is tried cleanupTries times, waiting cleanupRetry, then
// twice as long each time.
var (
	cleanupTries = 5
	cleanupRetry = 2 * time.Second
)

// exportCleanup is the input of an export-cleanup job: what a failed
// export's last attempt recorded.
type exportCleanup struct {
	ImageID    string           `json:"image_id"`
	Target     objectRef        `json:"target"`
	Checkpoint exportCheckpoint `json:"checkpoint"`
}

// k5ExportFailed is the export kind's OnFail: when the job fails or is
// cancelled without its handler (its node died, or it was interrupted once
// too often), the segments its last attempt recorded are removed by a
// cleanup job submitted in this same transaction, so the removal is as
// durable as the failure: it survives a crash and is retried.
func (s *Service) k5ExportFailed(ctx context.Context, tx *sql.Tx, j *job.Job) error {
	var cp exportCheckpoint
	var in exportRequest
	if len(j.Checkpoint) == 0 || json.Unmarshal(j.Checkpoint, &cp) != nil || cp.empty() || j.DecodeInput(&in) != nil {
		return nil
	}
	_, err := s.jobs.Submit(ctx, tx, job.Spec{Kind: KindK5ExportCleanup, Project: j.Project, User: j.User,
		ResourceType: "export", ResourceID: j.ID, Input: exportCleanup{ImageID: in.ImageID, Target: in.Target, Checkpoint: cp}})
	return err
}

// runExportCleanup removes, as the export's user, what a failed export's
// last attempt left; removing is idempotent, so a resumed attempt simply
// starts again.
func (s *Service) runExportCleanup(ctx context.Context, r *job.Run) error {
	var in exportCleanup
	if err := r.Input(&in); err != nil {
		return err
	}
	p, err := s.ident.PrincipalFor(ctx, r.Job().User, r.Job().Project)
	if err != nil {
		return fault.Internalf(msgCleanupFailed).WithCause(err)
	}
	cp := in.Checkpoint
	if cp.Target {
		// The cleanup may run late (retries, its node died): an export
		// begun since then owns the object now and it must stay.
		taken, err := s.targetTaken(ctx, r.Job().Project, r.Job().ResourceID, in)
		if err != nil {
			return fault.Internalf(msgCleanupFailed).WithCause(err)
		}
		cp.Target = !taken
	}
	delay := cleanupRetry
	for try := 1; ; try++ {
		err := s.dropExport(ctx, p, in.Target, cp)
		if err == nil {
			return nil
		}
		if try == cleanupTries {
			return fault.Internalf(msgCleanupFailed).WithCause(err)
		}
		s.log.Warn("removing the segments of a failed export failed; retrying", "job_id", r.ID(), "export", r.Job().ResourceID, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay *= 2
	}
}

// targetTaken reports whether an export of the same image to the same
// object created after the failed export failedID is queued, running or
// done. (Exports of one image to one container never overlap: 40015.)
func (s *Service) targetTaken(ctx context.Context, project, failedID string, in exportCleanup) (bool, error) {
	failed, err := s.jobs.Get(ctx, project, failedID)
	if errors.Is(err, job.ErrNotFound) {
		return false, nil // removed after retention: nothing newer can be told apart
	}
	if err != nil {
		return false, err
	}
	jobs, err := s.jobs.List(ctx, job.Filter{Project: project, Kinds: []string{KindK5Export}, ResourceID: in.ImageID})
	if err != nil {
		return false, err
	}
	for _, j := range jobs {
		var other exportRequest
		if j.ID != failed.ID && j.CreatedAt.After(failed.CreatedAt) && j.State != job.Failed && j.State != job.Cancelled &&
			j.DecodeInput(&other) == nil && other.Target == in.Target {
			return true, nil
		}
	}
	return false, nil
}
