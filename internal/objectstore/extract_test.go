package objectstore

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
)

func tarball(t *testing.T, gz bool, files map[string]string) string {
	var buf bytes.Buffer
	var tw *tar.Writer
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(&buf)
		tw = tar.NewWriter(zw)
	} else {
		tw = tar.NewWriter(&buf)
	}
	for name, body := range files {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(body))
	}
	tw.Close()
	if zw != nil {
		zw.Close()
	}
	return buf.String()
}

func TestExtractArchive(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		_, b := e.must(200, "PUT", acctA+"?extract-archive=tar", "tok-a",
			tarball(t, false, map[string]string{"up/one.txt": "1", "up/sub/two.txt": "22", "top.txt": "skipped"}), "Accept: application/json")
		if !strings.Contains(b, `"Number Files Created": 2`) || !strings.Contains(b, `"Response Status": "200 OK"`) {
			t.Fatalf("report %s", b)
		}
		if _, b = e.must(200, "GET", acctA+"/up/sub/two.txt", "tok-a", ""); b != "22" {
			t.Fatal(b)
		}
		e.must(201, "PUT", acctA+"/box", "tok-a", "")
		_, b = e.must(200, "PUT", acctA+"/box?extract-archive=tar.gz", "tok-a", tarball(t, true, map[string]string{"a/b.txt": "bee"}))
		if !strings.HasPrefix(b, "Number Files Created: 1\n") {
			t.Fatalf("plain report %q", b)
		}
		if _, b = e.must(200, "GET", acctA+"/box/a/b.txt", "tok-a", ""); b != "bee" {
			t.Fatal(b)
		}
		// Per-file authorisation, reported like upstream's sub-requests.
		if _, b = e.must(200, "PUT", acctA+"/box?extract-archive=tar", "tok-b", tarball(t, false, map[string]string{"x": "y"})); !strings.Contains(b, "/box/x, 403 Forbidden") {
			t.Fatalf("foreign extract %q", b)
		}
		e.must(403, "PUT", acctA, "tok-a", "")
	})
}
