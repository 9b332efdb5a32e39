package objectstore

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/stratus-iaas/stratus/internal/fault"
)

// sloSegment is one entry of a stored SLO manifest (upstream's format,
// returned by ?multipart-manifest=get).
type sloSegment struct {
	Name         string `json:"name"`
	Hash         string `json:"hash"`
	Bytes        int64  `json:"bytes"`
	ContentType  string `json:"content_type,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	Range        string `json:"range,omitempty"`
	SubSLO       bool   `json:"sub_slo,omitempty"`
}

// sloPutSegment is one entry of a manifest sent with multipart-manifest=put.
type sloPutSegment struct {
	Path      string  `json:"path"`
	ETag      *string `json:"etag"`
	SizeBytes *int64  `json:"size_bytes"`
	Range     string  `json:"range,omitempty"`
}

func (s *Service) readManifest(ctx context.Context, o *Object) ([]sloSegment, error) {
	rd, err := s.openBlob(ctx, o.BlobKey)
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	var segs []sloSegment
	if err := json.NewDecoder(io.LimitReader(rd, maxManifestSize+1)).Decode(&segs); err != nil {
		return nil, fmt.Errorf("decode manifest: %w", err)
	}
	return segs, nil
}

// segmentRange parses a segment "range" ("a-b", "a-", "-n") against size.
func segmentRange(rg string, size int64) (int64, int64, error) {
	rs, err := parseRange("bytes="+rg, size)
	if err != nil || len(rs) != 1 {
		return 0, 0, fault.Invalidf("Invalid range %q", rg)
	}
	return rs[0].start, rs[0].end, nil
}

// putSLO is PUT ...?multipart-manifest=put: validate and store a manifest.
func (s *Service) putSLO(w http.ResponseWriter, r *http.Request, rc *reqCtx, c *Container) error {
	ctx := r.Context()
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxManifestSize+1))
	if err != nil {
		return err
	}
	if len(raw) > maxManifestSize {
		return fault.New(fault.TooLarge, "Manifest File > %d bytes", maxManifestSize)
	}
	var in []sloPutSegment
	if err := json.Unmarshal(raw, &in); err != nil {
		return fault.Invalidf("Manifest must be valid JSON.\n")
	}
	if len(in) == 0 {
		return fault.Invalidf("Manifest must have at least one segment.\n")
	}
	if len(in) > maxManifestSegments {
		return fault.New(fault.TooLarge, "Number of segments must be <= %d", maxManifestSegments)
	}
	var problems [][2]string
	segs := make([]sloSegment, 0, len(in))
	etagHash := md5.New()
	var total int64
	for i, sg := range in {
		cname, oname, ok := strings.Cut(strings.TrimPrefix(sg.Path, "/"), "/")
		if !strings.HasPrefix(sg.Path, "/") || !ok || cname == "" || oname == "" {
			return fault.Invalidf("Index %d: path does not refer to an object. Path must be of the form /container/object.\n", i)
		}
		if !rc.owner {
			one := *rc
			one.container = cname
			if _, err := s.readableContainer(r, &one, false); err != nil {
				problems = append(problems, [2]string{sg.Path, "403 Forbidden"})
				continue
			}
		}
		so, err := s.liveObject(ctx, rc.account, cname, oname)
		if err != nil {
			problems = append(problems, [2]string{sg.Path, "404 Not Found"})
			continue
		}
		if sg.ETag != nil && *sg.ETag != "" && strings.Trim(*sg.ETag, `"`) != so.ETag {
			problems = append(problems, [2]string{sg.Path, "Etag Mismatch"})
			continue
		}
		if sg.SizeBytes != nil && *sg.SizeBytes != so.Size {
			problems = append(problems, [2]string{sg.Path, "Size Mismatch"})
			continue
		}
		seg := sloSegment{Name: "/" + cname + "/" + oname, Hash: so.ETag, Bytes: so.Size, ContentType: so.ContentType,
			LastModified: isoTime(so.LastModified), SubSLO: so.Kind == kindSLO}
		n := so.Size
		if sg.Range != "" {
			a, b, err := segmentRange(sg.Range, so.Size)
			if err != nil {
				problems = append(problems, [2]string{sg.Path, "Unsatisfiable Range"})
				continue
			}
			seg.Range = fmt.Sprintf("%d-%d", a, b-1)
			n = b - a
			fmt.Fprintf(etagHash, "%s:%s;", so.ETag, seg.Range)
		} else {
			etagHash.Write([]byte(so.ETag))
		}
		total += n
		segs = append(segs, seg)
	}
	if len(problems) > 0 {
		var b strings.Builder
		b.WriteString("Errors:\n")
		for _, p := range problems {
			b.WriteString(escapeObject(p[0]) + ", " + p[1] + "\n")
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, b.String())
		return nil
	}
	sloETag := hex.EncodeToString(etagHash.Sum(nil))
	if want := r.Header.Get("ETag"); want != "" && strings.Trim(want, `"`) != sloETag {
		return fault.New(fault.Unprocessable, msgUnprocess)
	}
	o, err := objectFromPut(r, rc)
	if err != nil {
		return err
	}
	delete(o.Meta, "X-Object-Manifest")
	manifest, _ := json.Marshal(segs)
	if err := s.writeBlob(ctx, o, bytes.NewReader(manifest), int64(len(manifest)), ""); err != nil {
		return err
	}
	o.Kind, o.ETag, o.Size = kindSLO, sloETag, total
	if err := checkQuota(c, total); err != nil {
		s.dropBlobs([]string{o.BlobKey})
		return err
	}
	if err := s.storeObject(ctx, o, putOpts{ifNoneMatch: r.Header.Get("If-None-Match") == "*"}); err != nil {
		s.dropBlobs([]string{o.BlobKey})
		return err
	}
	return created(w, `"`+sloETag+`"`, o.LastModified)
}

