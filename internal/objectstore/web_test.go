package objectstore

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func TestStaticWeb(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		// The container root is a listing request: a referrer ACL needs
		// .rlistings for it, as in Swift (see TestStaticWebError401).
		e.must(201, "PUT", acctA+"/site", "tok-a", "", "X-Container-Read: .r:*,.rlistings", "X-Container-Meta-Web-Index: index.html",
			"X-Container-Meta-Web-Error: error.html")
		e.must(201, "PUT", acctA+"/site/index.html", "tok-a", "<h1>home</h1>")
		e.must(201, "PUT", acctA+"/site/404error.html", "tok-a", "<h1>missing</h1>")
		if _, b := e.must(200, "GET", acctA+"/site/", "", ""); b != "<h1>home</h1>" {
			t.Fatalf("index %q", b)
		}
		if _, b := e.must(404, "GET", acctA+"/site/nope", "", ""); b != "<h1>missing</h1>" {
			t.Fatalf("error page %q", b)
		}
		// Authenticated callers get the API, not the web view.
		e.must(200, "GET", acctA+"/site/", "tok-a", "")
		e.must(404, "GET", acctA+"/site/nope", "tok-a", "")
		e.must(412, "GET", acctA+"/site/bad%FFname", "tok-a", "")
	})
}

func TestStaticWebListingAndRedirect(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		e.must(201, "PUT", acctA+"/site", "tok-a", "", "X-Container-Read: .r:*,.rlistings", "X-Container-Meta-Web-Listings: true",
			"X-Container-Meta-Web-Listings-Css: listings.css")
		e.must(201, "PUT", acctA+"/site/a.txt", "tok-a", "aaa")
		e.must(201, "PUT", acctA+"/site/dir/b.txt", "tok-a", "bbb")
		_, b := e.must(200, "GET", acctA+"/site", "", "") // redirected to /site/
		if !strings.Contains(b, `<link rel="stylesheet" type="text/css" href="listings.css" />`) ||
			!strings.Contains(b, `<a href="a.txt">a.txt</a>`) || !strings.Contains(b, `<a href="dir/">dir/</a>`) {
			t.Fatalf("listing %s", b)
		}
		if _, b = e.must(200, "GET", acctA+"/site/dir/", "", ""); !strings.Contains(b, `<a href="b.txt">b.txt</a>`) {
			t.Fatalf("sub listing %s", b)
		}
		e.must(201, "PUT", acctA+"/site/index.html", "tok-a", "home")
		e.must(204, "POST", acctA+"/site", "tok-a", "", "X-Container-Meta-Web-Index: index.html")
		resp, b := e.must(200, "GET", acctA+"/site", "", "")
		if b != "home" || resp.Header.Get("Etag") == "" {
			t.Fatalf("index %q %v", b, resp.Header)
		}
	})
}

// staticweb serves "401<Web-Error>" when an anonymous caller may read the
// container's objects but not its listing, and the plain 401 otherwise.
func TestStaticWebError401(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		const page = "<h1>no</h1>"
		e.must(201, "PUT", acctA+"/site", "tok-a", "", "X-Container-Read: .r:*", "X-Container-Meta-Web-Listings: true",
			"X-Container-Meta-Web-Error: error.html")
		e.must(201, "PUT", acctA+"/site/401error.html", "tok-a", page)
		e.must(201, "PUT", acctA+"/priv", "tok-a", "", "X-Container-Meta-Web-Listings: true", "X-Container-Meta-Web-Error: error.html")
		e.must(201, "PUT", acctA+"/priv/401error.html", "tok-a", page)
		for _, tc := range []struct {
			path   string
			custom bool
		}{
			{"/site/", true},
			{"/site", true},
			{"/priv/", false}, // the error page is not readable either
			{"/priv", false},
		} {
			if _, b := e.must(401, "GET", acctA+tc.path, "", ""); (b == page) != tc.custom {
				t.Errorf("GET %s: body %q", tc.path, b)
			}
		}
		if resp, _ := e.must(401, "HEAD", acctA+"/site/", "", ""); resp.Header.Get("Content-Length") != "11" {
			t.Errorf("HEAD headers %v", resp.Header)
		}
		e.must(204, "POST", acctA+"/site", "tok-a", "", "X-Container-Meta-Web-Error: gone.html")
		if _, b := e.must(401, "GET", acctA+"/site/", "", ""); b == page {
			t.Errorf("missing error page served %q", b)
		}
	})
}

