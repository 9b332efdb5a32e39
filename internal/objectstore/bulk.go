package objectstore

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
)

// bulkReport is the body of a bulk delete (and multipart-manifest=delete).
type bulkReport struct {
	deleted, notFound int // deleted counts files created in an extract report
	errors            [][2]string
	status            string
	body              string
	extract           bool // bulk upload (extract-archive) report
	upstream5xx       bool // a failure was a server error: 502 overall
}

// reportFormat is the report's content type from Accept, plain when none
// is sent, and "" when Accept allows none of them (bulk.py's
// ACCEPTABLE_FORMATS and best_match).
func reportFormat(r *http.Request) string {
	if r.Header.Get("Accept") == "" {
		return ctPlain
	}
	return bestMatch(r.Header.Get("Accept"), []string{ctPlain, ctJSON, ctXML, ctTXML})
}

func (rep *bulkReport) fail(name, status string) {
	rep.errors = append(rep.errors, [2]string{name, status})
}

// write renders the report in the format Accept asks for (plain by
// default), always with status 200, as Swift's bulk middleware does.
func (rep *bulkReport) write(w http.ResponseWriter, r *http.Request) error {
	status := rep.status
	if status == "" {
		status = "200 OK"
		if len(rep.errors) > 0 {
			status = "400 Bad Request"
			if rep.upstream5xx {
				status = "502 Bad Gateway"
			}
		}
	}
	ct := reportFormat(r)
	var b strings.Builder
	if rep.extract {
		rep.writeExtract(&b, ct, status)
		if ct != ctJSON && ct != ctXML && ct != ctTXML {
			ct = ctPlain
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, b.String())
		return nil
	}
	switch ct {
	case ctJSON:
		errs := rep.errors
		if errs == nil {
			errs = [][2]string{}
		}
		fmt.Fprintf(&b, `{"Response Status": %s, "Response Body": %s, "Number Deleted": %d, "Number Not Found": %d, "Errors": %s}`,
			pyJSON(status), pyJSON(rep.body), rep.deleted, rep.notFound, pyJSON(errs))
	case ctXML, ctTXML:
		fmt.Fprintf(&b, "<delete>\n<number_deleted>%d</number_deleted>\n<number_not_found>%d</number_not_found>\n"+
			"<response_body>%s</response_body>\n<response_status>%s</response_status>\n<errors>\n",
			rep.deleted, rep.notFound, xmlEscape(rep.body), xmlEscape(status))
		for _, e := range rep.errors {
			b.WriteString("<object><name>" + xmlEscape(e[0]) + "</name><status>" + xmlEscape(e[1]) + "</status></object>\n")
		}
		b.WriteString("</errors>\n</delete>\n")
	default:
		fmt.Fprintf(&b, "Number Deleted: %d\nNumber Not Found: %d\nResponse Body: %s\nResponse Status: %s\nErrors:\n",
			rep.deleted, rep.notFound, rep.body, status)
		for _, e := range rep.errors {
			b.WriteString(e[0] + ", " + e[1] + "\n")
		}
	}
	if ct == "" {
		ct = "text/html; charset=UTF-8" // swob's default: nothing acceptable was set
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, b.String())
	return nil
}

func (rep *bulkReport) writeExtract(b *strings.Builder, ct, status string) {
	switch ct {
	case ctJSON:
		errs := rep.errors
		if errs == nil {
			errs = [][2]string{}
		}
		ej, _ := json.Marshal(errs)
		sj, _ := json.Marshal(status)
		bj, _ := json.Marshal(rep.body)
		fmt.Fprintf(b, `{"Response Status": %s, "Response Body": %s, "Number Files Created": %d, "Errors": %s}`, sj, bj, rep.deleted, ej)
	case ctXML, ctTXML:
		fmt.Fprintf(b, "<extract>\n<number_files_created>%d</number_files_created>\n<response_body>%s</response_body>\n"+
			"<response_status>%s</response_status>\n<errors>\n", rep.deleted, xmlEscape(rep.body), xmlEscape(status))
		for _, e := range rep.errors {
			b.WriteString("<object><name>" + xmlEscape(e[0]) + "</name><status>" + xmlEscape(e[1]) + "</status></object>\n")
		}
		b.WriteString("</errors>\n</extract>\n")
	default:
		fmt.Fprintf(b, "Number Files Created: %d\nResponse Body: %s\nResponse Status: %s\nErrors:\n", rep.deleted, rep.body, status)
		for _, e := range rep.errors {
			b.WriteString(e[0] + ", " + e[1] + "\n")
		}
	}
}

// bulkDeleteOne deletes one container (object == "") or object.
func (s *Service) bulkDeleteOne(r *http.Request, rc *reqCtx, container, object, label string, rep *bulkReport) {
	one := rc.at(container, object)
	err := checkName(container, object)
	switch {
	case err != nil:
	case object == "":
		if err = one.requireOwner(true); err == nil {
			err = s.removeContainer(r.Context(), one)
		}
	default:
		if _, err = s.writableContainer(r.Context(), one); err == nil {
			_, err = s.deleteObject(r.Context(), rc.account, container, object)
		}
	}
	switch {
	case err == nil:
		rep.deleted++
	case fault.KindOf(err) == fault.NotFound:
		rep.notFound++
	default:
		st := fault.KindOf(err).Status()
		if fe := fault.As(err); fe != nil {
			st = fe.HTTPStatus()
		}
		if st >= 500 {
			rep.upstream5xx = true
		}
		rep.fail(pyQuote(label), fmt.Sprintf("%d %s", st, httpapi.SwiftReason(st)))
	}
}
