package objectstore

import (
	"fmt"
	"strings"
	"testing"
)

func TestBulkDelete(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		e.must(201, "PUT", acctA+"/c", "tok-a", "")
		e.must(201, "PUT", acctA+"/empty", "tok-a", "")
		e.must(201, "PUT", acctA+"/full", "tok-a", "")
		e.must(201, "PUT", acctA+"/full/x", "tok-a", "x")
		e.must(201, "PUT", acctA+"/c/a b", "tok-a", "x")
		e.must(201, "PUT", acctA+"/c/k", "tok-a", "x")
		// Containers go last, so /c is empty by then; /full is not.
		body := "/c\n/c/a%20b\nc/k\n/c/missing\n/empty\n/full\n"
		_, b := e.must(200, "POST", acctA+"?bulk-delete", "tok-a", body, "Accept: application/json", "Content-Type: text/plain")
		want := `{"Response Status": "400 Bad Request", "Response Body": "", "Number Deleted": 4, "Number Not Found": 1, "Errors": [["/full", "409 Conflict"]]}`
		if b != want {
			t.Fatalf("report\n%s\nwant\n%s", b, want)
		}
		e.must(404, "HEAD", acctA+"/c", "tok-a", "")
		e.must(201, "PUT", acctA+"/c", "tok-a", "")
		_, b = e.must(200, "DELETE", acctA+"?bulk-delete", "tok-a", "/c\n", "Accept: text/xml")
		if b != "<delete>\n<number_deleted>1</number_deleted>\n<number_not_found>0</number_not_found>\n<response_body></response_body>\n"+
			"<response_status>200 OK</response_status>\n<errors>\n</errors>\n</delete>\n" {
			t.Fatalf("xml %s", b)
		}
		e.must(201, "PUT", acctA+"/shared", "tok-a", "", "X-Container-Write: pb:ub")
		cases := []struct {
			name, token, body string
			hdr               []string
			want              string
		}{
			{"not found", "tok-a", "/gone\n", nil,
				"Number Deleted: 0\nNumber Not Found: 1\nResponse Body: \nResponse Status: 200 OK\nErrors:\n"},
			{"empty body", "tok-a", "", nil,
				"Number Deleted: 0\nNumber Not Found: 0\nResponse Body: Invalid bulk delete.\nResponse Status: 400 Bad Request\nErrors:\n"},
			{"blank lines", "tok-a", "\n\n", nil,
				"Number Deleted: 0\nNumber Not Found: 0\nResponse Body: Invalid bulk delete.\nResponse Status: 400 Bad Request\nErrors:\n"},
			{"too many", "tok-a", strings.Repeat("/x/y\n", 10001), nil,
				"Number Deleted: 0\nNumber Not Found: 0\nResponse Body: Maximum Bulk Deletes: 10000 per request\nResponse Status: 413 Request Entity Too Large\nErrors:\n"},
			{"accept", "tok-a", "/x\n", []string{"Accept: image/png"},
				"Number Deleted: 0\nNumber Not Found: 0\nResponse Body: \nResponse Status: 406 Not Acceptable\nErrors:\n"},
			{"content type", "tok-a", "/x\n", []string{"Content-Type: application/json"},
				"Number Deleted: 0\nNumber Not Found: 0\nResponse Body: \nResponse Status: 406 Not Acceptable\nErrors:\n"},
			{"long line", "tok-a", "/c/" + strings.Repeat("n", 3000) + "\n", nil,
				"Number Deleted: 0\nNumber Not Found: 0\nResponse Body: Invalid File Name\nResponse Status: 400 Bad Request\nErrors:\n"},
			{"quoted names", "tok-b", "/shared/ok\n/c/a%20b%C3%A9\n/c/%FF\n", nil,
				"Number Deleted: 0\nNumber Not Found: 1\nResponse Body: \nResponse Status: 400 Bad Request\nErrors:\n" +
					"/c/a%20b%C3%A9, 403 Forbidden\n/c/%FF, 412 Precondition Failed\n"},
		}
		for _, c := range cases {
			resp, b := e.must(200, "POST", acctA+"?bulk-delete", c.token, c.body, c.hdr...)
			if b != c.want {
				t.Errorf("%s: %q\nwant %q", c.name, b, c.want)
			}
			if c.name == "accept" && resp.Header.Get("Content-Type") != "text/html; charset=UTF-8" {
				t.Errorf("406 report content type %q", resp.Header.Get("Content-Type"))
			}
		}
	})
}

// TestBulkDeleteMaxFailures stops at max_failed_deletes failures.
func TestBulkDeleteMaxFailures(t *testing.T) {
	e := newEnv(t)
	var body strings.Builder
	for i := range maxFailedDeletes + 5 {
		fmt.Fprintf(&body, "/AUTH_pb/%d\n", i) // no such container: a container name with a slash
	}
	e.must(201, "PUT", acctA+"/c", "tok-a", "", "X-Container-Write: pb:ub")
	for i := range maxFailedDeletes + 5 {
		fmt.Fprintf(&body, "/c/o%d\n", i)
	}
	_, b := e.must(200, "POST", acctA+"?bulk-delete", "tok-b", body.String(), "Accept: application/json")
	if !strings.HasPrefix(b, `{"Response Status": "400 Bad Request", "Response Body": "Max delete failures exceeded", "Number Deleted": 0, "Number Not Found": 0, "Errors": [["/AUTH_pb/0", "403 Forbidden"], `) ||
		strings.Count(b, "403 Forbidden") != maxFailedDeletes {
		t.Fatalf("report %.300s ... (%d failures)", b, strings.Count(b, "403 Forbidden"))
	}
}
