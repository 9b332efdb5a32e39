package objectstore

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stratus-iaas/stratus/internal/blob"
	"github.com/stratus-iaas/stratus/internal/fault"
)

// part is a byte range of one blob; data holds the blob's bytes when the
// row read brought them (inline objects), so the GET reads nothing more.
type part struct {
	key    string
	off, n int64
	data   []byte
	bad    error // the segment cannot be sent (a DLO segment that is an SLO)
}

// body is what a GET sends: the object's bytes, joined for large objects.
type body struct {
	size  int64
	parts []part
	etag  string // as sent in the ETag header (quoted for large objects)

	manifestETag string // an SLO's X-Manifest-Etag: MD5 of its stored manifest
}

// listingETag is the hash shown in container listings.
func listingETag(o *Object) string { return o.ETag }

const maxSegmentDepth = 10

// objectBody resolves o into the blob ranges to send. check authorises
// every container segments are read from, at every level.
func (s *Service) objectBody(ctx context.Context, o *Object, check segmentCheck) (*body, error) {
	return s.resolve(ctx, o, check, 0)
}

func (s *Service) resolve(ctx context.Context, o *Object, check segmentCheck, depth int) (*body, error) {
	if depth > maxSegmentDepth {
		return nil, fault.Conflictf("Max recursion depth exceeded on large object manifest")
	}
	switch o.Kind {
	case kindSLO:
		segs, sum, err := s.readManifestSum(ctx, o)
		if err != nil {
			return nil, err
		}
		b := &body{etag: `"` + o.ETag + `"`, manifestETag: sum}
		for _, sg := range segs {
			if sg.Data != "" {
				d, err := sg.raw()
				if err != nil {
					return nil, fmt.Errorf("manifest %s/%s: data segment: %w", o.Container, o.Name, err)
				}
				b.parts = append(b.parts, part{key: "data segment", n: int64(len(d)), data: d})
				b.size += int64(len(d))
				continue
			}
			cname, oname, _ := strings.Cut(strings.TrimPrefix(sg.Name, "/"), "/")
			if err := check(cname); err != nil {
				return nil, err
			}
			so, err := getObjectRow(ctx, s.db.R(), o.Account, cname, oname)
			if err != nil || (sg.Hash != "" && so.ETag != sg.Hash) {
				return nil, fault.Conflictf("Object segment no longer valid: %s", sg.Name).WithCause(err)
			}
			sb, err := s.resolve(ctx, so, check, depth+1)
			if err != nil {
				return nil, err
			}
			start, end := int64(0), sb.size
			if sg.Range != "" {
				if start, end, err = segmentRange(sg.Range, sb.size); err != nil {
					return nil, err
				}
			}
			b.appendRange(sb, start, end)
		}
		return b, nil
	case kindDLO:
		cname, prefix, err := dloTarget(o.Meta["X-Object-Manifest"])
		if err != nil {
			return nil, err
		}
		if err := check(cname); err != nil {
			return nil, err
		}
		b := &body{}
		h := md5.New()
		marker, incl := prefix, true
		now := time.Now().Unix()
		for {
			rows, err := listObjectRows(ctx, s.db.R(), o.Account, cname, keyRange{marker: marker, incl: incl}, 1000, now)
			incl = false
			if err != nil {
				return nil, err
			}
			done := len(rows) < 1000
			for _, so := range rows {
				marker = so.Name
				if !strings.HasPrefix(so.Name, prefix) {
					if so.Name > prefix {
						done = true
						break
					}
					continue
				}
				h.Write([]byte(so.ETag))
				p := part{key: so.BlobKey, n: so.Size}
				if so.Kind == kindSLO {
					// Swift reads DLO segments with multipart-manifest=get:
					// an SLO gives its JSON, not the size listed, and the
					// GET breaks. Fail it before sending anything.
					p.bad = fault.Conflictf(msgConflict).WithCause(fmt.Errorf("DLO segment %s/%s is an SLO manifest", cname, so.Name))
				}
				b.parts = append(b.parts, p)
				b.size += so.Size
			}
			if done {
				break
			}
		}
		b.etag = `"` + hex.EncodeToString(h.Sum(nil)) + `"`
		return b, nil
	}
	return &body{size: o.Size, parts: []part{{key: o.BlobKey, n: o.Size, data: o.data}}, etag: o.ETag}, nil
}

// sendable returns the error of the first part that cannot be sent and
// overlaps bytes [off, off+n).
func (b *body) sendable(off, n int64) error {
	pos := int64(0)
	for _, p := range b.parts {
		if p.bad != nil && pos < off+n && off < pos+p.n {
			return p.bad
		}
		pos += p.n
	}
	return nil
}

