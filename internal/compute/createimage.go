package compute

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"strconv"

	"github.com/stratus-iaas/stratus/internal/diskimage/convert"
	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/image"
	"github.com/stratus-iaas/stratus/internal/job"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// Job kinds (append-only names).
const (
	kindCreateImage = "server.createImage"
	kindShelve      = "server.shelve"
)

// snapshotInput is a snapshot job's input.
type snapshotInput struct {
	ServerID string `json:"server_id"`
	ImageID  string `json:"image_id"`
	Format   string `json:"format"` // qcow2 or raw
	Shelve   bool   `json:"shelve,omitempty"`
	// BackupType and Rotation are createBackup's: once the image is
	// active, the oldest backups of that type beyond Rotation go.
	BackupType string `json:"backup_type,omitempty"`
	Rotation   int    `json:"rotation,omitempty"`
}

// snapshotTasks are the task states of a server whose disk is being
// copied into an image.
var snapshotTasks = []string{taskImageSnapshot, taskImageBackup, taskImagePendingUp, taskImageUploading, taskShelving, taskShelvingImageUp}

// registerJobs registers the snapshot kinds with the job engine.
func (s *Service) registerJobs() {
	if s.jobs == nil {
		return
	}
	for _, k := range []string{kindCreateImage, kindShelve} {
		s.jobs.Register(job.Kind{Name: k, Handler: s.runSnapshot, Resumable: true, MaxAttempts: 3,
			FailMessage: "The snapshot of the server failed.", OnFail: s.snapshotFailed})
	}
}

// snapshotImage creates the queued image a snapshot fills: the server's
// image properties (Nova's initialize_instance_snapshot_metadata), then
// instance_uuid, user_id, image_type, and the caller's metadata.
func (s *Service) snapshotImage(ctx context.Context, p *policy.Principal, sv *Server, name, imageType string, md map[string]string) (*image.Image, error) {
	props := map[string]string{}
	var minRAM, minDisk int64
	for k, v := range sv.SystemMetadata {
		key, ok := cutPrefix(k, "image_")
		if !ok {
			continue
		}
		switch key {
		case "min_ram":
			minRAM, _ = strconv.ParseInt(v, 10, 64)
		case "min_disk":
			minDisk, _ = strconv.ParseInt(v, 10, 64)
		case "disk_format", "container_format", "mappings", "block_device_mapping", "img_mappings", "img_block_device_mapping",
			"cinder_encryption_key_id", "cinder_encryption_key_deletion_policy", "img_signature", "img_signature_hash_method",
			"img_signature_key_type", "img_signature_certificate_uuid":
		default:
			if len(key) < 10 || key[:10] != "os_glance_" {
				props[key] = v
			}
		}
	}
	props["image_location"], props["image_state"], props["owner_id"] = "snapshot", "available", sv.ProjectID
	props["instance_uuid"], props["user_id"], props["image_type"] = sv.ID, p.UserID, imageType
	vis := "private"
	if p.ProjectID != sv.ProjectID {
		vis = "shared"
		props["instance_owner"] = sv.ProjectID
	}
	for k, v := range md {
		props[k] = v
	}
	format, bare := s.snapshotFormat, "bare"
	return s.images.CreateImage(ctx, p, image.Fields{Name: &name, DiskFormat: &format, ContainerFormat: &bare, Visibility: &vis,
		MinRAM: &minRAM, MinDisk: &minDisk, Properties: props})
}

func cutPrefix(s, p string) (string, bool) {
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):], true
	}
	return s, false
}

// CreateImage is seed 003's createImage: the image is created queued at
// once and a job fills it with the server's disk. The server shows task
// image_snapshot meanwhile.
func (s *Service) CreateImage(ctx context.Context, p *policy.Principal, id, name string, md map[string]string, requestID string) (string, error) {
	sv, err := s.Server(ctx, p, id)
	if err != nil {
		return "", err
	}
	if s.jobs == nil {
		return "", fault.Invalidf("Snapshots are disabled on this deployment.")
	}
	c := check{action: "createImage", vms: []string{vmActive, vmStopped, vmPaused, vmSuspended}, tasks: idle}
	if err := sv.checkState(c.action, c.vms, c.tasks, false); err != nil {
		return "", err
	}
	im, err := s.snapshotImage(ctx, p, sv, name, "snapshot", md)
	if err != nil {
		return "", err
	}
	if err := s.startSnapshot(ctx, p, id, c, taskImageSnapshot, kindCreateImage, im.ID, requestID, nil); err != nil {
		s.images.DeleteImage(context.WithoutCancel(ctx), p, im.ID)
		return "", err
	}
	s.recordAction(ctx, nil, p, id, requestID, "createImage")
	return im.ID, nil
}

