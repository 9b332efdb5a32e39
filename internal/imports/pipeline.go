package imports

import (
	"context"
	"errors"
	"fmt"

	"github.com/stratus-iaas/stratus/internal/blob"
	"github.com/stratus-iaas/stratus/internal/diskimage"
	"github.com/stratus-iaas/stratus/internal/diskimage/convert"
	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/image"
	"github.com/stratus-iaas/stratus/internal/job"
)

// The import pipeline, one pass over the source: the converter reads the
// object (inspected before any of it is trusted), hashes it (the SHA1 a
// K5 import is checked against), writes the image to a new blob and
// hashes that (the md5 and sha512 Glance records). The blob is committed
// (fsync) only after the checksums are verified, and published in the
// job's final transaction (job.Run.Finish).

// partial is a job's checkpoint: the blob key it is writing, so that a
// resumed attempt deletes what an interrupted one committed but never
// published.
type partial struct {
	Key string `json:"key"`
}

// newKey checkpoints a fresh blob key for image id's bytes, first
// deleting the blob an interrupted attempt may have left.
func (s *Service) newKey(ctx context.Context, r *job.Run, id string) (string, error) {
	var old partial
	if ok, _ := r.LoadCheckpoint(&old); ok && old.Key != "" {
		if err := s.images.Blobs().Delete(ctx, old.Key); err != nil {
			s.log.Warn("deleting an interrupted import's blob failed", "key", old.Key, "err", err)
		}
	}
	key := image.NewDataKey(id)
	if err := r.Checkpoint(partial{Key: key}); err != nil {
		return "", err
	}
	return key, nil
}

// newBlob starts a streamed blob of size bytes for image id's bytes.
func (s *Service) newBlob(ctx context.Context, r *job.Run, id string, size int64) (blob.Writer, string, error) {
	key, err := s.newKey(ctx, r, id)
	if err != nil {
		return nil, "", err
	}
	w, err := blob.CreateSized(ctx, s.images.Blobs(), key, size)
	return w, key, err
}

// converted is an image converted into an uncommitted blob.
type converted struct {
	w   blob.Writer
	key string
	res *convert.Result
}

// convertObject inspects obj (declared srcFormat) and converts it into
// a new raw blob of image id, reporting progress. The caller commits or
// aborts c.w.
func (s *Service) convertObject(ctx context.Context, r *job.Run, id string, obj Object, srcFormat string, srcHashes []string) (*converted, error) {
	info, err := diskimage.Inspect(obj, obj.Size(), diskimage.Format(srcFormat))
	if err == nil && !info.Safe {
		err = &diskimage.Error{Kind: diskimage.KindUnsafe, Format: srcFormat, Reason: "image failed safety checks"}
	}
	if err != nil {
		return nil, imageFault(err)
	}
	if info.VirtualSize > s.sizeCap {
		return nil, errImportTooLarge
	}
	key, err := s.newKey(ctx, r, id)
	if err != nil {
		return nil, err
	}
	// Raw output is written at offsets (holes skipped): a staged writer,
	// uploaded at Commit when the store is S3.
	w, err := s.images.Blobs().Stage(ctx, key)
	if err != nil {
		return nil, err
	}
	res, err := convert.Convert(ctx, convert.Source{ReaderAt: obj, Size: obj.Size()}, w, convert.Options{
		SrcFormat: srcFormat, DstFormat: "raw", SrcHashes: srcHashes, OutHashes: []string{"md5", "sha512"},
		Progress: r.Progress, Sync: true, SkipInspect: true, // inspected above
	})
	if err != nil {
		w.Abort()
		return nil, imageFault(err)
	}
	return &converted{w: w, key: key, res: res}, nil
}

// imageFault turns a refusal of the image into a public job failure; a
// cancelled context and I/O errors pass through.
func imageFault(err error) error {
	var de *diskimage.Error
	if !errors.As(err, &de) || de.Kind == diskimage.KindIO {
		return err
	}
	what := "is not a valid disk image"
	switch de.Kind {
	case diskimage.KindUnsafe:
		what = "is not safe to use"
	case diskimage.KindUnsupported:
		what = "is not supported"
	}
	f := de.Format
	if f == "" {
		f = "disk"
	}
	return fault.Invalidf("The %s image %s: %s.", f, what, de.Reason).WithCause(err)
}

// data is the image.Data of a converted image.
func (c *converted) data(format string) image.Data {
	vs := c.res.VirtualSize
	return image.Data{Size: c.res.OutBytes, MD5: c.res.OutSums["md5"], SHA512: c.res.OutSums["sha512"],
		VirtualSize: &vs, DiskFormat: format}
}

// objectFault is the job failure for a source object p cannot read.
func objectFault(path string, err error) error {
	switch fault.KindOf(err) {
	case fault.NotFound:
		return fault.Invalidf("The object %s is not found.", path).WithCause(err)
	case fault.Forbidden, fault.Unauthorized:
		return fault.Invalidf("The object %s cannot be read with the importing user's privileges.", path).WithCause(err)
	}
	return fmt.Errorf("open %s: %w", path, err)
}