// A pseudo-directory named without its slash is redirected to "dir/" when
// it has an index object or any object under it, as staticweb does.
func TestStaticWebDirRedirect(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		e.must(201, "PUT", acctA+"/idx", "tok-a", "", "X-Container-Read: .r:*", "X-Container-Meta-Web-Index: index.html",
			"X-Container-Meta-Web-Error: error.html")
		e.must(201, "PUT", acctA+"/idx/dir/index.html", "tok-a", "dir home")
		e.must(201, "PUT", acctA+"/idx/404error.html", "tok-a", "missing")
		e.must(201, "PUT", acctA+"/idx/sub/a.txt", "tok-a", "a")
		e.must(201, "PUT", acctA+"/lst", "tok-a", "", "X-Container-Read: .r:*,.rlistings", "X-Container-Meta-Web-Listings: true")
		e.must(201, "PUT", acctA+"/lst/dir/a.txt", "tok-a", "a")
		e.must(201, "PUT", acctA+"/plain", "tok-a", "", "X-Container-Read: .r:*,.rlistings", "X-Container-Meta-Web-Error: error.html")
		e.must(201, "PUT", acctA+"/plain/dir/a.txt", "tok-a", "a")
		e.must(201, "PUT", acctA+"/plain/404error.html", "tok-a", "missing")
		// Web-Error alone does not make a web container: staticweb keeps the plain 404.
		if _, b := e.must(404, "GET", acctA+"/plain/nope", "", ""); b == "missing" {
			t.Errorf("error page without Web-Index or Web-Listings")
		}
		for _, tc := range []struct {
			path     string
			status   int
			location string
			body     string
		}{
			{"/idx/dir", 301, acctA + "/idx/dir/", ""},
			{"/idx/dir/", 200, "", "dir home"},
			{"/idx/nodir", 404, "", "missing"},
			{"/idx/nodir/", 404, "", "missing"},
			{"/idx/sub", 404, "", "missing"}, // only sub/a.txt, and .r:* does not grant listings
			{"/lst/dir", 301, acctA + "/lst/dir/", ""},
			{"/lst/dir?x=1", 301, acctA + "/lst/dir/", ""},
			{"/lst/nodir", 404, "", ""},
			{"/plain/dir", 404, "", ""}, // no Web-Index or Web-Listings: no static web
		} {
			req, _ := http.NewRequest("GET", e.srv.URL+acctA+tc.path, nil)
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || resp.Header.Get("Location") != tc.location || tc.body != "" && string(b) != tc.body {
				t.Errorf("GET %s: %d %q %q", tc.path, resp.StatusCode, resp.Header.Get("Location"), b)
			}
		}
	})
}