// CreateBackup is createBackup: a snapshot with image_type backup and
// backup_type, after which the server's backups of that type are rotated
// to the newest rotation ones.
func (s *Service) CreateBackup(ctx context.Context, p *policy.Principal, id, name, backupType string, rotation int, md map[string]string, requestID string) (string, error) {
	sv, err := s.Server(ctx, p, id)
	if err != nil {
		return "", err
	}
	if s.jobs == nil {
		return "", fault.Invalidf("Snapshots are disabled on this deployment.")
	}
	c := check{action: "createBackup", vms: []string{vmActive, vmStopped, vmPaused, vmSuspended}, tasks: idle}
	if err := sv.checkState(c.action, c.vms, c.tasks, false); err != nil {
		return "", err
	}
	props := map[string]string{"backup_type": backupType}
	for k, v := range md {
		props[k] = v
	}
	im, err := s.snapshotImage(ctx, p, sv, name, "backup", props)
	if err != nil {
		return "", err
	}
	in := snapshotInput{BackupType: backupType, Rotation: rotation}
	if err := s.startSnapshotInput(ctx, p, id, c, taskImageBackup, kindCreateImage, im.ID, in, nil); err != nil {
		s.images.DeleteImage(context.WithoutCancel(ctx), p, im.ID)
		return "", err
	}
	s.recordAction(ctx, nil, p, id, requestID, "createBackup")
	return im.ID, nil
}

// ImageLister is the optional part of Images that lists images (backup
// rotation).
type ImageLister interface {
	ListImages(ctx context.Context, p *policy.Principal, o image.ListOptions) ([]*image.Image, bool, error)
}

// rotateBackups deletes a server's backups of a type beyond the newest
// rotation ones, as Nova's _rotate_backups.
func (s *Service) rotateBackups(ctx context.Context, p *policy.Principal, serverID, backupType string, rotation int) error {
	il, ok := s.images.(ImageLister)
	if !ok {
		return nil
	}
	list, _, err := il.ListImages(ctx, p, image.ListOptions{Visibility: "all",
		Properties: map[string]string{"instance_uuid": serverID, "image_type": "backup", "backup_type": backupType},
		Sort:       []image.SortKey{{Key: "created_at", Desc: true}}, Limit: 1000})
	if err != nil {
		return err
	}
	for i := rotation; i < len(list); i++ {
		if err := s.images.DeleteImage(ctx, p, list[i].ID); err != nil && !isNotFound(err) {
			return err
		}
	}
	return nil
}

// startSnapshot sets the server's task state and submits the snapshot job
// in one transaction.
func (s *Service) startSnapshot(ctx context.Context, p *policy.Principal, id string, c check, task, kind, imageID, requestID string, also func(sv *Server)) error {
	return s.startSnapshotInput(ctx, p, id, c, task, kind, imageID, snapshotInput{}, also)
}

func (s *Service) startSnapshotInput(ctx context.Context, p *policy.Principal, id string, c check, task, kind, imageID string, in snapshotInput, also func(sv *Server)) error {
	_, err := s.mutate(ctx, id, func(tx *sql.Tx, sv *Server) error {
		if sv.DeletedAt != 0 {
			return serverNotFound(id)
		}
		if c.lock {
			if err := sv.checkLock(p.IsAdmin()); err != nil {
				return err
			}
		}
		if err := sv.checkState(c.action, c.vms, c.tasks, c.mustLaunch); err != nil {
			return err
		}
		sv.TaskState = strp(task)
		if also != nil {
			also(sv)
		}
		in.ServerID, in.ImageID, in.Format, in.Shelve = sv.ID, imageID, s.snapshotFormat, kind == kindShelve
		_, err := s.jobs.Submit(ctx, tx, job.Spec{Kind: kind, Project: sv.ProjectID, User: p.UserID, ResourceType: "server",
			ResourceID: sv.ID, Input: in})
		return err
	})
	return err
}

