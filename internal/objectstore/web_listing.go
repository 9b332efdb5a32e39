package objectstore

import (
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/stratus-iaas/stratus/internal/fault"
)

// The markup below is staticweb.py 2.30's _listing, byte for byte.

const webDoctype = "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\" \"http://www.w3.org/TR/html4/loose.dtd\">\n"

// webListing renders staticweb's HTML listing of prefix: subdirectories
// first, then objects.
func (s *Service) webListing(w http.ResponseWriter, r *http.Request, rc *reqCtx, c *Container, prefix string) error {
	es, err := s.listEntries(r.Context(), rc.account, rc.container, listParams{limit: containerListingLimit, prefix: prefix, dlm: "/"})
	if err != nil {
		return err
	}
	if prefix != "" && len(es) == 0 {
		return s.webErrorPage(w, r, rc, c, errNotFound())
	}
	title := pyEscape(webLabel(r, rc, c))
	var b strings.Builder
	b.WriteString(webDoctype + "<html>\n <head>\n  <title>Listing of " + title + "</title>\n")
	if webListingCSS(c) != "" {
		b.WriteString("  <link rel=\"stylesheet\" type=\"text/css\" href=\"" + webCSSPath(c, prefix) + "\" />\n")
	} else {
		b.WriteString("  <style type=\"text/css\">\n   h1 {font-size: 1em; font-weight: bold;}\n" +
			"   th {text-align: left; padding: 0px 1em 0px 1em;}\n   td {padding: 0px 1em 0px 1em;}\n" +
			"   a {text-decoration: none;}\n  </style>\n")
	}
	b.WriteString(" </head>\n <body>\n  <h1 id=\"title\">Listing of " + title + "</h1>\n  <table id=\"listing\">\n" +
		"   <tr id=\"heading\">\n    <th class=\"colname\">Name</th>\n    <th class=\"colsize\">Size</th>\n    <th class=\"coldate\">Date</th>\n   </tr>\n")
	if prefix != "" {
		b.WriteString("   <tr id=\"parent\" class=\"item\">\n    <td class=\"colname\"><a href=\"../\">../</a></td>\n    <td class=\"colsize\">&nbsp;</td>\n    <td class=\"coldate\">&nbsp;</td>\n   </tr>\n")
	}
	for _, e := range es {
		if e.subdir {
			name := strings.TrimPrefix(e.name, prefix)
			b.WriteString("   <tr class=\"item subdir\">\n    <td class=\"colname\"><a href=\"" + pyQuote(name) + "\">" + pyEscape(name) +
				"</a></td>\n    <td class=\"colsize\">&nbsp;</td>\n    <td class=\"coldate\">&nbsp;</td>\n   </tr>\n")
		}
	}
	for _, e := range es {
		if !e.subdir {
			name := strings.TrimPrefix(e.name, prefix)
			b.WriteString("   <tr class=\"item " + typeClasses(e.obj.ContentType) + "\">\n    <td class=\"colname\"><a href=\"" + pyQuote(name) + "\">" +
				pyEscape(name) + "</a></td>\n    <td class=\"colsize\">" + humanReadable(listedSize(e.obj)) + "</td>\n    <td class=\"coldate\">" +
				strings.Replace(isoTime(e.obj.LastModified)[:19], "T", " ", 1) + "</td>\n   </tr>\n")
		}
	}
	b.WriteString("  </table>\n </body>\n</html>\n")
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		io.WriteString(w, b.String())
	}
	return nil
}

// listingDisabled is staticweb's 404 page for a listing with Web-Listings off.
func listingDisabled(r *http.Request, rc *reqCtx, c *Container, prefix string) error {
	body := webDoctype + "<html>\n<head>\n<title>Listing of " + pyEscape(webLabel(r, rc, c)) + "</title>\n"
	if webListingCSS(c) != "" {
		body += "  <link rel=\"stylesheet\" type=\"text/css\" href=\"" + webCSSPath(c, prefix) + "\" />\n"
	} else {
		body += "  <style type=\"text/css\">\n   h1 {font-size: 1em; font-weight: bold;}\n   p {font-size: 2}\n  </style>\n"
	}
	body += "</head>\n<body>  <h1>Web Listing Disabled</h1>   <p>The owner of this web site has disabled web listing." +
		"   <p>If you are the owner of this web site, you can enable   web listing by setting X-Container-Meta-Web-Listings.</p>"
	if idx := webIndex(c); idx != "" {
		body += "<h1>Index File Not Found</h1> <p>The owner of this web site has set  <b>X-Container-Meta-Web-Index: " + idx +
			"</b>.  However, this file is not found.</p>"
	}
	body += " </body>\n</html>\n"
	return fault.New(fault.NotFound, "%s", body)
}

// webCSSPath is staticweb's _build_css_path: an absolute path or URL is
// only quoted; a relative one is reached from prefix with one "../" per
// "/" in it.
func webCSSPath(c *Container, prefix string) string {
	css := webListingCSS(c)
	if strings.HasPrefix(css, "/") || strings.HasPrefix(css, "http://") || strings.HasPrefix(css, "https://") {
		return pyQuoteSafe(css, ":/")
	}
	return strings.Repeat("../", strings.Count(prefix, "/")) + pyQuote(css)
}

// typeClasses is "type-<part>" for each "/"-separated part of a content
// type, lowercased and escaped.
func typeClasses(ct string) string {
	parts := strings.Split(ct, "/")
	for i, p := range parts {
		parts[i] = "type-" + pyEscape(strings.ToLower(p))
	}
	return strings.Join(parts, " ")
}

// humanReadable is swift.common.utils.human_readable: 1536 is "2Ki",
// each step rounded half to even as Python 3's round is.
func humanReadable(n int64) string {
	v, i := float64(n), -1
	const suffixes = "KMGTPEZY"
	for v >= 1024 && i+1 < len(suffixes) {
		i++
		v = math.RoundToEven(v / 1024)
	}
	if i == -1 {
		return strconv.FormatInt(n, 10)
	}
	return strconv.FormatFloat(v, 'f', 0, 64) + suffixes[i:i+1] + "i"
}

// pyEscape is Python's html.escape(s, quote=True).
var pyEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\"", "&quot;", "'", "&#x27;").Replace

// listedSize is the size a listing shows for o (a version link's is its version's).
func listedSize(o *Object) int64 {
	_, n := listingSize(o)
	return n
}
