package objectstore

import (
	"bufio"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func md5hex(s string) string { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }

func TestAccount(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		resp, _ := e.must(204, "HEAD", acctA, "tok-a", "")
		if resp.Header.Get("X-Account-Container-Count") != "0" || resp.Header.Get("X-Trans-Id") == "" || resp.Header.Get("X-Timestamp") == "" {
			t.Fatalf("headers %v", resp.Header)
		}
		e.must(204, "GET", acctA, "tok-a", "")
		if _, b := e.must(200, "GET", acctA+"?format=json", "tok-a", ""); b != "[]" {
			t.Fatalf("empty json %q", b)
		}
		e.must(204, "POST", acctA, "tok-a", "", "X-Account-Meta-Subject: Literature", "X-Account-Meta-Temp-URL-Key: k1", "X-Account-Meta-Gone: x")
		e.must(204, "POST", acctA, "tok-a", "", "X-Remove-Account-Meta-Gone: 1", "X-Account-Meta-Temp-URL-Key-2: k2")
		resp, _ = e.must(204, "HEAD", acctA, "tok-a", "")
		if resp.Header.Get("X-Account-Meta-Subject") != "Literature" || resp.Header.Get("X-Account-Meta-Gone") != "" ||
			resp.Header.Get("X-Account-Meta-Temp-Url-Key") != "k1" || resp.Header.Get("X-Account-Meta-Temp-Url-Key-2") != "k2" {
			t.Fatalf("meta %v", resp.Header)
		}
		e.must(204, "POST", acctA, "tok-a", "", "X-Account-Meta-Subject:")
		if resp, _ := e.must(204, "HEAD", acctA, "tok-a", ""); resp.Header.Get("X-Account-Meta-Subject") != "" {
			t.Fatal("empty value did not delete")
		}
		e.must(201, "PUT", acctA+"/a", "tok-a", "")
		e.must(201, "PUT", acctA+"/b", "tok-a", "")
		e.must(201, "PUT", acctA+"/a/o", "tok-a", "12345")
		_, b := e.must(200, "GET", acctA+"?format=json", "tok-a", "")
		var cs []map[string]any
		json.Unmarshal([]byte(b), &cs)
		if len(cs) != 2 || cs[0]["name"] != "a" || cs[0]["count"].(float64) != 1 || cs[0]["bytes"].(float64) != 5 {
			t.Fatalf("json %s", b)
		}
		resp, b = e.must(200, "GET", acctA, "tok-a", "", "Accept: application/xml")
		if !strings.Contains(b, `<account name="AUTH_pa"><container><name>a</name><count>1</count><bytes>5</bytes>`) ||
			resp.Header.Get("Content-Type") != "application/xml; charset=utf-8" || resp.Header.Get("X-Account-Bytes-Used") != "5" {
			t.Fatalf("xml %s %v", b, resp.Header)
		}
		if _, b = e.must(200, "GET", acctA+"?marker=a", "tok-a", ""); b != "b\n" {
			t.Fatalf("marker %q", b)
		}
		// Isolation: another project is 403, anonymous 401, admin allowed.
		e.must(403, "GET", acctA, "tok-b", "")
		resp, b = e.must(401, "GET", acctA, "", "")
		if b != "<html><h1>Unauthorized</h1><p>"+msgUnauthorized+"</p></html>" {
			t.Fatalf("401 body %q", b)
		}
		e.must(403, "POST", acctA, "tok-b", "", "X-Account-Meta-X: y")
		e.must(403, "PUT", acctA+"/evil", "tok-b", "")
		e.must(403, "GET", acctA+"/a/o", "tok-b", "")
		e.must(200, "GET", acctA+"/a/o", "tok-admin", "")
		e.must(403, "PUT", acctA+"/c", "tok-reader", "")
		e.must(200, "GET", acctA+"/a/o", "tok-reader", "")
		e.must(401, "GET", acctA, "bogus", "")
	})
}

