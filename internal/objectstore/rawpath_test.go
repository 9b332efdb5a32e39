package objectstore

import (
	"strings"
	"testing"
)

// Object names are not paths: "//", "." and ".." segments are part of the
// name (Swift stores "a//b" and "a/./b" as given), so they must not be
// cleaned or redirected.
func TestObjectNamesWithUncleanPaths(t *testing.T) {
	e := newEnv(t)
	e.must(201, "PUT", acctA+"/c", "tok-a", "")
	names := []string{"a//b", "a///b", "x/./y", "x/../y", "..", "./z", "http://example.com/p", "trail//", "dots.../..x"}
	for _, name := range names {
		e.must(201, "PUT", acctA+"/c/"+name, "tok-a", "body of "+name)
	}
	for _, name := range names {
		resp, b := e.do("GET", acctA+"/c/"+name, "tok-a", "")
		if resp.StatusCode != 200 || b != "body of "+name {
			t.Errorf("GET %q: %d %q", name, resp.StatusCode, b)
		}
	}
	_, list := e.must(200, "GET", acctA+"/c", "tok-a", "")
	got := strings.Split(strings.TrimSpace(list), "\n")
	if len(got) != len(names) {
		t.Fatalf("listing has %d names, want %d:\n%s", len(got), len(names), list)
	}
	for _, name := range names {
		if !strings.Contains("\n"+list, "\n"+name+"\n") {
			t.Errorf("listing lacks %q:\n%s", name, list)
		}
	}
	e.must(204, "DELETE", acctA+"/c/a//b", "tok-a", "")
	e.must(404, "GET", acctA+"/c/a//b", "tok-a", "")
	e.must(200, "GET", acctA+"/c/a///b", "tok-a", "")
}
