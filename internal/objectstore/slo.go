package objectstore

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
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
	Data         string `json:"data,omitempty"` // an inline data segment: base64, and nothing else
}

// MarshalJSON stores a data segment as slo.py does: {"data": "<base64>"}.
func (s sloSegment) MarshalJSON() ([]byte, error) {
	if s.Data != "" {
		return json.Marshal(map[string]string{"data": s.Data})
	}
	type plain sloSegment
	return json.Marshal(plain(s))
}

// raw is the bytes of a data segment.
func (s sloSegment) raw() ([]byte, error) {
	return base64.StdEncoding.DecodeString(s.Data)
}

// sloPutSegment is one entry of a manifest sent with multipart-manifest=put.
type sloPutSegment struct {
	Path      string  `json:"path"`
	ETag      *string `json:"etag"`
	SizeBytes *int64  `json:"size_bytes"`
	Range     string  `json:"range,omitempty"`
	Data      []byte  `json:"-"` // an inline data segment, decoded
}

func (s *Service) readManifest(ctx context.Context, o *Object) ([]sloSegment, error) {
	segs, _, err := s.readManifestSum(ctx, o)
	return segs, err
}

// readManifestSum also returns the MD5 of the manifest as stored, which
// slo.py sends as X-Manifest-Etag.
func (s *Service) readManifestSum(ctx context.Context, o *Object) ([]sloSegment, string, error) {
	rd, err := s.openBlob(ctx, o.BlobKey)
	if err != nil {
		return nil, "", err
	}
	defer rd.Close()
	raw, err := io.ReadAll(io.LimitReader(rd, maxManifestSize+1))
	if err != nil {
		return nil, "", err
	}
	var segs []sloSegment
	if err := json.Unmarshal(raw, &segs); err != nil {
		return nil, "", fmt.Errorf("decode manifest: %w", err)
	}
	sum := md5.Sum(raw)
	return segs, hex.EncodeToString(sum[:]), nil
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
	in, errs, err := parseManifest(raw, rc.container+"/"+rc.object)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		// slo.py: HTTPBadRequest(body, Content-Type: text/plain).
		body := strings.Join(errs, "\n") + "\n"
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, body)
		return nil
	}
	res, err := s.resolveSLO(ctx, rc, in)
	if err != nil {
		return err
	}
	if len(res.problems) > 0 {
		writeSLOProblems(w, r, res.problems)
		return nil
	}
	sloETag := res.etag
	if want := r.Header.Get("ETag"); want != "" && strings.Trim(want, `"`) != sloETag {
		return fault.New(fault.Unprocessable, msgUnprocess)
	}
	o, err := objectFromPut(r, rc)
	if err != nil {
		return err
	}
	if err := s.storeSLO(ctx, c, o, res, r.Header.Get("If-None-Match") == "*"); err != nil {
		return err
	}
	objectVersionHeader(w, o)
	return created(w, `"`+sloETag+`"`, o.LastModified)
}

// storeSLO stores o as the manifest res in container c: the manifest's
// blob is written and fsynced, the quota checked against the joined size,
// and the row committed.
func (s *Service) storeSLO(ctx context.Context, c *Container, o *Object, res *resolvedSLO, ifNoneMatch bool) error {
	delete(o.Meta, "X-Object-Manifest")
	manifest, _ := json.Marshal(res.segs)
	if err := s.writeBlob(ctx, o, bytes.NewReader(manifest), int64(len(manifest)), ""); err != nil {
		return err
	}
	o.Kind, o.ETag, o.Size = kindSLO, res.etag, res.total
	if err := checkQuota(c, res.total); err != nil {
		s.dropBlobs([]string{o.BlobKey})
		return err
	}
	if err := s.storeObject(ctx, o, putOpts{ifNoneMatch: ifNoneMatch}); err != nil {
		s.dropBlobs([]string{o.BlobKey})
		return err
	}
	return nil
}

// resolvedSLO is a manifest checked against the segments it names.
type resolvedSLO struct {
	segs     []sloSegment
	total    int64
	etag     string      // the SLO's ETag: MD5 of its segments' ETags
	problems [][2]string // segment name, problem (slo.py's listing)
}