func TestContainerListing(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		e.must(201, "PUT", acctA+"/c", "tok-a", "", "X-Container-Meta-Color: red")
		for _, n := range []string{"a", "b/1", "b/2", "b/c/3", "d", "photos/x.jpg", "é"} {
			e.must(201, "PUT", acctA+"/c/"+n, "tok-a", "x")
		}
		cases := []struct{ q, want string }{
			{"", "a\nb/1\nb/2\nb/c/3\nd\nphotos/x.jpg\né\n"},
			{"?delimiter=/", "a\nb/\nd\nphotos/\né\n"},
			{"?prefix=b/&delimiter=/", "b/1\nb/2\nb/c/\n"},
			{"?path=b", "b/1\nb/2\n"},
			{"?limit=2", "a\nb/1\n"},
			{"?marker=b/2&limit=2", "b/c/3\nd\n"},
			{"?marker=a&end_marker=d", "b/1\nb/2\nb/c/3\n"},
			{"?prefix=photos", "photos/x.jpg\n"},
			{"?delimiter=/&marker=b/", "d\nphotos/\né\n"},
		}
		for _, c := range cases {
			if _, b := e.must(200, "GET", acctA+"/c"+c.q, "tok-a", ""); b != c.want {
				t.Errorf("%s: %q want %q", c.q, b, c.want)
			}
		}
		e.must(204, "GET", acctA+"/c?prefix=zzz", "tok-a", "")
		e.must(412, "GET", acctA+"/c?limit=10001", "tok-a", "")
		resp, b := e.must(200, "GET", acctA+"/c?format=json&delimiter=/&prefix=b/", "tok-a", "")
		if !strings.Contains(b, `{"subdir":"b/c/"}`) || !strings.Contains(b, `"hash":"`+md5hex("x")+`"`) ||
			resp.Header.Get("X-Container-Object-Count") != "7" || resp.Header.Get("X-Container-Meta-Color") != "red" {
			t.Fatalf("json %s %v", b, resp.Header)
		}
		if _, b = e.must(200, "GET", acctA+"/c?format=xml&delimiter=/&prefix=b/", "tok-a", ""); !strings.Contains(b, `<subdir name="b/c/"><name>b/c/</name></subdir>`) ||
			!strings.Contains(b, `<container name="c"><object><name>b/1</name>`) {
			t.Fatalf("xml %s", b)
		}
		e.must(404, "GET", acctA+"/nope", "tok-a", "")
		e.must(409, "DELETE", acctA+"/c", "tok-a", "")
		e.must(204, "POST", acctA+"/c", "tok-a", "", "X-Remove-Container-Meta-Color: x", "X-Container-Meta-Web-Index: index.html")
		resp, _ = e.must(204, "HEAD", acctA+"/c", "tok-a", "")
		if resp.Header.Get("X-Container-Meta-Color") != "" || resp.Header.Get("X-Container-Meta-Web-Index") != "index.html" || resp.Header.Get("X-Container-Bytes-Used") != "7" {
			t.Fatalf("head %v", resp.Header)
		}
		e.must(404, "DELETE", acctA+"/nope", "tok-a", "")
	})
}

