package objectstore

import "testing"

func TestStaticWeb(t *testing.T) {
	e := newEnv(t)
	e.must(201, "PUT", acctA+"/site", "tok-a", "", "X-Container-Read: .r:*", "X-Container-Meta-Web-Index: index.html",
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
}