// resolveSLO checks a manifest's segments as slo.py does: each must be
// readable by the caller and live, at least one byte (but the last), and
// of the size and ETag the manifest gives.
func (s *Service) resolveSLO(ctx context.Context, rc *reqCtx, in []sloPutSegment) (*resolvedSLO, error) {
	objects := 0
	for _, sg := range in {
		if sg.Data == nil {
			objects++
		}
	}
	if objects > maxManifestSegments {
		return nil, fault.New(fault.TooLarge, "Number of object-backed segments must be <= %d", maxManifestSegments)
	}
	var problems [][2]string
	segs := make([]sloSegment, 0, len(in))
	etagHash := md5.New()
	var total int64
	for i, sg := range in {
		if sg.Data != nil {
			// slo.py: the bytes count in the size and, by their MD5, in
			// the ETag, exactly as if they were a segment object.
			sum := md5.Sum(sg.Data)
			etagHash.Write([]byte(hex.EncodeToString(sum[:])))
			total += int64(len(sg.Data))
			segs = append(segs, sloSegment{Data: base64.StdEncoding.EncodeToString(sg.Data)})
			continue
		}
		cname, oname, _ := strings.Cut(strings.TrimLeft(sg.Path, "/"), "/")
		name := escapeObject(sg.Path) // as given, as slo.py quotes it
		if err := checkName(cname, oname); err != nil || oname == "" {
			problems = append(problems, [2]string{name, "404 Not Found"})
			continue
		}
		if !rc.owner {
			if _, err := s.readableContainer(ctx, rc.at(cname, oname), false); err != nil {
				problems = append(problems, [2]string{name, "403 Forbidden"})
				continue
			}
		}
		so, err := s.liveObject(ctx, rc.account, cname, oname)
		if err != nil {
			problems = append(problems, [2]string{name, "404 Not Found"})
			continue
		}
		// slo.py's validate_seg_dict: every problem of a segment is listed.
		n, bad := so.Size, false
		seg := sloSegment{Name: "/" + cname + "/" + oname, Hash: so.ETag, Bytes: so.Size, ContentType: so.ContentType,
			LastModified: isoTime(so.LastModified), SubSLO: so.Kind == kindSLO}
		if sg.Range != "" {
			if a, b, err := segmentRange(sg.Range, so.Size); err != nil {
				problems, bad = append(problems, [2]string{name, "Unsatisfiable Range"}), true
			} else if a != 0 || b != so.Size {
				seg.Range, n = fmt.Sprintf("%d-%d", a, b-1), b-a
			}
		}
		if n < 1 && i != len(in)-1 {
			problems, bad = append(problems, [2]string{name, "Too small; each segment must be at least 1 byte."}), true
		}
		if sg.SizeBytes != nil && *sg.SizeBytes != so.Size {
			problems, bad = append(problems, [2]string{name, "Size Mismatch"}), true
		}
		if sg.ETag != nil && *sg.ETag != "" && strings.Trim(*sg.ETag, `"`) != so.ETag {
			problems, bad = append(problems, [2]string{name, "Etag Mismatch"}), true
		}
		if bad {
			continue
		}
		if seg.Range != "" {
			fmt.Fprintf(etagHash, "%s:%s;", so.ETag, seg.Range)
		} else {
			etagHash.Write([]byte(so.ETag))
		}
		total += n
		segs = append(segs, seg)
	}
	return &resolvedSLO{segs: segs, total: total, etag: hex.EncodeToString(etagHash.Sum(nil)), problems: problems}, nil
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
			if sg.Data != "" {
				raw[i] = map[string]any{"data": sg.Data}
				continue
			}
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
		if sg.Data != "" {
			continue
		}
		cname, oname, _ := strings.Cut(strings.TrimPrefix(sg.Name, "/"), "/")
		s.bulkDeleteOne(r, rc, cname, oname, sg.Name, rep)
	}
	s.bulkDeleteOne(r, rc, rc.container, rc.object, "/"+rc.container+"/"+rc.object, rep)
	return rep.write(w, r)
}

// writeSLOProblems is slo.py's 400 for segments that failed validation,
// rendered by bulk's get_response_body in the format Accept asks for
// (text/plain when none is acceptable).
func writeSLOProblems(w http.ResponseWriter, r *http.Request, problems [][2]string) {
	ct := reportFormat(r)
	var b strings.Builder
	switch ct {
	case ctJSON:
		fmt.Fprintf(&b, `{"Errors": %s}`, pyJSON(problems))
	case ctXML, ctTXML:
		b.WriteString("<upload>\n<errors>\n")
		for _, p := range problems {
			b.WriteString("<object><name>" + xmlEscape(p[0]) + "</name><status>" + xmlEscape(p[1]) + "</status></object>\n")
		}
		b.WriteString("</errors>\n</upload>\n")
	default:
		ct = ctPlain
		b.WriteString("Errors:\n")
		for _, p := range problems {
			b.WriteString(p[0] + ", " + p[1] + "\n")
		}
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(http.StatusBadRequest)
	io.WriteString(w, b.String())
}
