package image

import (
	"context"
	"crypto/md5"
	"crypto/sha512"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/stratus-iaas/stratus/internal/blob"
	"github.com/stratus-iaas/stratus/internal/diskimage"
	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/hashcopy"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Upload streams an image's bytes: queued → saving → active. size is the
// declared length (Content-Length or x-openstack-image-size), -1 when
// unknown. On any failure the bytes are discarded and the image returns
// to queued.
func (s *Service) Upload(ctx context.Context, p *policy.Principal, id string, body io.Reader, size int64) (*Image, error) {
	if size > s.sizeCap {
		return nil, tooLarge(s.sizeCap)
	}
	var im *Image
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if im, err = s.visible(ctx, tx, p, id); err != nil {
			return err
		}
		if !canModify(p, im) {
			return notAuthorized("upload_image")
		}
		conflict := fault.Conflictf("Image status transition from %s to %s is not allowed", im.Status, StatusSaving)
		if im.Status != StatusQueued && im.Status != StatusSaving {
			return conflict
		}
		if im.DiskFormat == nil || im.ContainerFormat == nil {
			return fault.Invalidf("Properties disk_format, container_format must be set prior to saving data.")
		}
		// From saving only when the node that was receiving has gone.
		now := store.Now()
		err = startSaving(ctx, tx, id, s.node, now, now+s.lease.Microseconds())
		if errors.Is(err, store.ErrConflict) {
			return conflict
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	stopRenewing := s.renewWhileSaving(id)
	d, key, err := s.receive(ctx, im, body, size)
	stopRenewing()
	if err != nil {
		s.requeue(id)
		return nil, err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		cur, err := getImage(ctx, tx, id)
		if err != nil {
			return err
		}
		if cur.Status != StatusSaving {
			return fault.Conflictf("Image status transition from %s to %s is not allowed", cur.Status, StatusActive)
		}
		algo := "sha512"
		cur.Size, cur.Checksum, cur.HashAlgo, cur.HashValue, cur.VirtualSize = &d.Size, &d.MD5, &algo, &d.SHA512, d.VirtualSize
		cur.BlobKey, cur.Status, cur.UpdatedAt = key, StatusActive, time.Now().UTC()
		im = cur
		return updateImage(ctx, tx, cur, false)
	})
	if err != nil {
		s.blobs.Delete(context.WithoutCancel(ctx), key)
		if isNotFound(err) {
			return nil, fault.New(fault.Gone, "Image %s could not be found after upload. The image may have been deleted during the upload.", id)
		}
		s.requeue(id)
		return nil, err
	}
	return im, nil
}

// renewWhileSaving renews this node's lease on image id every third of
// the lease until the returned stop is called.
func (s *Service) renewWhileSaving(id string) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(s.lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), s.lease/3)
				err := s.db.Tx(ctx, func(tx *sql.Tx) error {
					return renewLease(ctx, tx, id, s.node, store.Now()+s.lease.Microseconds())
				})
				cancel()
				if err != nil {
					s.log.Warn("renewing an upload lease failed", "image_id", id, "err", err)
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}

func (s *Service) requeue(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := setStatus(ctx, tx, id, StatusSaving, StatusQueued); err != nil && !errors.Is(err, store.ErrConflict) {
			return err
		}
		return nil
	})
}

func tooLarge(limit int64) error {
	return fault.New(fault.TooLarge, "The incoming image is too large: image size exceeds the limit of %d bytes", limit)
}

