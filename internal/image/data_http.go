package image

import (
	"net/http"
	"strconv"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
)

// uploadImageData serves PUT /v2/images/{image_id}/file. The body is
// streamed to the blob store; its length comes from Content-Length or,
// for chunked uploads, x-openstack-image-size.
func (s *Service) uploadImageData(w http.ResponseWriter, r *http.Request) error {
	size := int64(-1)
	if r.ContentLength >= 0 {
		size = r.ContentLength
	}
	if v := r.Header.Get("X-Openstack-Image-Size"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return fault.Invalidf("x-openstack-image-size must be a non-negative integer")
		}
		if size >= 0 && n != size {
			return fault.Invalidf("Size of uploaded data (%d bytes) does not match the declared size (%d bytes).", size, n)
		}
		size = n
	}
	if _, err := s.Upload(r.Context(), principal(r), r.PathValue("image_id"), r.Body, size); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// downloadImageData serves GET /v2/images/{image_id}/file: 204 when the
// image has no data, ranges as 206, Content-MD5 on whole-body replies.
func (s *Service) downloadImageData(w http.ResponseWriter, r *http.Request) error {
	im, rd, size, err := s.Download(r.Context(), principal(r), r.PathValue("image_id"))
	if err != nil {
		return err
	}
	if rd == nil {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	defer rd.Close()
	rng, err := downloadRange(r.Header, size)
	if err != nil {
		return err
	}
	if rng != "" {
		r.Header.Set("Range", rng) // a legacy Content-Range becomes the Range served
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	if rng == "" && im.Checksum != nil {
		h.Set("Content-MD5", *im.Checksum)
	}
	http.ServeContent(w, r, "", time.Time{}, rd)
	return nil
}