func TestObjectPutGet(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		e.must(201, "PUT", acctA+"/c", "tok-a", "")
		// 411 without Content-Length or chunked.
		conn, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "PUT %s/c/x HTTP/1.1\r\nHost: x\r\nX-Auth-Token: tok-a\r\n\r\n", acctA)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil || resp.StatusCode != 411 {
			t.Fatalf("411: %v %v", resp, err)
		}
		conn.Close()
		e.must(422, "PUT", acctA+"/c/o", "tok-a", "data", "ETag: 0000")
		resp, _ = e.must(201, "PUT", acctA+"/c/o", "tok-a", "0123456789", "ETag: "+md5hex("0123456789"), "X-Object-Meta-A: 1",
			"Content-Type: text/x-test", "Content-Disposition: inline", "Content-Encoding: identity")
		if resp.Header.Get("Etag") != md5hex("0123456789") {
			t.Fatal("etag")
		}
		e.must(412, "PUT", acctA+"/c/o", "tok-a", "zz", "If-None-Match: *")
		resp, b := e.must(200, "GET", acctA+"/c/o", "tok-a", "")
		if b != "0123456789" || resp.Header.Get("X-Object-Meta-A") != "1" || resp.Header.Get("Content-Type") != "text/x-test" ||
			resp.Header.Get("Content-Disposition") != "inline" || resp.Header.Get("Accept-Ranges") != "bytes" || resp.Header.Get("Last-Modified") == "" {
			t.Fatalf("get %v", resp.Header)
		}
		// Ranges.
		if resp, b = e.must(206, "GET", acctA+"/c/o", "tok-a", "", "Range: bytes=2-4"); b != "234" || resp.Header.Get("Content-Range") != "bytes 2-4/10" {
			t.Fatalf("range %q %v", b, resp.Header)
		}
		if _, b = e.must(206, "GET", acctA+"/c/o", "tok-a", "", "Range: bytes=-3"); b != "789" {
			t.Fatalf("suffix %q", b)
		}
		if _, b = e.must(206, "GET", acctA+"/c/o", "tok-a", "", "Range: bytes=8-"); b != "89" {
			t.Fatalf("open %q", b)
		}
		// An end past the largest int64 byte is the last byte; a negative suffix is no range (swob).
		if resp, b = e.must(206, "GET", acctA+"/c/o", "tok-a", "", "Range: bytes=7-9223372036854775807"); b != "789" || resp.Header.Get("Content-Range") != "bytes 7-9/10" {
			t.Errorf("huge end: %q %v", b, resp.Header)
		}
		if _, b = e.must(200, "GET", acctA+"/c/o", "tok-a", "", "Range: bytes=--1"); b != "0123456789" {
			t.Errorf("bytes=--1: %q", b)
		}
		// swob.Range drops spaces and ignores the case of "bytes"; an empty part or a signed end is malformed.
		for h, want := range map[string]string{"bytes= 2 - 4": "234", "BYTES=2-4": "234", "bytes=2-4,": "0123456789", "bytes=2-+4": "0123456789"} {
			code := 206
			if len(want) == 10 {
				code = 200
			}
			if _, b = e.must(code, "GET", acctA+"/c/o", "tok-a", "", "Range: "+h); b != want {
				t.Errorf("%s: %q want %q", h, b, want)
			}
		}
		resp, b = e.must(206, "GET", acctA+"/c/o", "tok-a", "", "Range: bytes=0-1,5-6")
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "multipart/byteranges;boundary=") ||
			!strings.Contains(b, "Content-Range: bytes 0-1/10\r\n\r\n01\r\n") || !strings.Contains(b, "Content-Range: bytes 5-6/10\r\n\r\n56\r\n") {
			t.Fatalf("multi %q", b)
		}
		resp, _ = e.must(416, "GET", acctA+"/c/o", "tok-a", "", "Range: bytes=20-30")
		if resp.Header.Get("Content-Range") != "bytes */10" {
			t.Fatal("416 content-range")
		}
		// Conditionals.
		etag := md5hex("0123456789")
		e.must(200, "GET", acctA+"/c/o", "tok-a", "", "If-Match: \""+etag+"\"")
		e.must(412, "GET", acctA+"/c/o", "tok-a", "", "If-Match: nope")
		e.must(304, "GET", acctA+"/c/o", "tok-a", "", "If-None-Match: "+etag)
		future := time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
		past := time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)
		e.must(304, "GET", acctA+"/c/o", "tok-a", "", "If-Modified-Since: "+future)
		e.must(200, "GET", acctA+"/c/o", "tok-a", "", "If-Modified-Since: "+past)
		e.must(412, "GET", acctA+"/c/o", "tok-a", "", "If-Unmodified-Since: "+past)
		e.must(200, "HEAD", acctA+"/c/o", "tok-a", "")
		// POST replaces custom metadata.
		_, b = e.must(202, "POST", acctA+"/c/o", "tok-a", "", "X-Object-Meta-B: 2", "Content-Type: text/plain")
		if b != "<html><h1>Accepted</h1><p>The request is accepted for processing.</p></html>" || len(b) != 76 {
			t.Fatalf("202 body %q", b)
		}
		resp, _ = e.must(200, "HEAD", acctA+"/c/o", "tok-a", "")
		if resp.Header.Get("X-Object-Meta-A") != "" || resp.Header.Get("X-Object-Meta-B") != "2" || resp.Header.Get("Content-Type") != "text/plain" {
			t.Fatalf("post %v", resp.Header)
		}
		// Detect content type, copy, COPY verb, delete.
		resp, _ = e.must(201, "PUT", acctA+"/c/pic.png", "tok-a", "png", "X-Detect-Content-Type: true", "Content-Type: foo/bar")
		if resp, _ := e.must(200, "HEAD", acctA+"/c/pic.png", "tok-a", ""); resp.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("detect %v", resp.Header.Get("Content-Type"))
		}
		e.must(201, "PUT", acctA+"/c/copy1", "tok-a", "", "X-Copy-From: /c/o", "X-Object-Meta-C: 3")
		resp, b = e.must(200, "GET", acctA+"/c/copy1", "tok-a", "")
		if b != "0123456789" || resp.Header.Get("X-Object-Meta-B") != "2" || resp.Header.Get("X-Object-Meta-C") != "3" {
			t.Fatalf("copy %q %v", b, resp.Header)
		}
		resp, _ = e.must(201, "COPY", acctA+"/c/o", "tok-a", "", "Destination: c/copy2")
		if resp.Header.Get("X-Copied-From") != "c/o" || resp.Header.Get("X-Copied-From-Last-Modified") == "" {
			t.Fatalf("COPY %v", resp.Header)
		}
		e.must(412, "COPY", acctA+"/c/o", "tok-a", "", "Destination: nocontainer")
		e.must(204, "DELETE", acctA+"/c/o", "tok-a", "")
		e.must(404, "DELETE", acctA+"/c/o", "tok-a", "")
		if _, b = e.must(200, "GET", acctA+"/c/copy2", "tok-a", ""); b != "0123456789" {
			t.Fatal("copy lost its shared bytes when the source was deleted")
		}
		resp, b = e.must(404, "GET", acctA+"/c/o", "tok-a", "")
		if b != "<html><h1>Not Found</h1><p>The resource could not be found.</p></html>" || resp.Header.Get("Content-Type") != "text/html; charset=UTF-8" {
			t.Fatalf("404 %q", b)
		}
		// Chunked upload.
		req, _ := http.NewRequest("PUT", e.srv.URL+acctA+"/c/chunked", strings.NewReader("chunky"))
		req.ContentLength = -1
		req.TransferEncoding = []string{"chunked"}
		req.Header.Set("X-Auth-Token", "tok-a")
		if r, err := http.DefaultClient.Do(req); err != nil || r.StatusCode != 201 {
			t.Fatalf("chunked: %v", err)
		}
		// Limits.
		e.must(400, "PUT", acctA+"/c/"+strings.Repeat("n", 1025), "tok-a", "x")
		e.must(201, "PUT", acctA+"/c/"+strings.Repeat("n", 1024), "tok-a", "x")
		e.must(400, "PUT", acctA+"/c/m", "tok-a", "x", "X-Object-Meta-"+strings.Repeat("k", 129)+": v")
		e.must(400, "PUT", acctA+"/c/m", "tok-a", "x", "X-Object-Meta-K: "+strings.Repeat("v", 257))
	})
}