// receive writes body to a new blob, hashing as it goes, inspects the
// content against the declared disk_format, and commits (fsync).
func (s *Service) receive(ctx context.Context, im *Image, body io.Reader, size int64) (Data, string, error) {
	key := uploadKey(im.ID)
	w, err := blob.CreateSized(ctx, s.blobs, key, size)
	if err != nil {
		return Data{}, "", err
	}
	limit := s.sizeCap
	if size >= 0 {
		limit = size
	}
	hs, err := copyHashed(ctx, w, body, limit)
	if err != nil {
		w.Abort()
		return Data{}, "", err
	}
	if size >= 0 && hs.over {
		// Only the declared bytes were read; the body had more.
		w.Abort()
		return Data{}, "", fault.Invalidf("Size of uploaded data exceeds the declared size (%d bytes).", size)
	}
	if size >= 0 && hs.n != size {
		w.Abort()
		return Data{}, "", fault.Invalidf("Size of uploaded data (%d bytes) does not match the declared size (%d bytes).", hs.n, size)
	}
	if size < 0 && hs.over {
		w.Abort()
		return Data{}, "", tooLarge(s.sizeCap)
	}
	ra, readBack := w.(io.ReaderAt)
	if !readBack {
		vsize, err := s.inspectCommitted(ctx, w, key, hs, im)
		if err != nil {
			return Data{}, "", err
		}
		return Data{Size: hs.n, MD5: hs.md5, SHA512: hs.sha512, VirtualSize: vsize}, key, nil
	}
	vsize, err := inspect(ra, hs, im)
	if err != nil {
		w.Abort()
		return Data{}, "", err
	}
	if err := w.Commit(); err != nil {
		return Data{}, "", err
	}
	return Data{Size: hs.n, MD5: hs.md5, SHA512: hs.sha512, VirtualSize: vsize}, key, nil
}

// inspectCommitted inspects an upload whose writer cannot be read back
// before Commit (S3): the key is fresh and no row names it yet, so it is
// committed first and the stored bytes are inspected through ranged reads,
// with the same verdict as the filesystem's read-back; a refused upload's
// key is deleted.
func (s *Service) inspectCommitted(ctx context.Context, w blob.Writer, key string, hs *hashResult, im *Image) (*int64, error) {
	if err := w.Commit(); err != nil {
		return nil, err
	}
	r, err := s.blobs.Open(ctx, key)
	var vsize *int64
	if err == nil {
		vsize, err = inspect(r, hs, im)
		r.Close()
	}
	if err != nil {
		s.blobs.Delete(context.WithoutCancel(ctx), key)
		return nil, err
	}
	return vsize, nil
}

// archiveContainers hold a disk inside an archive: their bytes are not
// the disk, so they are not compared with disk_format.
var archiveContainers = map[string]bool{"ova": true, "docker": true, "compressed": true}

// inspect refuses content that is unsafe or not what disk_format says, and
// returns the virtual size. Every upload is inspected, whatever its
// container_format and disk_format: where the declaration cannot be
// compared with the bytes (an archive container, or a disk format the
// inspector does not know), content that is itself a disk image of
// another format is refused, since such images can name other files
// (backing files, extents, parents) that whoever trusts the declaration
// would open; content that is a safe image of the declared format, or no
// image at all (an archive), is kept.
// ra reads the uploaded bytes back; when nil, the head and tail kept by
// copyHashed are inspected.
func inspect(ra io.ReaderAt, hs *hashResult, im *Image) (*int64, error) {
	declared, known := diskimage.Format(""), false
	if im.DiskFormat != nil {
		if f, err := diskimage.ParseFormat(*im.DiskFormat); err == nil && f != "" {
			declared, known = f, true
		}
	}
	archive := im.ContainerFormat != nil && archiveContainers[*im.ContainerFormat]
	compare := declared
	if archive {
		compare = ""
	}
	var info *diskimage.Info
	var err error
	if ra != nil {
		info, err = diskimage.Inspect(ra, hs.n, compare)
	} else {
		info, err = diskimage.InspectHeadTail(hs.head, hs.tail, hs.n, compare)
	}
	if err == nil && info != nil && !info.Safe {
		err = &diskimage.Error{Kind: diskimage.KindUnsafe, Reason: "image failed safety checks"}
	}
	asDeclared := info != nil && known && info.Format == declared
	if err == nil && info != nil && (archive || !known) && isDiskImage(info.Format) && !asDeclared {
		err = &diskimage.Error{Kind: diskimage.KindUnsafe, Reason: fmt.Sprintf(
			"content is a %s image, which may refer to other files, but the image declares disk_format %s", info.Format, deref(im.DiskFormat))}
	}
	if err != nil {
		var de *diskimage.Error
		if errors.As(err, &de) && de.Kind != diskimage.KindIO {
			return nil, fault.Invalidf("Image content does not match the disk_format or is not safe to use: %s", de.Reason).WithCause(err)
		}
		return nil, err
	}
	if info == nil || (compare == "" && !asDeclared) {
		return nil, nil // the size of an archive is not a disk's
	}
	v := info.VirtualSize
	return &v, nil
}