// runSnapshot copies a server's disk into its image: the driver's
// point-in-time copy, converted (qcow2, or raw by configuration) into a
// temp blob with its checksums, committed (fsync), then published; the
// server's task state is cleared when the job succeeds.
func (s *Service) runSnapshot(ctx context.Context, r *job.Run) error {
	var in snapshotInput
	if err := r.Input(&in); err != nil {
		return err
	}
	s.setTask(ctx, in.ServerID, snapshotTasks, map[bool]string{false: taskImageUploading, true: taskShelvingImageUp}[in.Shelve])
	snap, err := s.driver.SnapshotSource(ctx, in.ServerID)
	if err != nil {
		return fault.Internalf("The server's disk could not be read.").WithCause(err)
	}
	defer snap.Release()
	f, err := os.Open(snap.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	key := image.DataKey(in.ImageID) + "." + r.ID()[:8] + strconv.Itoa(r.Attempt())
	// qcow2 and raw output is written at offsets: a staged writer (on
	// S3, a local file uploaded at Commit).
	w, err := s.blobs.Stage(ctx, key)
	if err != nil {
		return err
	}
	res, err := convert.Convert(ctx, convert.Source{ReaderAt: f, Size: st.Size()}, w, convert.Options{SrcFormat: snap.Format,
		DstFormat: in.Format, OutHashes: []string{"md5", "sha512"}, Progress: r.Progress})
	if err == nil {
		err = w.Commit()
	}
	if err != nil {
		w.Abort()
		return err
	}
	vs := res.VirtualSize
	d := image.Data{Size: res.OutBytes, MD5: res.OutSums["md5"], SHA512: res.OutSums["sha512"], VirtualSize: &vs}
	if err := s.images.PublishData(context.WithoutCancel(ctx), in.ImageID, key, d); err != nil {
		s.blobs.Delete(context.WithoutCancel(ctx), key)
		return err
	}
	if in.Shelve {
		return s.offload(ctx, r, in)
	}
	if in.BackupType != "" {
		p := &policy.Principal{UserID: r.Job().User, ProjectID: r.Job().Project, Roles: []string{"member"}}
		if err := s.rotateBackups(context.WithoutCancel(ctx), p, in.ServerID, in.BackupType, in.Rotation); err != nil {
			s.log.Warn("backups not rotated", "server", in.ServerID, "err", err)
		}
	}
	return r.Finish(ctx, map[string]string{"image_id": in.ImageID}, func(tx *sql.Tx) error {
		return clearTask(ctx, tx, in.ServerID, snapshotTasks)
	})
}

// setTask moves a server's task state along when it is one of from.
func (s *Service) setTask(ctx context.Context, id string, from []string, to string) {
	s.mutate(context.WithoutCancel(ctx), id, func(tx *sql.Tx, sv *Server) error {
		if !contains(from, sv.task()) {
			return errSkip
		}
		sv.TaskState = strp(to)
		return nil
	})
}

// clearTask clears a server's task state in tx when it is one of from.
func clearTask(ctx context.Context, tx *sql.Tx, id string, from []string) error {
	sv, err := getServerRow(ctx, tx, id)
	if err != nil || !contains(from, sv.task()) {
		return nil
	}
	prev := sv.UpdatedAt
	sv.TaskState = nil
	return writeServer(ctx, tx, sv, prev)
}

// snapshotFailed is the jobs' OnFail: the server's task state is cleared
// and the image deleted, as Nova deletes the image of a failed snapshot.
// It runs in the engine's transaction, so the image service (which writes
// in its own) is called once that one has committed.
func (s *Service) snapshotFailed(ctx context.Context, tx *sql.Tx, j *job.Job) error {
	var in snapshotInput
	if err := json.Unmarshal(j.Input, &in); err != nil {
		return nil
	}
	if err := clearTask(ctx, tx, in.ServerID, snapshotTasks); err != nil && !errors.Is(err, errRaced) {
		return err
	}
	p := &policy.Principal{UserID: j.User, ProjectID: j.Project, Roles: []string{"member"}}
	go func() {
		if err := s.images.DeleteImage(context.Background(), p, in.ImageID); err != nil && fault.KindOf(err) != fault.NotFound {
			s.log.Warn("image of a failed snapshot not deleted", "image", in.ImageID, "err", err)
		}
	}()
	return nil
}
