package objectstore

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"
)

// TestTempURLResponses covers tempurl.py's outgoing rules: custom
// metadata is hidden except X-Object-Meta-Public-*, Content-Disposition
// and Expires are set on GET/HEAD, and an invalid URL is a bare 401.
func TestTempURLResponses(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		e.must(204, "POST", acctA, "tok-a", "", "X-Account-Meta-Temp-URL-Key: k1", "X-Account-Meta-Temp-URL-Key-2: k2")
		e.must(201, "PUT", acctA+"/c", "tok-a", "")
		e.must(201, "PUT", acctA+"/c/o.txt", "tok-a", "bytes", "X-Object-Meta-Secret: s", "X-Object-Meta-Public-Color: red")
		e.must(201, "PUT", acctA+"/c/d", "tok-a", "bytes", "Content-Disposition: inline; filename=x")
		exp := time.Now().Add(time.Hour).Unix()
		url := func(method, key, obj, extra string) string {
			return fmt.Sprintf("%s/c/%s?temp_url_sig=%s&temp_url_expires=%d%s", acctA, obj,
				sign(sha256.New, key, method, exp, "/v1/AUTH_pa/c/"+obj), exp, extra)
		}
		expires := time.Unix(exp, 0).UTC().Format(http.TimeFormat)
		cases := []struct {
			method, url, disposition string
		}{
			{"GET", url("GET", "k1", "o.txt", ""), `attachment; filename="o.txt"; filename*=UTF-8''o.txt`},
			{"HEAD", url("GET", "k2", "o.txt", ""), `attachment; filename="o.txt"; filename*=UTF-8''o.txt`},
			{"GET", url("GET", "k2", "o.txt", "&inline"), "inline"},
			{"GET", url("GET", "k1", "o.txt", "&filename=my%20f%C3%A9.txt"), `attachment; filename="my f%C3%A9.txt"; filename*=UTF-8''my%20f%C3%A9.txt`},
			{"GET", url("GET", "k1", "o.txt", "&inline&filename=a.txt"), `inline; filename="a.txt"; filename*=UTF-8''a.txt`},
			{"GET", url("GET", "k1", "d", ""), "inline; filename=x"},
		}
		for _, c := range cases {
			resp, _ := e.must(200, c.method, c.url, "", "")
			h := resp.Header
			if h.Get("X-Object-Meta-Secret") != "" || (c.method == "GET" && c.disposition != "inline; filename=x" && h.Get("X-Object-Meta-Public-Color") != "red") ||
				h.Get("Content-Disposition") != c.disposition || h.Get("Expires") != expires {
				t.Errorf("%s %s: %v", c.method, c.url, h)
			}
		}
		// The owner still sees everything.
		if resp, _ := e.must(200, "HEAD", acctA+"/c/o.txt", "tok-a", ""); resp.Header.Get("X-Object-Meta-Secret") != "s" {
			t.Fatal("owner lost metadata")
		}
		// POST and DELETE by temp URL; POST cannot make a manifest.
		e.must(202, "POST", url("POST", "k2", "o.txt", ""), "", "", "X-Object-Meta-Public-N: 1")
		_, b := e.must(400, "PUT", url("PUT", "k1", "m", ""), "", "", "X-Object-Manifest: c/o")
		if b != "The header 'X-Object-Manifest' is not allowed in this tempurl" {
			t.Errorf("manifest by temp URL: %q", b)
		}
		e.must(204, "DELETE", url("DELETE", "k1", "o.txt", ""), "", "")
		e.must(404, "HEAD", acctA+"/c/o.txt", "tok-a", "")
		// Invalid: a bare body, none on HEAD.
		for _, m := range []string{"GET", "HEAD"} {
			resp, b := e.must(401, m, url("DELETE", "k1", "d", ""), "", "")
			want := "401 Unauthorized: Temp URL invalid\n"
			if m == "HEAD" {
				want = ""
			}
			if m == "GET" && b != want || m == "HEAD" && resp.Header.Get("Content-Length") != "0" {
				t.Errorf("%s invalid: %q", m, b)
			}
			if got := resp.Header.Get("Www-Authenticate"); got != `Swift realm="AUTH_pa"` {
				t.Errorf("%s invalid: WWW-Authenticate %q", m, got)
			}
		}
	})
}