// appendRange appends bytes [start,end) of sb.
func (b *body) appendRange(sb *body, start, end int64) {
	pos := int64(0)
	for _, p := range sb.parts {
		ps, pe := pos, pos+p.n
		pos = pe
		lo, hi := max(ps, start), min(pe, end)
		if lo >= hi {
			continue
		}
		b.parts = append(b.parts, part{key: p.key, off: p.off + lo - ps, n: hi - lo, data: p.data, bad: p.bad})
		b.size += hi - lo
	}
}

func dloTarget(v string) (container, prefix string, err error) {
	v, uerr := url.PathUnescape(v)
	c, p, ok := strings.Cut(strings.TrimPrefix(v, "/"), "/")
	if uerr != nil || !ok || c == "" {
		return "", "", fault.Invalidf("X-Object-Manifest must be in the format container/prefix")
	}
	if err := checkName(c, p); err != nil {
		return "", "", err
	}
	return c, p, nil
}

// writeRange streams bytes [off, off+n) of b to w.
func (s *Service) writeRange(ctx context.Context, w io.Writer, b *body, off, n int64) error {
	pos := int64(0)
	for _, p := range b.parts {
		ps, pe := pos, pos+p.n
		pos = pe
		lo, hi := max(ps, off), min(pe, off+n)
		if lo >= hi {
			continue
		}
		start, length := p.off+lo-ps, hi-lo
		if p.data != nil {
			if start+length > int64(len(p.data)) {
				return fmt.Errorf("inline blob %s is shorter than its row says", p.key)
			}
			if _, err := w.Write(p.data[start : start+length]); err != nil {
				return err
			}
			continue
		}
		rd, err := s.openBlob(ctx, p.key)
		if err != nil {
			return fmt.Errorf("open segment: %w", err)
		}
		f, isFile := blob.OSFile(rd)
		rf, isRF := w.(io.ReaderFrom)
		switch {
		case length <= smallRead:
			// One pread and one write for small objects.
			bp := smallPool.Get().(*[]byte)
			buf := (*bp)[:length]
			if _, err = rd.ReadAt(buf, start); err == nil {
				_, err = w.Write(buf)
			}
			smallPool.Put(bp)
		case isFile && isRF && start == 0 && length == rd.Size():
			// Hand the *os.File itself to the response so it can sendfile;
			// io.Copy would wrap it first and lose that.
			_, err = rf.ReadFrom(f)
		case isRanger(rd):
			// One ranged GET on S3, not one per buffer.
			var sec io.ReadCloser
			if sec, err = blob.Section(rd, start, length); err == nil {
				_, err = io.Copy(w, sec)
				sec.Close()
			}
		default:
			_, err = io.Copy(w, io.NewSectionReader(rd, start, length))
		}
		rd.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func isRanger(r blob.Reader) bool { _, ok := r.(blob.Ranger); return ok }

const smallRead = 64 << 10

var smallPool = sync.Pool{New: func() any { b := make([]byte, smallRead); return &b }}

type byteRange struct{ start, end int64 } // end exclusive

// rangeSpec is one part of a Range header as swob.Range reads it: the
// last n bytes when suffix, else bytes start..last (last < 0 when open).
type rangeSpec struct {
	suffix      bool
	start, last int64 // for a suffix, start is n
}

// parseRangeSpec is swob.Range's syntax check of "<a>-<b>,..." (the part
// after "bytes=", spaces already removed): each part is "a-b", "a-" or
// "-n" with b and n all digits and b >= a; an empty part is an error.
func parseRangeSpec(spec string) ([]rangeSpec, bool) {
	var out []rangeSpec
	for _, p := range strings.Split(spec, ",") {
		a, b, ok := strings.Cut(p, "-")
		if !ok || a == "" && b == "" || strings.ContainsFunc(b, func(r rune) bool { return r < '0' || r > '9' }) {
			return nil, false // "bytes=--1" is not a range
		}
		y := int64(-1)
		if b != "" {
			var err error
			if y, err = strconv.ParseInt(b, 10, 64); err != nil {
				return nil, false
			}
		}
		if a == "" {
			out = append(out, rangeSpec{suffix: true, start: y})
			continue
		}
		x, err := strconv.ParseInt(a, 10, 64)
		if err != nil || x < 0 || b != "" && y < x {
			return nil, false
		}
		out = append(out, rangeSpec{start: x, last: y})
	}
	return out, true
}

// parseRange reads a Range header the way swob does: a malformed header is
// ignored (nil, nil); ranges wholly past the end are dropped; when none is
// left the answer is 416.
func parseRange(h string, size int64) ([]byteRange, error) {
	h = strings.ReplaceAll(h, " ", "") // as swob.Range does
	if len(h) < 6 || !strings.EqualFold(h[:6], "bytes=") {
		return nil, nil
	}
	specs, ok := parseRangeSpec(h[6:])
	if !ok {
		return nil, nil
	}
	var out []byteRange
	for _, r := range specs {
		switch {
		case r.suffix:
			if r.start > 0 && size > 0 {
				out = append(out, byteRange{max(0, size-r.start), size})
			}
		case r.start < size:
			last := size - 1
			if r.last >= 0 {
				last = min(r.last, last) // r.last+1 could overflow
			}
			out = append(out, byteRange{r.start, last + 1})
		}
	}
	if len(out) == 0 {
		e := fault.New(fault.RangeNotSatisfiable, msgRange)
		e.Header = http.Header{"Content-Range": {fmt.Sprintf("bytes */%d", size)}}
		return nil, e
	}
	return out, nil
}

// serveBody writes b with Range support; headers other than the length
// and range ones are already set.
func (s *Service) serveBody(w http.ResponseWriter, r *http.Request, b *body, ctype string) error {
	ranges, err := parseRange(r.Header.Get("Range"), b.size)
	if err != nil {
		return err
	}
	head := r.Method == http.MethodHead
	if !head {
		if len(ranges) == 0 {
			err = b.sendable(0, b.size)
		}
		for _, rg := range ranges {
			if err == nil {
				err = b.sendable(rg.start, rg.end-rg.start)
			}
		}
		if err != nil {
			return err
		}
	}
	h := w.Header()
	h.Set("Accept-Ranges", "bytes")
	switch len(ranges) {
	case 0:
		h.Set("Content-Length", strconv.FormatInt(b.size, 10))
		w.WriteHeader(http.StatusOK)
		if head {
			return nil
		}
		return s.writeRange(r.Context(), w, b, 0, b.size)
	case 1:
		rg := ranges[0]
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", rg.start, rg.end-1, b.size))
		h.Set("Content-Length", strconv.FormatInt(rg.end-rg.start, 10))
		w.WriteHeader(http.StatusPartialContent)
		if head {
			return nil
		}
		return s.writeRange(r.Context(), w, b, rg.start, rg.end-rg.start)
	}
	var rb [16]byte
	rand.Read(rb[:])
	boundary := hex.EncodeToString(rb[:])
	heads := make([]string, len(ranges))
	total := int64(0)
	for i, rg := range ranges {
		heads[i] = fmt.Sprintf("--%s\r\nContent-Type: %s\r\nContent-Range: bytes %d-%d/%d\r\n\r\n", boundary, ctype, rg.start, rg.end-1, b.size)
		total += int64(len(heads[i])) + rg.end - rg.start + 2
	}
	tail := "--" + boundary + "--"
	total += int64(len(tail))
	h.Set("Content-Type", "multipart/byteranges;boundary="+boundary)
	h.Set("Content-Length", strconv.FormatInt(total, 10))
	w.WriteHeader(http.StatusPartialContent)
	if head {
		return nil
	}
	for i, rg := range ranges {
		io.WriteString(w, heads[i])
		if err := s.writeRange(r.Context(), w, b, rg.start, rg.end-rg.start); err != nil {
			return err
		}
		io.WriteString(w, "\r\n")
	}
	_, err = io.WriteString(w, tail)
	return err
}

// etagMatches reports whether a list header (If-Match/If-None-Match)
// names etag; "*" matches any.
func etagMatches(list, etag string) bool {
	etag = strings.Trim(etag, `"`)
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimSpace(t)
		t = strings.TrimPrefix(t, "W/")
		if t == "*" || strings.Trim(t, `"`) == etag {
			return true
		}
	}
	return false
}

// conditional applies If-Match, If-None-Match, If-Modified-Since and
// If-Unmodified-Since. It returns done=true after writing a 304.
func conditional(w http.ResponseWriter, r *http.Request, etag string, lm time.Time) (bool, error) {
	h := r.Header
	if v := h.Get("If-Match"); v != "" && !etagMatches(v, etag) {
		return false, fault.New(fault.PreconditionFailed, msgPrecondition)
	}
	if v := h.Get("If-Unmodified-Since"); v != "" && h.Get("If-Match") == "" {
		if t, err := http.ParseTime(v); err == nil && lm.After(t) {
			return false, fault.New(fault.PreconditionFailed, msgPrecondition)
		}
	}
	notModified := false
	if v := h.Get("If-None-Match"); v != "" {
		notModified = etagMatches(v, etag)
	} else if v := h.Get("If-Modified-Since"); v != "" {
		if t, err := http.ParseTime(v); err == nil && !lm.After(t) {
			notModified = true
		}
	}
	if notModified {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			w.Header().Del("Content-Type")
			w.Header().Set("Content-Length", "0")
			w.WriteHeader(http.StatusNotModified)
			return true, nil
		}
		return false, fault.New(fault.PreconditionFailed, msgPrecondition)
	}
	return false, nil
}