// X-Web-Mode: true gives token holders the static-web view; false or
// absent gives them the API.
func TestStaticWebMode(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		e.must(201, "PUT", acctA+"/site", "tok-a", "", "X-Container-Read: .r:*,.rlistings", "X-Container-Meta-Web-Index: index.html",
			"X-Container-Meta-Web-Error: error.html")
		e.must(201, "PUT", acctA+"/site/index.html", "tok-a", "home")
		e.must(201, "PUT", acctA+"/site/dir/index.html", "tok-a", "dir home")
		e.must(201, "PUT", acctA+"/site/404error.html", "tok-a", "missing")
		e.must(201, "PUT", acctA+"/api", "tok-a", "")
		e.must(201, "PUT", acctA+"/api/a.txt", "tok-a", "a")
		on, off := "X-Web-Mode: true", "X-Web-Mode: false"
		for _, tc := range []struct {
			method, path, token, mode string
			status                    int
			body                      string
		}{
			{"GET", "/site/", "tok-a", on, 200, "home"},
			{"GET", "/site/nope", "tok-a", on, 404, "missing"},
			{"GET", "/site/dir/", "tok-b", on, 200, "dir home"}, // another project, through the referrer ACL
			{"GET", "/site/nope", "tok-a", off, 404, ""},
			{"GET", "/site", "tok-a", off, 200, "404error.html\ndir/index.html\nindex.html\n"},
			{"GET", "/api", "tok-a", on, 404, ""}, // no Web-Index or Web-Listings
			{"GET", "/api/", "tok-a", on, 404, ""},
			{"GET", "/api", "tok-a", off, 200, "a.txt\n"},
			{"GET", "/api", "", on, 401, ""},
		} {
			_, b := e.must(tc.status, tc.method, acctA+tc.path, tc.token, "", tc.mode)
			if tc.body != "" && b != tc.body {
				t.Errorf("%s %s %s: body %q", tc.method, tc.path, tc.mode, b)
			}
			if tc.body == "" && b == "missing" {
				t.Errorf("%s %s %s: error page served", tc.method, tc.path, tc.mode)
			}
		}
		req, _ := http.NewRequest("GET", e.srv.URL+acctA+"/site/dir", nil)
		req.Header.Set("X-Auth-Token", "tok-a")
		req.Header.Set("X-Web-Mode", "true")
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 301 || resp.Header.Get("Location") != acctA+"/site/dir/" {
			t.Errorf("web mode redirect %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

// An object whose type is the container's Web-Directory-Type (default
// application/directory) and whose length is at most 1 is a directory
// marker: staticweb treats it as not found, so "dir" redirects to "dir/"
// or is a 404, as for a pseudo-directory without a marker.
func TestStaticWebDirMarker(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		const dirType = "Content-Type: application/directory"
		e.must(201, "PUT", acctA+"/lst", "tok-a", "", "X-Container-Read: .r:*,.rlistings", "X-Container-Meta-Web-Listings: true")
		e.must(201, "PUT", acctA+"/lst/dir", "tok-a", "", dirType)
		e.must(201, "PUT", acctA+"/lst/dir/a.txt", "tok-a", "a")
		e.must(201, "PUT", acctA+"/lst/empty", "tok-a", "", dirType)
		e.must(201, "PUT", acctA+"/lst/one", "tok-a", "x", dirType)
		e.must(201, "PUT", acctA+"/lst/two", "tok-a", "xy", dirType)
		e.must(201, "PUT", acctA+"/idx", "tok-a", "", "X-Container-Read: .r:*", "X-Container-Meta-Web-Index: index.html")
		e.must(201, "PUT", acctA+"/idx/dir", "tok-a", "", dirType)
		e.must(201, "PUT", acctA+"/idx/dir/index.html", "tok-a", "dir home")
		e.must(201, "PUT", acctA+"/own", "tok-a", "", "X-Container-Read: .r:*,.rlistings", "X-Container-Meta-Web-Listings: true",
			"X-Container-Meta-Web-Directory-Type: text/directory")
		e.must(201, "PUT", acctA+"/own/dir", "tok-a", "", "Content-Type: text/directory")
		e.must(201, "PUT", acctA+"/own/dir/a.txt", "tok-a", "a")
		e.must(201, "PUT", acctA+"/own/app", "tok-a", "", dirType)
		// Markers named with their slash, as in staticweb's tests (c11, c11a).
		e.must(201, "PUT", acctA+"/idx/s/", "tok-a", "", dirType)
		e.must(201, "PUT", acctA+"/idx/s/index.html", "tok-a", "s home")
		e.must(201, "PUT", acctA+"/own/d2/", "tok-a", "", "Content-Type: text/directory")
		e.must(201, "PUT", acctA+"/own/d2/a.txt", "tok-a", "a")
		e.must(201, "PUT", acctA+"/own/d3/", "tok-a", "", "Content-Type: not_a/directory")
		e.must(201, "PUT", acctA+"/own/d3/a.txt", "tok-a", "a")
		e.must(201, "PUT", acctA+"/plain", "tok-a", "", "X-Container-Read: .r:*,.rlistings")
		e.must(201, "PUT", acctA+"/plain/dir", "tok-a", "", dirType)
		for _, tc := range []struct {
			method, path, token string
			status              int
			location            string
		}{
			{"GET", "/lst/dir", "", 301, acctA + "/lst/dir/"},
			{"HEAD", "/lst/dir", "", 301, acctA + "/lst/dir/"},
			{"GET", "/lst/empty", "", 404, ""}, // nothing under "empty/"
			{"GET", "/lst/one", "", 404, ""},   // size 1 is still a marker
			{"GET", "/lst/two", "", 200, ""},   // size 2 is an object
			{"GET", "/lst/dir", "tok-a", 200, ""},
			{"GET", "/idx/dir", "", 301, acctA + "/idx/dir/"},
			{"GET", "/own/dir", "", 301, acctA + "/own/dir/"},
			{"GET", "/own/app", "", 200, ""},   // not this container's directory type
			{"GET", "/plain/dir", "", 200, ""}, // no Web-Index or Web-Listings: served as is
			{"GET", "/idx/s/", "", 200, ""},
			{"GET", "/own/d2/", "", 200, ""},
			{"GET", "/own/d3/", "", 200, ""},
		} {
			req, _ := http.NewRequest(tc.method, e.srv.URL+acctA+tc.path, nil)
			if tc.token != "" {
				req.Header.Set("X-Auth-Token", tc.token)
			}
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || resp.Header.Get("Location") != tc.location {
				t.Errorf("%s %s: %d %q", tc.method, tc.path, resp.StatusCode, resp.Header.Get("Location"))
			}
			if want, ok := map[string]string{"/idx/s/": "s home", "/own/d3/": ""}[tc.path]; ok && string(b) != want ||
				tc.path == "/own/d2/" && !strings.Contains(string(b), `<a href="a.txt">a.txt</a>`) {
				t.Errorf("%s %s: body %q", tc.method, tc.path, b)
			}
		}
	})
}

// Web-Listings-Label replaces the account path in the listing's title and
// heading: "<label>/<path under the container>", as staticweb does.
func TestStaticWebListingsLabel(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		e.must(201, "PUT", acctA+"/site", "tok-a", "", "X-Container-Read: .r:*,.rlistings", "X-Container-Meta-Web-Listings: true",
			"X-Container-Meta-Web-Listings-Label: A&B site")
		e.must(201, "PUT", acctA+"/site/dir/a.txt", "tok-a", "a")
		e.must(201, "PUT", acctA+"/off", "tok-a", "", "X-Container-Read: .r:*,.rlistings", "X-Container-Meta-Web-Index: index.html",
			"X-Container-Meta-Web-Listings-Label: Off")
		e.must(201, "PUT", acctA+"/nolabel", "tok-a", "", "X-Container-Read: .r:*,.rlistings", "X-Container-Meta-Web-Listings: true")
		for _, tc := range []struct {
			path   string
			status int
			want   []string
		}{
			{"/site/", 200, []string{"<title>Listing of A&amp;B site/</title>", `<h1 id="title">Listing of A&amp;B site/</h1>`}},
			{"/site/dir/", 200, []string{"<title>Listing of A&amp;B site/dir/</title>", `<h1 id="title">Listing of A&amp;B site/dir/</h1>`}},
			{"/off/", 404, []string{"<title>Listing of Off/</title>"}},
			{"/nolabel/", 200, []string{"<title>Listing of /v1/AUTH_pa/nolabel/</title>"}},
		} {
			_, b := e.must(tc.status, "GET", acctA+tc.path, "", "")
			for _, w := range tc.want {
				if !strings.Contains(b, w) {
					t.Errorf("GET %s: no %q in %s", tc.path, w, b)
				}
			}
		}
	})
}