// serveManifest answers ?multipart-manifest=get (format=raw gives the put form).
func (s *Service) serveManifest(w http.ResponseWriter, r *http.Request, o *Object) error {
	segs, err := s.readManifest(r.Context(), o)
	if err != nil {
		return err
	}
	var out []byte
	if r.URL.Query().Get("format") == "raw" {
		raw := make([]map[string]any, len(segs))
		for i, sg := range segs {
			m := map[string]any{"path": sg.Name, "etag": sg.Hash, "size_bytes": sg.Bytes}
			if sg.Range != "" {
				m["range"] = sg.Range
			}
			raw[i] = m
		}
		out, _ = json.Marshal(raw)
	} else {
		out, _ = json.Marshal(segs)
	}
	sum := md5.Sum(out)
	objectHeaders(w, o, hex.EncodeToString(sum[:]))
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(out)
	}
	return nil
}

// deleteSLO is DELETE ?multipart-manifest=delete: the segments, then the
// manifest, reported like a bulk delete.
func (s *Service) deleteSLO(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	ctx := r.Context()
	o, err := s.liveObject(ctx, rc.account, rc.container, rc.object)
	if err != nil {
		return err
	}
	if o.Kind != kindSLO {
		if _, err := s.deleteObject(ctx, rc.account, rc.container, rc.object); err != nil {
			return err
		}
		return noContent(w)
	}
	segs, err := s.readManifest(ctx, o)
	if err != nil {
		return err
	}
	rep := &bulkReport{}
	for _, sg := range segs {
		cname, oname, _ := strings.Cut(strings.TrimPrefix(sg.Name, "/"), "/")
		s.bulkDeleteOne(r, rc, cname, oname, sg.Name, rep)
	}
	s.bulkDeleteOne(r, rc, rc.container, rc.object, "/"+rc.container+"/"+rc.object, rep)
	return rep.write(w, r)
}
