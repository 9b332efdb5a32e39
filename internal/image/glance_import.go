package image

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"net/netip"
	"net/url"

	"github.com/stratus-iaas/stratus/internal/blob"
	"github.com/stratus-iaas/stratus/internal/diskimage"
	"github.com/stratus-iaas/stratus/internal/diskimage/convert"
	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/job"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// KindGlanceImport is the job kind of Glance's interoperable import.
const KindGlanceImport = "image.glanceImport"

// Import methods served (GET /v2/info/import).
var ImportMethods = []string{"glance-direct", "web-download"}

// importJobInput is a Glance import job's input (Glance's task input:
// image_id, import_req, backend).
type importJobInput struct {
	ImageID   string          `json:"image_id"`
	ImportReq json.RawMessage `json:"import_req"`
	Backend   []string        `json:"backend"`
	Method    string          `json:"method"`
	URI       string          `json:"uri,omitempty"`
	RequestID string          `json:"request_id,omitempty"` // of the import request, shown on the task
}

// validateImport checks the body as Glance's deserializer does.
func (s *Service) validateImport(raw map[string]json.RawMessage) (name, uri string, err error) {
	m, ok := raw["method"]
	if !ok {
		return "", "", fault.Invalidf("Import request requires a 'method' field.")
	}
	var method map[string]json.RawMessage
	if err := json.Unmarshal(m, &method); err != nil {
		return "", "", fault.Invalidf("Import request requires a 'method' field.")
	}
	if err := json.Unmarshal(method["name"], &name); err != nil || method["name"] == nil {
		return "", "", fault.Invalidf("Import request requires a 'name' field.")
	}
	known := false
	for _, mm := range ImportMethods {
		known = known || mm == name
	}
	if !known {
		return "", "", fault.Invalidf("Unknown import method name '%s'.", name)
	}
	for _, k := range []string{"all_stores_must_succeed", "all_stores"} {
		if v, ok := raw[k]; ok {
			var b bool
			if json.Unmarshal(v, &b) != nil {
				return "", "", fault.Invalidf("'%s' must be boolean value only", k)
			}
		}
	}
	if name == "web-download" {
		json.Unmarshal(method["uri"], &uri)
		u, ok := s.web.CheckURL(uri)
		if ok {
			// An address written in the URI is checked now; names when connecting.
			if ip, err := netip.ParseAddr(u.Hostname()); err == nil && internal(ip) && !s.web.addrListed(ip) && !s.web.hostListed(u.Hostname()) {
				ok = false
			}
		}
		if !ok {
			return "", "", fault.Invalidf("URI for web-download does not pass filtering: %s", uri)
		}
	}
	return name, uri, nil
}

// ImportImage starts Glance's import of image id (202): glance-direct
// publishes the staged data, web-download fetches uri. It returns the
// task (job) id.
func (s *Service) ImportImage(ctx context.Context, p *policy.Principal, id string, raw map[string]json.RawMessage, body []byte) (string, error) {
	if s.jobs == nil {
		return "", fault.NotImplementedf("Image import is not enabled.")
	}
	method, uri, err := s.validateImport(raw)
	if err != nil {
		return "", err
	}
	taskID := newID()
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		im, err := s.visible(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if !canModify(p, im) {
			return notAuthorized("import_image")
		}
		switch {
		case im.Status == StatusActive:
			return fault.Conflictf("Image with status active cannot be target for import")
		case method == "web-download" && im.Status != StatusQueued:
			return fault.Conflictf("Image needs to be in 'queued' state to use 'web-download' method")
		case method == "glance-direct" && im.Status != StatusUploading:
			return fault.Conflictf("Image needs to be staged before 'glance-direct' method can be used")
		case im.ContainerFormat == nil:
			return fault.Conflictf("'container_format' needs to be set before import")
		case im.DiskFormat == nil:
			return fault.Conflictf("'disk_format' needs to be set before import")
		}
		if method == "glance-direct" {
			st, err := getStaged(ctx, tx, id)
			if err != nil {
				return err
			}
			if st.Key == "" {
				return fault.Conflictf("Image needs to be staged before 'glance-direct' method can be used")
			}
		}
		from := []Status{StatusQueued, StatusUploading}
		if _, err := s.StartImportTx(ctx, tx, p, id, taskID, from...); err != nil {
			return err
		}
		in := importJobInput{ImageID: id, ImportReq: body, Backend: []string{}, Method: method, URI: uri,
			RequestID: httpapi.RequestID(ctx)}
		_, err = s.jobs.Submit(ctx, tx, job.Spec{ID: taskID, Kind: KindGlanceImport, Project: p.ProjectID, User: p.UserID,
			ResourceType: "image", ResourceID: id, Input: in})
		return err
	})
	return taskID, err
}