func TestObjectExpiry(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		e.must(201, "PUT", acctA+"/c", "tok-a", "")
		e.must(400, "PUT", acctA+"/c/o", "tok-a", "x", "X-Delete-At: 1")
		e.must(201, "PUT", acctA+"/c/o", "tok-a", "x", "X-Delete-After: 3")
		resp, _ := e.must(200, "HEAD", acctA+"/c/o", "tok-a", "")
		if resp.Header.Get("X-Delete-At") == "" {
			t.Fatal("no X-Delete-At")
		}
		time.Sleep(4100 * time.Millisecond)
		e.must(404, "GET", acctA+"/c/o", "tok-a", "")
		e.must(204, "GET", acctA+"/c", "tok-a", "")
	})
}

func TestACLs(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		e.must(201, "PUT", acctA+"/pub", "tok-a", "", "X-Container-Read: .r:*")
		e.must(201, "PUT", acctA+"/pub/o", "tok-a", "hi")
		e.must(200, "GET", acctA+"/pub/o", "", "")
		e.must(401, "GET", acctA+"/pub", "", "") // listing needs .rlistings
		e.must(204, "POST", acctA+"/pub", "tok-a", "", "X-Container-Read: .r:*,.rlistings")
		e.must(200, "GET", acctA+"/pub", "", "")
		e.must(401, "PUT", acctA+"/pub/x", "", "no")
		resp, _ := e.must(204, "HEAD", acctA+"/pub", "tok-b", "")
		if resp.Header.Get("X-Container-Read") != "" {
			t.Fatal("ACL shown to a non-owner")
		}
		e.must(201, "PUT", acctA+"/shared", "tok-a", "", "X-Container-Write: pb:ub", "X-Container-Read: projb:*")
		e.must(201, "PUT", acctA+"/shared/from-b", "tok-b", "bob")
		e.must(200, "GET", acctA+"/shared/from-b", "tok-b", "")
		e.must(204, "DELETE", acctA+"/shared/from-b", "tok-b", "")
		e.must(403, "DELETE", acctA+"/shared", "tok-b", "")
		e.must(201, "PUT", acctA+"/ref", "tok-a", "", "X-Container-Read: .r:.example.com,.r:-bad.example.com")
		e.must(201, "PUT", acctA+"/ref/o", "tok-a", "x")
		e.must(200, "GET", acctA+"/ref/o", "", "", "Referer: http://www.example.com/page")
		e.must(401, "GET", acctA+"/ref/o", "", "", "Referer: http://bad.example.com/")
		e.must(401, "GET", acctA+"/ref/o", "", "")
	})
}