// isDiskImage reports whether f is an image format with metadata of its
// own (and so possibly references to other files), as opposed to a plain
// disk (raw, a partition table, an ISO).
func isDiskImage(f diskimage.Format) bool {
	switch f {
	case diskimage.FormatRaw, diskimage.FormatGPT, diskimage.FormatMBR, diskimage.FormatISO:
		return false
	}
	return true
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

type hashResult struct {
	n          int64
	over       bool // more than limit bytes were offered
	md5        string
	sha512     string
	head, tail []byte
}

// copyHashed copies at most limit bytes of r to w, computing md5 and
// sha512 on the way (hashcopy runs each on its own core). When w cannot be
// read back (no io.ReaderAt), it keeps the head and tail of the stream for
// inspection.
func copyHashed(ctx context.Context, w io.Writer, r io.Reader, limit int64) (*hashResult, error) {
	md5h, shah := md5.New(), sha512.New()
	side := []io.Writer{md5h, shah}
	var ends *headTail
	if _, readBack := w.(io.ReaderAt); !readBack {
		ends = &headTail{}
		side = append(side, ends)
	}
	res, err := hashcopy.Copy(ctx, w, r, limit, side...)
	if err != nil {
		return nil, err
	}
	hs := &hashResult{
		n:      res.N,
		over:   res.Over,
		md5:    hex.EncodeToString(md5h.Sum(nil)),
		sha512: hex.EncodeToString(shah.Sum(nil)),
	}
	if ends != nil {
		hs.head, hs.tail = ends.head, ends.tail
	}
	return hs, nil
}

// headTail keeps the first FullPrefixSize and last TailSize bytes written.
type headTail struct{ head, tail []byte }

func (e *headTail) Write(b []byte) (int, error) {
	if len(e.head) < diskimage.FullPrefixSize {
		e.head = append(e.head, b[:min(len(b), diskimage.FullPrefixSize-len(e.head))]...)
	}
	e.tail = append(e.tail, b[max(0, len(b)-diskimage.TailSize):]...)
	if len(e.tail) > diskimage.TailSize {
		e.tail = e.tail[len(e.tail)-diskimage.TailSize:]
	}
	return len(b), nil
}

// Download opens an image's bytes for p. It returns a nil reader when
// the image has no data (the handler answers 204).
func (s *Service) Download(ctx context.Context, p *policy.Principal, id string) (*Image, io.ReadSeekCloser, int64, error) {
	im, err := s.visible(ctx, s.r, p, id)
	if err != nil {
		return nil, nil, 0, err
	}
	if im.Status == StatusDeactivated && !p.IsAdmin() {
		return nil, nil, 0, fault.Forbiddenf("The requested image has been deactivated. Image data download is forbidden.")
	}
	if im.Status != StatusActive && im.Status != StatusDeactivated || !im.hasData() {
		return im, nil, 0, nil
	}
	r, err := s.blobs.Open(ctx, im.BlobKey)
	if errors.Is(err, blob.ErrNotFound) {
		return nil, nil, 0, fault.NotFoundf("Image data for %s could not be found", id)
	}
	if err != nil {
		return nil, nil, 0, err
	}
	if f, ok := blob.OSFile(r); ok {
		return im, f, r.Size(), nil // sendfile(2) on the local store
	}
	return im, r, r.Size(), nil
}
