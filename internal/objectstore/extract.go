package objectstore

import (
	"archive/tar"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/store"
)

// extractArchive is PUT /v1/{account}[/{container}]?extract-archive=
// tar|tar.gz|tar.bz2 (Swift's bulk upload): every regular file of the
// archive becomes an object, containers are created as needed, and the
// answer is a bulk report (200) in the format Accept asks for.
func (s *Service) extractArchive(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	var src io.Reader = r.Body
	switch f := r.URL.Query().Get("extract-archive"); f {
	case "tar":
	case "tar.gz", "tgz":
		gz, err := gzip.NewReader(r.Body)
		if err != nil {
			return fault.Invalidf("Invalid Tar File: %v", err)
		}
		defer gz.Close()
		src = gz
	case "tar.bz2", "tbz2":
		src = bzip2.NewReader(r.Body)
	default:
		return fault.Invalidf("Unsupported archive format")
	}
	ctx := r.Context()
	rep := &bulkReport{extract: true}
	tr := tar.NewReader(src)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			rep.status = "400 Bad Request"
			rep.body = "Invalid Tar File: " + err.Error()
			break
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		name := strings.TrimPrefix(path.Clean("/"+hdr.Name), "/")
		cont, obj := rc.container, name
		if cont == "" {
			var ok bool
			if cont, obj, ok = strings.Cut(name, "/"); !ok || obj == "" {
				continue // a file at the top of an account-level archive names no object
			}
		}
		label := "/" + cont + "/" + obj
		if err := s.extractOne(ctx, r, rc, cont, obj, tr, hdr.Size); err != nil {
			st := fault.KindOf(err).Status()
			if fe := fault.As(err); fe != nil {
				st = fe.HTTPStatus()
			}
			rep.fail(label, fmt.Sprintf("%d %s", st, httpapi.SwiftReason(st)))
			continue
		}
		rep.deleted++ // counts files created in an extract report
	}
	return rep.write(w, r)
}

func (s *Service) extractOne(ctx context.Context, r *http.Request, rc *reqCtx, cont, obj string, body io.Reader, size int64) error {
	if err := checkName(cont, obj); err != nil {
		return err
	}
	if _, err := s.writableContainer(ctx, rc.at(cont, obj)); err != nil {
		if fault.KindOf(err) != fault.NotFound || !rc.ownerRW {
			return err
		}
		err := s.commit.Do(ctx, func(tx store.Querier) error {
			if _, err := getContainer(ctx, tx, rc.account, cont); err == nil {
				return nil
			}
			now := nowMicro()
			if err := ensureAccount(ctx, tx, rc.account, now); err != nil {
				return err
			}
			if err := insertContainer(ctx, tx, &Container{Account: rc.account, Name: cont, Meta: map[string]string{}, CreatedAt: now}); err != nil {
				return err
			}
			return bumpAccount(ctx, tx, rc.account, 1, 0, 0)
		})
		if err != nil {
			return err
		}
	}
	o := &Object{Account: rc.account, Container: cont, Name: obj, ContentType: contentType(http.Header{}, obj), Meta: map[string]string{}}
	if err := s.writeBlob(ctx, o, body, size, ""); err != nil {
		return err
	}
	if err := s.storeObject(ctx, o, putOpts{}); err != nil {
		s.dropBlobs([]string{o.BlobKey})
		return err
	}
	return nil
}