// The HTML listing is staticweb.py 2.30's, byte for byte but for the
// title (stratus's request path) and the dates: the default <style> with
// no Web-Listings-CSS, subdirectories first, quoted hrefs, html.escape'd
// names, type-* classes and human_readable sizes.
func TestStaticWebListingMarkup(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		e.must(201, "PUT", acctA+"/site", "tok-a", "", "X-Container-Read: .r:*,.rlistings", "X-Container-Meta-Web-Listings: true")
		e.must(201, "PUT", acctA+"/site/a%20b%26%27.txt", "tok-a", strings.Repeat("x", 1536), "Content-Type: Text/Plain")
		e.must(201, "PUT", acctA+"/site/dir/x", "tok-a", "x")
		e.must(201, "PUT", acctA+"/site/z.txt", "tok-a", "zzz", "Content-Type: application/json")
		want := `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" "http://www.w3.org/TR/html4/loose.dtd">
<html>
 <head>
  <title>Listing of /v1/AUTH_pa/site/</title>
  <style type="text/css">
   h1 {font-size: 1em; font-weight: bold;}
   th {text-align: left; padding: 0px 1em 0px 1em;}
   td {padding: 0px 1em 0px 1em;}
   a {text-decoration: none;}
  </style>
 </head>
 <body>
  <h1 id="title">Listing of /v1/AUTH_pa/site/</h1>
  <table id="listing">
   <tr id="heading">
    <th class="colname">Name</th>
    <th class="colsize">Size</th>
    <th class="coldate">Date</th>
   </tr>
   <tr class="item subdir">
    <td class="colname"><a href="dir/">dir/</a></td>
    <td class="colsize">&nbsp;</td>
    <td class="coldate">&nbsp;</td>
   </tr>
   <tr class="item type-text type-plain">
    <td class="colname"><a href="a%20b%26%27.txt">a b&amp;&#x27;.txt</a></td>
    <td class="colsize">2Ki</td>
    <td class="coldate">DATE</td>
   </tr>
   <tr class="item type-application type-json">
    <td class="colname"><a href="z.txt">z.txt</a></td>
    <td class="colsize">3</td>
    <td class="coldate">DATE</td>
   </tr>
  </table>
 </body>
</html>
`
		_, b := e.must(200, "GET", acctA+"/site/", "", "")
		if got := regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`).ReplaceAllString(b, "DATE"); got != want {
			t.Errorf("listing:\n%s\nwant:\n%s", got, want)
		}
	})
}

// A relative Web-Listings-CSS is reached from a pseudo-directory with one
// "../" per "/" of its prefix; an absolute path or URL is only quoted, as
// staticweb's _build_css_path does, on the listing and on the
// "Web Listing Disabled" page.
func TestStaticWebListingCSSPath(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		for _, c := range []struct{ name, css, hdr string }{
			{"rel", "my style.css", "X-Container-Meta-Web-Listings: true"},
			{"abs", "/s/x y.css", "X-Container-Meta-Web-Listings: true"},
			{"url", "https://h/x y.css", "X-Container-Meta-Web-Listings: true"},
			{"off", "list.css", "X-Container-Meta-Web-Index: index.html"},
		} {
			e.must(201, "PUT", acctA+"/"+c.name, "tok-a", "", "X-Container-Read: .r:*,.rlistings", c.hdr, "X-Container-Meta-Web-Listings-Css: "+c.css)
			e.must(201, "PUT", acctA+"/"+c.name+"/dir/sub/x", "tok-a", "x")
		}
		for _, tc := range []struct {
			path   string
			status int
			href   string
		}{
			{"/rel/", 200, "my%20style.css"},
			{"/rel/dir/", 200, "../my%20style.css"},
			{"/rel/dir/sub/", 200, "../../my%20style.css"},
			{"/abs/dir/", 200, "/s/x%20y.css"},
			{"/url/dir/sub/", 200, "https://h/x%20y.css"},
			{"/off/", 404, "list.css"},
			{"/off/dir/", 404, "../list.css"},
		} {
			_, b := e.must(tc.status, "GET", acctA+tc.path, "", "")
			if w := `  <link rel="stylesheet" type="text/css" href="` + tc.href + `" />` + "\n"; !strings.Contains(b, w) {
				t.Errorf("GET %s: no %q in %s", tc.path, w, b)
			}
		}
	})
}

func TestHumanReadable(t *testing.T) {
	// Values from swift.common.utils.human_readable (Python 3 round is
	// round-half-even).
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{0, "0"}, {1, "1"}, {1023, "1023"}, {1024, "1Ki"}, {1535, "1Ki"}, {1536, "2Ki"},
		{2560, "2Ki"}, {3584, "4Ki"}, {1048575, "1Mi"}, {1048576, "1Mi"}, {5 << 30, "5Gi"},
		{1<<63 - 1, "8Ei"},
	} {
		if got := humanReadable(tc.n); got != tc.want {
			t.Errorf("humanReadable(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