func sign(newHash func() hash.Hash, key, method string, expires int64, path string) string {
	m := hmac.New(newHash, []byte(key))
	fmt.Fprintf(m, "%s\n%d\n%s", method, expires, path)
	return hex.EncodeToString(m.Sum(nil))
}

func TestTempURL(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		e.must(204, "POST", acctA, "tok-a", "", "X-Account-Meta-Temp-URL-Key: akey")
		e.must(201, "PUT", acctA+"/c", "tok-a", "", "X-Container-Meta-Temp-URL-Key: ckey")
		e.must(201, "PUT", acctA+"/c/o.txt", "tok-a", "secret bytes")
		path := "/v1/AUTH_pa/c/o.txt"
		exp := time.Now().Add(time.Hour).Unix()
		for _, h := range []func() hash.Hash{sha1.New, sha256.New, sha512.New} {
			sig := sign(h, "akey", "GET", exp, path)
			resp, b := e.must(200, "GET", fmt.Sprintf("%s/c/o.txt?temp_url_sig=%s&temp_url_expires=%d", acctA, sig, exp), "", "")
			if b != "secret bytes" || resp.Header.Get("Content-Disposition") != `attachment; filename="o.txt"; filename*=UTF-8''o.txt` {
				t.Fatalf("tempurl %q %v", b, resp.Header.Get("Content-Disposition"))
			}
		}
		sig := sign(sha256.New, "ckey", "GET", exp, path)
		e.must(200, "GET", fmt.Sprintf("%s/c/o.txt?signature=%s&expires=%d", acctA, sig, exp), "", "")
		e.must(200, "HEAD", fmt.Sprintf("%s/c/o.txt?Signature=%s&Expires=%d", acctA, sig, exp), "", "")
		e.must(401, "PUT", fmt.Sprintf("%s/c/o.txt?signature=%s&expires=%d", acctA, sig, exp), "", "x")
		e.must(401, "GET", fmt.Sprintf("%s/c/o.txt?temp_url_sig=%s&temp_url_expires=%d", acctA, sig[:60]+"0000", exp), "", "")
		old := time.Now().Add(-time.Minute).Unix()
		e.must(401, "GET", fmt.Sprintf("%s/c/o.txt?temp_url_sig=%s&temp_url_expires=%d", acctA, sign(sha1.New, "akey", "GET", old, path), old), "", "")
		put := sign(sha1.New, "akey", "PUT", exp, "/v1/AUTH_pa/c/up")
		e.must(201, "PUT", fmt.Sprintf("%s/c/up?temp_url_sig=%s&temp_url_expires=%d", acctA, put, exp), "", "uploaded")
		if _, b := e.must(200, "GET", acctA+"/c/up", "tok-a", ""); b != "uploaded" {
			t.Fatal(b)
		}
	})
}

