package objectstore

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// Fixes for the tempest triage (docs/tempest-triage.md).
func TestSwiftTransIDAndAccountSlash(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		txRE := regexp.MustCompile(`^tx[0-9a-f]{21}-[0-9a-f]{10}$`)
		resp, _ := e.must(204, "HEAD", acctA, "tok-a", "")
		if tx := resp.Header.Get("X-Trans-Id"); !txRE.MatchString(tx) || resp.Header.Get("X-Openstack-Request-Id") != tx {
			t.Fatalf("trans id %q / %q", tx, resp.Header.Get("X-Openstack-Request-Id"))
		}
		resp, _ = e.must(404, "GET", acctA+"/nope/x", "tok-a", "")
		if !txRE.MatchString(resp.Header.Get("X-Trans-Id")) {
			t.Fatalf("error trans id %q", resp.Header.Get("X-Trans-Id"))
		}
		e.must(201, "PUT", acctA+"/a", "tok-a", "")
		e.must(201, "PUT", acctA+"/b", "tok-a", "")
		if _, b := e.must(200, "GET", acctA+"/?format=json&limit=1", "tok-a", ""); !strings.Contains(b, `"name":"a"`) || strings.Contains(b, `"b"`) {
			t.Fatalf("account with slash %s", b)
		}
		e.must(403, "GET", acctA+"/?format=json", "tok-b", "")
		e.must(204, "POST", acctA+"/", "tok-a", "", "X-Account-Meta-K: v")
		if _, b := e.must(200, "GET", "/object-store/healthcheck", "", ""); b != "OK" {
			t.Fatal(b)
		}
	})
}

func TestReverseListing(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		e.must(201, "PUT", acctA+"/c", "tok-a", "")
		for _, n := range []string{"a", "b/1", "b/2", "c", "d"} {
			e.must(201, "PUT", acctA+"/c/"+n, "tok-a", "x")
		}
		cases := []struct{ q, want string }{
			{"?reverse=true", "d\nc\nb/2\nb/1\na\n"},
			{"?reverse=true&limit=2", "d\nc\n"},
			{"?reverse=true&marker=c", "b/2\nb/1\na\n"},
			{"?reverse=true&marker=d&end_marker=a", "c\nb/2\nb/1\n"},
			{"?reverse=true&prefix=b/", "b/2\nb/1\n"},
			{"?reverse=true&delimiter=/", "d\nc\nb/\na\n"},
		}
		for _, c := range cases {
			if _, b := e.must(200, "GET", acctA+"/c"+c.q, "tok-a", ""); b != c.want {
				t.Errorf("%s: %q want %q", c.q, b, c.want)
			}
		}
		e.must(201, "PUT", acctA+"/z", "tok-a", "")
		if _, b := e.must(200, "GET", acctA+"?reverse=on", "tok-a", ""); b != "z\nc\n" {
			t.Errorf("containers reversed: %q", b)
		}
	})
}

func TestMetadataShapesAndPostManifest(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		e.must(201, "PUT", acctA+"/c", "tok-a", "", "X-Container-Meta-test_container_meta: Meta1")
		if resp, _ := e.must(204, "HEAD", acctA+"/c", "tok-a", ""); resp.Header.Get("X-Container-Meta-Test-Container-Meta") != "Meta1" {
			t.Fatalf("underscore key %v", resp.Header)
		}
		e.must(201, "PUT", acctA+"/c/o", "tok-a", "x", "X-Object-Meta-test:", "X-Object-Meta-Gone: 1", "X-Remove-Object-Meta-Gone: x")
		resp, _ := e.must(200, "HEAD", acctA+"/c/o", "tok-a", "")
		if _, ok := resp.Header["X-Object-Meta-Test"]; !ok || resp.Header.Get("X-Object-Meta-Gone") != "" {
			t.Fatalf("empty object meta %v", resp.Header)
		}
		for i, seg := range []string{"ab", "cd"} {
			e.must(201, "PUT", acctA+"/c/big/"+string(rune('0'+i)), "tok-a", seg)
		}
		e.must(201, "PUT", acctA+"/c/big", "tok-a", "")
		e.must(202, "POST", acctA+"/c/big", "tok-a", "", "X-Object-Manifest: c/big/")
		resp, b := e.must(200, "GET", acctA+"/c/big", "tok-a", "")
		if b != "abcd" || !strings.HasPrefix(resp.Header.Get("Etag"), `"`) || resp.Header.Get("X-Object-Manifest") != "c/big/" {
			t.Fatalf("post manifest %q %v", b, resp.Header)
		}
	})
}

func TestDeleteContainerWithOnlyExpiredObjects(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		e.must(201, "PUT", acctA+"/c", "tok-a", "")
		// Expiry has one-second granularity: 3 s leaves at least 2 s for the
		// 409 below even on a loaded machine; then wait (bounded) until it passes.
		e.must(201, "PUT", acctA+"/c/o", "tok-a", "x", "X-Delete-After: 3")
		e.must(201, "PUT", acctA+"/c/p", "tok-a", "x", "X-Delete-After: 3")
		e.must(409, "DELETE", acctA+"/c", "tok-a", "")
		for i := 0; i < 100; i++ {
			if resp, _ := e.do("HEAD", acctA+"/c/o", "tok-a", ""); resp.StatusCode == 404 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		e.must(404, "DELETE", acctA+"/c/p", "tok-a", "")
		e.must(204, "DELETE", acctA+"/c", "tok-a", "")
		if resp, _ := e.must(204, "HEAD", acctA, "tok-a", ""); resp.Header.Get("X-Account-Object-Count") != "0" || resp.Header.Get("X-Account-Bytes-Used") != "0" {
			t.Fatalf("account counters %v", resp.Header)
		}
	})
}
