package objectstore

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// maxBulkLine is the longest line bulk.py buffers while looking for a
// newline: twice its max_path_length (container + object + 2).
const maxBulkLine = 2 * (maxContainerNameLen + maxObjectNameLength + 2)

// bulkAbort ends a bulk delete early; the report carries its status and
// body (empty for swob's default bodies), the HTTP status stays 200.
type bulkAbort struct {
	status int
	body   string
}

func (a *bulkAbort) Error() string { return a.body }

func (a *bulkAbort) apply(rep *bulkReport) {
	rep.status = fmt.Sprintf("%d %s", a.status, httpapi.SwiftReason(a.status))
	rep.body = a.body
}

// bulkDelete is POST or DELETE /v1/{account}?bulk-delete. Once the request
// is a bulk delete the answer is 200: every failure, including the
// request's own (no body, too many lines, a format it cannot send), is in
// the report, as Swift's bulk middleware does. Objects go first, then
// containers, so "/c" and "/c/o" in one request delete both.
func (s *Service) bulkDelete(w http.ResponseWriter, r *http.Request) error {
	rc, err := parseReq(r)
	if err != nil {
		return err
	}
	rep := &bulkReport{}
	if err := s.runBulkDelete(r, rc, rep); err != nil {
		var a *bulkAbort
		if !errors.As(err, &a) {
			return err
		}
		a.apply(rep)
	}
	return rep.write(w, r)
}

func (s *Service) runBulkDelete(r *http.Request, rc *reqCtx, rep *bulkReport) error {
	if reportFormat(r) == "" {
		return &bulkAbort{status: http.StatusNotAcceptable}
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "text/plain") {
		return &bulkAbort{status: http.StatusNotAcceptable}
	}
	if r.Header.Get("Content-Length") == "" && len(r.TransferEncoding) == 0 {
		return &bulkAbort{status: http.StatusLengthRequired}
	}
	names, err := readBulkNames(r.Body)
	if err != nil {
		return err
	}
	for _, objects := range []bool{true, false} {
		for _, name := range names {
			if name == "" || strings.Contains(strings.Trim(name, "/"), "/") != objects {
				continue
			}
			c, o, _ := strings.Cut(strings.TrimLeft(name, "/"), "/")
			if !utf8.ValidString(name) || strings.ContainsRune(name, 0) {
				rep.fail(pyQuote(name), "412 Precondition Failed")
			} else {
				s.bulkDeleteOne(r, rc, c, o, name, rep)
			}
			if len(rep.errors) >= maxFailedDeletes {
				return &bulkAbort{status: http.StatusBadRequest, body: "Max delete failures exceeded"}
			}
		}
	}
	if len(rep.errors) == 0 && rep.deleted == 0 && rep.notFound == 0 {
		return &bulkAbort{status: http.StatusBadRequest, body: "Invalid bulk delete."}
	}
	return nil
}

// readBulkNames reads the newline-separated, URL-encoded names of a bulk
// delete. Like bulk.py it counts every line but a blank last one toward
// the limit, and stops reading as soon as the limit is passed.
func readBulkNames(body io.Reader) ([]string, error) {
	br := bufio.NewReaderSize(body, 64<<10)
	var names []string
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) || len(line) > maxBulkLine {
			return nil, &bulkAbort{status: http.StatusBadRequest, body: "Invalid File Name"}
		}
		if err != nil && err != io.EOF {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, &bulkAbort{status: http.StatusRequestEntityTooLarge}
			}
			return nil, clientReadError(err)
		}
		last := err == io.EOF
		name := pyUnquote(string(bytes.TrimSpace(line)))
		if !last || name != "" {
			names = append(names, name)
		}
		if len(names) > maxBulkDeletes {
			return nil, &bulkAbort{status: http.StatusRequestEntityTooLarge,
				body: fmt.Sprintf("Maximum Bulk Deletes: %d per request", maxBulkDeletes)}
		}
		if last {
			return names, nil
		}
	}
}

// pyUnquote is Python's urllib unquote on bytes: valid %XX escapes are
// decoded, anything else is kept as it is.
func pyUnquote(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// pyQuote is Python's urllib quote(name, safe='/') over the name's bytes,
// the form Swift's reports give failed names in.
func pyQuote(s string) string { return pyQuoteSafe(s, "/") }

// pyQuoteSafe is quote(s, safe): letters, digits, "_.-~" and safe stay,
// every other byte is %XX.
func pyQuoteSafe(s, safe string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("_.-~", c) >= 0 ||
			strings.IndexByte(safe, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// pyJSON renders a string or a list of [name, status] pairs as Python's
// json.dumps does: ", " between items, no HTML escaping, non-ASCII as \u
// escapes.
func pyJSON(v any) string {
	switch v := v.(type) {
	case [][2]string:
		items := make([]string, len(v))
		for i, e := range v {
			items[i] = "[" + pyJSON(e[0]) + ", " + pyJSON(e[1]) + "]"
		}
		return "[" + strings.Join(items, ", ") + "]"
	case string:
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.Encode(v)
		var out strings.Builder
		for _, r := range strings.TrimSuffix(b.String(), "\n") {
			switch {
			case r < utf8.RuneSelf:
				out.WriteRune(r)
			case r > 0xFFFF:
				r1, r2 := utf16.EncodeRune(r)
				fmt.Fprintf(&out, "\\u%04x\\u%04x", r1, r2)
			default:
				fmt.Fprintf(&out, "\\u%04x", r)
			}
		}
		return out.String()
	}
	panic(fmt.Sprintf("pyJSON: %T", v))
}