func TestLargeObjects(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		e.must(201, "PUT", acctA+"/c", "tok-a", "")
		e.must(201, "PUT", acctA+"/segs", "tok-a", "")
		segs := []string{"aaaa", "bbbb", "cc"}
		for i, s := range segs {
			e.must(201, "PUT", fmt.Sprintf("%s/segs/part/%02d", acctA, i), "tok-a", s)
		}
		// DLO.
		e.must(201, "PUT", acctA+"/c/dlo", "tok-a", "", "X-Object-Manifest: segs/part/")
		resp, b := e.must(200, "GET", acctA+"/c/dlo", "tok-a", "")
		want := fmt.Sprintf(`"%s"`, md5hex(md5hex("aaaa")+md5hex("bbbb")+md5hex("cc")))
		if b != "aaaabbbbcc" || resp.Header.Get("Etag") != want || resp.Header.Get("X-Object-Manifest") != "segs/part/" {
			t.Fatalf("dlo %q %v", b, resp.Header)
		}
		if _, b = e.must(206, "GET", acctA+"/c/dlo", "tok-a", "", "Range: bytes=3-8"); b != "abbbbc" {
			t.Fatalf("dlo range %q", b)
		}
		// SLO.
		man := fmt.Sprintf(`[{"path":"/segs/part/00","etag":"%s","size_bytes":4},{"path":"/segs/part/01","etag":null,"size_bytes":null},{"path":"/segs/part/02","range":"1-1"}]`, md5hex("aaaa"))
		resp, _ = e.must(201, "PUT", acctA+"/c/slo?multipart-manifest=put", "tok-a", man)
		sloETag := md5hex(md5hex("aaaa") + md5hex("bbbb") + md5hex("cc") + ":1-1;")
		if resp.Header.Get("Etag") != `"`+sloETag+`"` {
			t.Fatalf("slo etag %v want %s", resp.Header.Get("Etag"), sloETag)
		}
		resp, b = e.must(200, "GET", acctA+"/c/slo", "tok-a", "")
		if b != "aaaabbbbc" || resp.Header.Get("X-Static-Large-Object") != "True" || resp.Header.Get("Content-Length") != "9" {
			t.Fatalf("slo %q %v", b, resp.Header)
		}
		if _, b = e.must(206, "GET", acctA+"/c/slo", "tok-a", "", "Range: bytes=2-5,7-"); !strings.Contains(b, "\r\n\r\naabb\r\n") || !strings.Contains(b, "\r\n\r\nbc\r\n") {
			t.Fatalf("slo ranges %q", b)
		}
		if _, b = e.must(200, "GET", acctA+"/c/slo?multipart-manifest=get", "tok-a", ""); !strings.Contains(b, `"name":"/segs/part/00"`) {
			t.Fatalf("manifest %s", b)
		}
		_, b = e.must(400, "PUT", acctA+"/c/bad?multipart-manifest=put", "tok-a", `[{"path":"/segs/part/00","etag":"nope"},{"path":"/segs/missing"}]`)
		if !strings.Contains(b, "Errors:\n/segs/part/00, Etag Mismatch\n/segs/missing, 404 Not Found") {
			t.Fatalf("bad manifest %q", b)
		}
		e.must(422, "PUT", acctA+"/c/slo2?multipart-manifest=put", "tok-a", `[{"path":"/segs/part/00"}]`, "ETag: 1234")
		// Copying a manifest joins it.
		e.must(201, "PUT", acctA+"/c/joined", "tok-a", "", "X-Copy-From: c/slo")
		if resp, b = e.must(200, "GET", acctA+"/c/joined", "tok-a", ""); b != "aaaabbbbc" || resp.Header.Get("X-Static-Large-Object") != "" {
			t.Fatalf("joined %q", b)
		}
		_, b = e.must(200, "DELETE", acctA+"/c/slo?multipart-manifest=delete", "tok-a", "", "Accept: application/json")
		if !strings.Contains(b, `"Number Deleted": 4`) {
			t.Fatalf("slo delete %s", b)
		}
		e.must(404, "GET", acctA+"/segs/part/00", "tok-a", "")
	})
}

