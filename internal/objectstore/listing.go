package objectstore

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/stratus-iaas/stratus/internal/fault"
)

// Listing content types.
const (
	ctPlain = "text/plain"
	ctJSON  = "application/json"
	ctXML   = "application/xml"
	ctTXML  = "text/xml"
)

// listingFormat picks the listing content type: ?format= wins over Accept
// (upstream behaviour), an unknown format is plain, and an Accept that
// allows none of the types is 406.
func listingFormat(r *http.Request) (string, error) {
	if f := r.URL.Query().Get("format"); f != "" {
		switch strings.ToLower(f) {
		case "json":
			return ctJSON, nil
		case "xml":
			return ctXML, nil
		}
		return ctPlain, nil
	}
	accept := r.Header.Get("Accept")
	if accept == "" {
		return ctPlain, nil
	}
	if ct := bestMatch(accept, []string{ctPlain, ctJSON, ctXML, ctTXML}); ct != "" {
		return ct, nil
	}
	return "", fault.New(fault.NotAcceptable, "The server cannot generate a response acceptable to the client.")
}

// bestMatch is a small RFC 7231 Accept matcher: highest q wins, ties go
// to the order of offers.
func bestMatch(accept string, offers []string) string {
	type rng struct {
		typ string
		q   float64
	}
	var rs []rng
	for _, part := range strings.Split(accept, ",") {
		fields := strings.Split(part, ";")
		t := strings.ToLower(strings.TrimSpace(fields[0]))
		q := 1.0
		for _, p := range fields[1:] {
			if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.TrimSpace(k) == "q" {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		if t != "" {
			rs = append(rs, rng{t, q})
		}
	}
	best, bestQ := "", 0.0
	for _, o := range offers {
		q, spec := -1.0, -1
		for _, r := range rs {
			s := -1
			switch {
			case r.typ == o:
				s = 2
			case r.typ == "*/*":
				s = 0
			case strings.HasSuffix(r.typ, "/*") && strings.HasPrefix(o, strings.TrimSuffix(r.typ, "*")):
				s = 1
			}
			if s > spec {
				spec, q = s, r.q
			}
		}
		if spec >= 0 && q > bestQ {
			best, bestQ = o, q
		}
	}
	return best
}

// listParams are the query parameters of a listing.
type listParams struct {
	limit                          int
	marker, endMarker, prefix, dlm string
	path                           *string
	reverse                        bool
}

const maxRune = "\U0010FFFF"

func parseListParams(r *http.Request) (listParams, error) {
	q := r.URL.Query()
	lp := listParams{limit: containerListingLimit, marker: q.Get("marker"), endMarker: q.Get("end_marker"),
		prefix: q.Get("prefix"), dlm: q.Get("delimiter"),
		reverse: truthy(q.Get("reverse"))}
	if s := q.Get("limit"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n >= 0 {
			if n > containerListingLimit {
				return lp, fault.New(fault.PreconditionFailed, "Maximum limit is %d", containerListingLimit)
			}
			lp.limit = n
		}
	}
	// Any UTF-8 string is a delimiter (Swift 2.23 dropped its one-byte
	// rule); get_param refuses parameters that are not UTF-8.
	for _, k := range []string{"delimiter", "prefix", "marker", "end_marker", "path"} {
		if !utf8.ValidString(q.Get(k)) {
			return lp, fault.Invalidf("%q parameter not valid UTF-8", k)
		}
	}
	if q.Has("path") {
		p := q.Get("path")
		if p != "" {
			p = strings.TrimRight(p, "/") + "/"
		}
		lp.path = &p
		lp.prefix, lp.dlm = p, "/"
	}
	return lp, nil
}

// entry is one listing line: a row or a subdir.
type entry struct {
	name   string
	subdir bool
	obj    *Object
	cont   *Container
}

// fetchFunc returns up to n rows in r.
type fetchFunc func(ctx context.Context, r keyRange, n int) ([]entry, error)

// afterPrefix is the least UTF-8 string greater than every string that
// starts with p: p with its last code point incremented (as Swift's
// chr(ord(delimiter[-1]) + 1)), skipping the surrogates.
func afterPrefix(p string) string {
	for p != "" {
		r, n := utf8.DecodeLastRuneInString(p)
		p = p[:len(p)-n]
		switch {
		case r == utf8.MaxRune:
			continue
		case r == 0xD7FF:
			r = 0xE000
		default:
			r++
		}
		return p + string(r)
	}
	return maxRune // unreachable for a non-empty p of valid UTF-8
}

// collect walks rows in byte order applying prefix, delimiter and path,
// reading O(page) rows per page: it starts at max(marker, prefix) and
// jumps past each subdir it emits.
func collect(ctx context.Context, lp listParams, fetch fetchFunc) ([]entry, error) {
	marker, incl := lp.marker, false
	if lp.prefix != "" {
		switch {
		case !lp.reverse && marker < lp.prefix:
			marker, incl = lp.prefix, true // every name with the prefix sorts at or after it
		case lp.reverse && (marker == "" || marker > lp.prefix+maxRune):
			marker, incl = lp.prefix+maxRune, true // ... and, but for U+10FFFF, before this
		}
	}
	var out []entry
	for len(out) < lp.limit {
		want := lp.limit - len(out)
		if want < 100 {
			want = 100
		}
		rows, err := fetch(ctx, keyRange{marker: marker, incl: incl, end: lp.endMarker, desc: lp.reverse}, want)
		if err != nil {
			return nil, err
		}
		incl = false
		if len(rows) == 0 {
			return out, nil
		}
		jumped := false
		for _, e := range rows {
			marker = e.name
			if lp.prefix != "" && !strings.HasPrefix(e.name, lp.prefix) {
				if (e.name > lp.prefix) != lp.reverse {
					return out, nil // past the prefix range
				}
				continue
			}
			if lp.path != nil && e.name == *lp.path {
				continue
			}
			if lp.dlm != "" {
				rest := e.name[len(lp.prefix):]
				// With path, a name that ends at the delimiter is an object.
				if i := strings.Index(rest, lp.dlm); i >= 0 && (lp.path == nil || i+len(lp.dlm) < len(rest)) {
					dir := lp.prefix + rest[:i+len(lp.dlm)]
					if lp.path == nil && dir != lp.marker {
						out = append(out, entry{name: dir, subdir: true})
					}
					// Skip everything under dir: the next page starts at
					// the first name past it, inclusive (that name may
					// exist), or, in reverse, just before dir.
					if lp.reverse {
						marker = dir
					} else {
						marker, incl = afterPrefix(dir), true
					}
					jumped = true
					break
				}
			}
			out = append(out, e)
			if len(out) >= lp.limit {
				return out, nil
			}
		}
		if !jumped && len(rows) < want {
			return out, nil
		}
	}
	return out, nil
}

type objectJSON struct {
	Hash         string `json:"hash"`
	LastModified string `json:"last_modified"`
	Bytes        int64  `json:"bytes"`
	Name         string `json:"name"`
	ContentType  string `json:"content_type"`
	// A link's target (symlink.py's JSON listing keys); a version link is
	// shown with its version's size and ETag (object_versioning.py).
	SymlinkPath    string `json:"symlink_path,omitempty"`
	SymlinkETag    string `json:"symlink_etag,omitempty"`
	SymlinkBytes   *int64 `json:"symlink_bytes,omitempty"`
	VersionSymlink bool   `json:"version_symlink,omitempty"`
	// ?versions listings.
	IsLatest  *bool  `json:"is_latest,omitempty"`
	VersionID string `json:"version_id,omitempty"`
}

// listingSize is the hash and size a listing shows for o: a version
// link's are its version's.
func listingSize(o *Object) (string, int64) {
	if isVersionLink(o) {
		n, _ := strconv.ParseInt(o.Meta[sysSymlinkTargetBytes], 10, 64)
		return o.Meta[sysSymlinkTargetEtag], n
	}
	return listingETag(o), o.Size
}

// objectItem is o's line of a JSON listing.
func objectItem(o *Object) objectJSON {
	hash, n := listingSize(o)
	it := objectJSON{Hash: hash, LastModified: isoTime(o.LastModified), Bytes: n, Name: o.Name, ContentType: o.ContentType}
	switch {
	case isVersionLink(o):
		it.VersionSymlink = true
		it.SymlinkPath = "/v1/" + pyQuote(o.Account) + "/" + pyQuote(o.Container+"/"+o.Name) + "?version-id=" + o.Meta[sysVersionLink]
	case isSymlink(o):
		_, _, _, it.SymlinkPath = linkPath(o)
		if e := o.Meta[sysSymlinkTargetEtag]; e != "" {
			it.SymlinkETag = e
			if b, err := strconv.ParseInt(o.Meta[sysSymlinkTargetBytes], 10, 64); err == nil {
				it.SymlinkBytes = &b
			}
		}
	}
	return it
}

type subdirJSON struct {
	Subdir string `json:"subdir"`
}

type containerJSON struct {
	Name         string `json:"name"`
	Count        int64  `json:"count"`
	Bytes        int64  `json:"bytes"`
	LastModified string `json:"last_modified"`
}

func xmlEscape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// renderListing writes a listing: 204 for an empty plain listing (as
// upstream), else 200 in the chosen format.
func renderListing(w http.ResponseWriter, r *http.Request, ct, root, rootName string, es []entry) error {
	h := w.Header()
	h.Set("Accept-Ranges", "bytes")
	var body []byte
	switch ct {
	case ctJSON:
		items := make([]any, 0, len(es))
		for _, e := range es {
			switch {
			case e.subdir:
				items = append(items, subdirJSON{e.name})
			case e.obj != nil:
				items = append(items, objectItem(e.obj))
			case e.cont != nil:
				c := e.cont
				items = append(items, containerJSON{c.Name, c.Objects, c.Bytes, isoTime(c.CreatedAt)})
			}
		}
		body, _ = json.Marshal(items)
	case ctXML, ctTXML:
		var b strings.Builder
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
		b.WriteString("<" + root + ` name="` + xmlEscape(rootName) + `">`)
		for _, e := range es {
			switch {
			case e.subdir:
				b.WriteString(`<subdir name="` + xmlEscape(e.name) + `"><name>` + xmlEscape(e.name) + `</name></subdir>`)
			case e.obj != nil:
				o := e.obj
				hash, n := listingSize(o)
				b.WriteString("<object><name>" + xmlEscape(o.Name) + "</name><hash>" + hash + "</hash><bytes>" +
					strconv.FormatInt(n, 10) + "</bytes><content_type>" + xmlEscape(o.ContentType) +
					"</content_type><last_modified>" + isoTime(o.LastModified) + "</last_modified></object>")
			case e.cont != nil:
				c := e.cont
				b.WriteString("<container><name>" + xmlEscape(c.Name) + "</name><count>" + strconv.FormatInt(c.Objects, 10) +
					"</count><bytes>" + strconv.FormatInt(c.Bytes, 10) + "</bytes><last_modified>" + isoTime(c.CreatedAt) +
					"</last_modified></container>")
			}
		}
		b.WriteString("</" + root + ">")
		body = []byte(b.String())
	default:
		if len(es) == 0 {
			h.Set("Content-Type", "text/plain; charset=utf-8")
			h.Set("Content-Length", "0")
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
		var b strings.Builder
		for _, e := range es {
			b.WriteString(e.name)
			b.WriteByte('\n')
		}
		body = []byte(b.String())
	}
	h.Set("Content-Type", ct+"; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
	return nil
}