// Prefix-based temp URLs, address ranges and ISO 8601 expiry, as
// tempurl.py 2.30 signs them (swift.common.utils.get_hmac).
func TestTempURLPrefixAndIPRange(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		e.must(204, "POST", acctA, "tok-a", "", "X-Account-Meta-Temp-URL-Key: k")
		e.must(201, "PUT", acctA+"/c", "tok-a", "")
		for _, o := range []string{"pre/a", "pre/b", "other"} {
			e.must(201, "PUT", acctA+"/c/"+o, "tok-a", o)
		}
		exp := time.Now().Add(time.Hour).Unix()
		hm := func(msg string) string {
			m := hmac.New(sha256.New, []byte("k"))
			io.WriteString(m, msg)
			return hex.EncodeToString(m.Sum(nil))
		}
		prefixSig := hm(fmt.Sprintf("GET\n%d\nprefix:/v1/AUTH_pa/c/pre/", exp))
		for obj, code := range map[string]int{"pre/a": 200, "pre/b": 200, "other": 401} {
			e.must(code, "GET", fmt.Sprintf("%s/c/%s?temp_url_sig=%s&temp_url_expires=%d&temp_url_prefix=pre/", acctA, obj, prefixSig, exp), "", "")
		}
		// The prefix signature is not one for the object itself, nor the other way round.
		e.must(401, "GET", fmt.Sprintf("%s/c/pre/a?temp_url_sig=%s&temp_url_expires=%d", acctA, prefixSig, exp), "", "")
		objSig := hm(fmt.Sprintf("GET\n%d\n/v1/AUTH_pa/c/pre/a", exp))
		e.must(401, "GET", fmt.Sprintf("%s/c/pre/a?temp_url_sig=%s&temp_url_expires=%d&temp_url_prefix=pre/", acctA, objSig, exp), "", "")
		// An empty prefix grants the whole container.
		all := hm(fmt.Sprintf("GET\n%d\nprefix:/v1/AUTH_pa/c/", exp))
		e.must(200, "GET", fmt.Sprintf("%s/c/other?temp_url_sig=%s&temp_url_expires=%d&temp_url_prefix=", acctA, all, exp), "", "")

		// Address ranges: the test client is 127.0.0.1.
		for ipr, code := range map[string]int{"127.0.0.1": 200, "127.0.0.0/8": 200, "10.0.0.0/8": 401, "127.0.0.1/8": 401, "nonsense": 401} {
			sig := hm(fmt.Sprintf("ip=%s\nGET\n%d\n/v1/AUTH_pa/c/other", ipr, exp))
			e.must(code, "GET", fmt.Sprintf("%s/c/other?temp_url_sig=%s&temp_url_expires=%d&temp_url_ip_range=%s", acctA, sig, exp, ipr), "", "")
		}
		// A signature without the range line does not pass with a range added.
		e.must(401, "GET", fmt.Sprintf("%s/c/other?temp_url_sig=%s&temp_url_expires=%d&temp_url_ip_range=127.0.0.1",
			acctA, hm(fmt.Sprintf("GET\n%d\n/v1/AUTH_pa/c/other", exp)), exp), "", "")

		// ISO 8601 expiry: the HMAC is over the Unix time, as swiftclient signs it.
		iso := time.Unix(exp, 0).UTC().Format("2006-01-02T15:04:05Z")
		e.must(200, "GET", fmt.Sprintf("%s/c/other?temp_url_sig=%s&temp_url_expires=%s", acctA, hm(fmt.Sprintf("GET\n%d\n/v1/AUTH_pa/c/other", exp)), iso), "", "")
		e.must(401, "GET", fmt.Sprintf("%s/c/other?temp_url_sig=%s&temp_url_expires=%s", acctA, hm(fmt.Sprintf("GET\n%s\n/v1/AUTH_pa/c/other", iso)), iso), "", "")
	})
}