// runGlanceImport is the image.glanceImport job.
func (s *Service) runGlanceImport(ctx context.Context, r *job.Run) error {
	var in importJobInput
	if err := r.Input(&in); err != nil {
		return err
	}
	im, err := getImage(ctx, s.r, in.ImageID)
	if err != nil || im.Status != StatusImporting {
		return fault.Conflictf("Image %s is no longer being imported.", in.ImageID)
	}
	st, err := getStaged(ctx, s.r, in.ImageID)
	if err != nil {
		return err
	}
	if in.Method == "web-download" {
		if st, err = s.download(ctx, r, im, in.URI); err != nil {
			return err
		}
	}
	if st.Key == "" {
		return fault.Conflictf("Image %s has no staged data.", in.ImageID)
	}
	rd, err := s.blobs.Open(ctx, st.Key)
	if err != nil {
		return err
	}
	defer rd.Close()
	vs, err := inspectAt(rd, st.Size, im)
	if err != nil {
		return err
	}
	key, d := st.Key, Data{Size: st.Size, MD5: st.MD5, SHA512: st.SHA512, VirtualSize: vs}
	if s.importConvert == "raw" && convertible(im) {
		if key, d, err = s.convertStaged(ctx, r, im, rd); err != nil {
			return err
		}
	}
	err = r.Finish(ctx, map[string]string{"image_id": im.ID}, func(tx *sql.Tx) error {
		if err := setStaged(ctx, tx, im.ID, staged{}); err != nil {
			return err
		}
		return s.PublishDataTx(ctx, tx, im.ID, key, d)
	})
	if err != nil {
		if key != st.Key {
			s.blobs.Delete(context.WithoutCancel(ctx), key)
		}
		return err
	}
	if key != st.Key {
		s.blobs.Delete(context.WithoutCancel(ctx), st.Key)
	}
	return nil
}

// download fetches uri into a staging blob of im and records it.
func (s *Service) download(ctx context.Context, r *job.Run, im *Image, uri string) (staged, error) {
	body, size, err := s.web.Open(ctx, uri)
	if err != nil {
		if ctx.Err() != nil {
			return staged{}, ctx.Err()
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return staged{}, fault.Invalidf("web-download of %s failed: %v", uri, err)
	}
	defer body.Close()
	if size > s.sizeCap {
		return staged{}, tooLarge(s.sizeCap)
	}
	st, err := s.receiveStaged(ctx, im.ID, &countingReader{r: body, total: size, run: r}, size)
	if err != nil {
		return staged{}, err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error { return setStaged(ctx, tx, im.ID, st) })
	if err != nil {
		s.blobs.Delete(context.WithoutCancel(ctx), st.Key)
	}
	return st, err
}

// inspectAt refuses data that is unsafe or not im's disk_format and
// returns its virtual size.
func inspectAt(rd blob.Reader, size int64, im *Image) (*int64, error) {
	hs := &hashResult{n: size}
	return inspect(readerAtWriter{rd}, hs, im)
}

// readerAtWriter lets inspect read committed data through its writer
// parameter (it only reads).
type readerAtWriter struct{ io.ReaderAt }

func (readerAtWriter) Write(p []byte) (int, error) { return 0, errors.New("read-only") }
func (readerAtWriter) Commit() error               { return nil }
func (readerAtWriter) Abort() error                { return nil }

// convertible reports whether the import converts im's data to raw.
func convertible(im *Image) bool {
	if im.DiskFormat == nil {
		return false
	}
	switch *im.DiskFormat {
	case "qcow2", "vmdk", "vhd", "vhdx":
		return im.ContainerFormat == nil || *im.ContainerFormat == "bare"
	}
	return false
}

// convertStaged converts the staged data to a new raw blob.
func (s *Service) convertStaged(ctx context.Context, r *job.Run, im *Image, rd blob.Reader) (string, Data, error) {
	key := uploadKey(im.ID)
	// Raw output is written at offsets (holes skipped): a staged writer.
	w, err := s.blobs.Stage(ctx, key)
	if err != nil {
		return "", Data{}, err
	}
	res, err := convert.Convert(ctx, convert.Source{ReaderAt: rd, Size: rd.Size()}, w, convert.Options{
		SrcFormat: *im.DiskFormat, DstFormat: "raw", OutHashes: []string{"md5", "sha512"}, Progress: r.Progress,
		Sync: true, SkipInspect: true})
	if err == nil {
		err = w.Commit()
	} else {
		w.Abort()
	}
	if err != nil {
		var de *diskimage.Error
		if errors.As(err, &de) && de.Kind != diskimage.KindIO {
			return "", Data{}, fault.Invalidf("Image conversion failed: %s", de.Reason).WithCause(err)
		}
		return "", Data{}, err
	}
	vs := res.VirtualSize
	return key, Data{Size: res.OutBytes, MD5: res.OutSums["md5"], SHA512: res.OutSums["sha512"], VirtualSize: &vs, DiskFormat: "raw"}, nil
}

// glanceImportFailed puts the image back in queued with
// os_glance_failed_import, as Glance does; staged data is dropped.
func (s *Service) glanceImportFailed(ctx context.Context, tx *sql.Tx, j *job.Job) error {
	if err := s.AbandonImportTx(ctx, tx, j.ResourceID, j.Message, false); err != nil {
		return err
	}
	st, err := getStaged(ctx, tx, j.ResourceID)
	if err != nil || st.Key == "" {
		return nil
	}
	s.blobs.Delete(ctx, st.Key) // before commit: at worst the row names a missing blob, never the reverse
	return setStaged(ctx, tx, j.ResourceID, staged{})
}

// countingReader reports download progress to a job.
type countingReader struct {
	r     io.Reader
	n     int64
	total int64
	run   *job.Run
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.run.Progress(c.n, c.total)
	return n, err
}