func TestVersioningAndQuota(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		e.must(201, "PUT", acctA+"/arch", "tok-a", "")
		e.must(201, "PUT", acctA+"/c", "tok-a", "", "X-Versions-Location: arch")
		e.must(201, "PUT", acctA+"/c/o", "tok-a", "v1")
		e.must(201, "PUT", acctA+"/c/o", "tok-a", "v2")
		e.must(201, "PUT", acctA+"/c/o", "tok-a", "v3")
		if _, b := e.must(200, "GET", acctA+"/arch?prefix=001o/", "tok-a", ""); strings.Count(b, "\n") != 2 {
			t.Fatalf("archive %q", b)
		}
		e.must(204, "DELETE", acctA+"/c/o", "tok-a", "")
		if _, b := e.must(200, "GET", acctA+"/c/o", "tok-a", ""); b != "v2" {
			t.Fatalf("restored %q", b)
		}
		e.must(201, "PUT", acctA+"/h", "tok-a", "", "X-History-Location: arch")
		e.must(201, "PUT", acctA+"/h/x", "tok-a", "h1")
		e.must(204, "DELETE", acctA+"/h/x", "tok-a", "")
		e.must(404, "GET", acctA+"/h/x", "tok-a", "")
		if _, b := e.must(200, "GET", acctA+"/arch?prefix=001x/", "tok-a", ""); strings.Count(b, "\n") != 1 {
			t.Fatalf("history %q", b)
		}
		e.must(201, "PUT", acctA+"/q", "tok-a", "", "X-Container-Meta-Quota-Bytes: 5", "X-Container-Meta-Quota-Count: 2")
		e.must(201, "PUT", acctA+"/q/a", "tok-a", "123")
		_, b := e.must(413, "PUT", acctA+"/q/b", "tok-a", "456")
		if !strings.Contains(b, "Upload exceeds quota.") {
			t.Fatal(b)
		}
		e.must(201, "PUT", acctA+"/q/b", "tok-a", "45")
		e.must(413, "PUT", acctA+"/q/c", "tok-a", "")
		e.must(400, "PUT", acctA+"/q2", "tok-a", "", "X-Container-Meta-Quota-Bytes: lots")
	})
}

func TestInfo(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		_, b := e.must(200, "GET", "/object-store/info", "", "")
		var info map[string]map[string]any
		json.Unmarshal([]byte(b), &info)
		if info["swift"]["max_object_name_length"].(float64) != 1024 || info["swift"]["container_listing_limit"].(float64) != 10000 ||
			info["slo"] == nil || info["tempurl"] == nil || info["bulk_delete"]["max_deletes_per_request"].(float64) != 10000 {
			t.Fatalf("info %s", b)
		}
	})
}

func TestManifestDoesNotBypassACLs(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		e.must(201, "PUT", acctA+"/private", "tok-a", "")
		e.must(201, "PUT", acctA+"/private/secret", "tok-a", "top secret")
		e.must(201, "PUT", acctA+"/shared", "tok-a", "", "X-Container-Write: pb:ub", "X-Container-Read: pb:ub")
		e.must(201, "PUT", acctA+"/shared/dlo", "tok-b", "", "X-Object-Manifest: private/secret")
		e.must(403, "GET", acctA+"/shared/dlo", "tok-b", "")
		e.must(400, "PUT", acctA+"/shared/slo?multipart-manifest=put", "tok-b", `[{"path":"/private/secret"}]`)
		e.must(201, "PUT", acctA+"/shared/slo?multipart-manifest=put", "tok-a", `[{"path":"/private/secret"}]`)
		e.must(403, "GET", acctA+"/shared/slo", "tok-b", "")
		e.must(403, "PUT", acctA+"/shared/copy", "tok-b", "", "X-Copy-From: shared/dlo")
		if _, b := e.must(200, "GET", acctA+"/shared/dlo", "tok-a", ""); b != "top secret" {
			t.Fatal(b)
		}
	})
}
