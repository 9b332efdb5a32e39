package objectstore

import (
	"crypto/sha1"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The attacks of issue 11, each as it was reproduced against a running
// node; every one must now fail.

// tempURL is a SHA1 temp URL for method on acctA+rest signed with key.
func tempURL(key, method, rest string) string {
	exp := time.Now().Add(time.Hour).Unix()
	return fmt.Sprintf("%s%s?temp_url_sig=%s&temp_url_expires=%d", acctA, rest, sign(sha1.New, key, method, exp, "/v1/AUTH_pa"+rest), exp)
}

// Holes 1 and 4: temp URL keys (and ACLs) are shown only to those who may
// write the account.
func TestAttackKeysShownOnlyToWriters(t *testing.T) {
	e := newEnv(t)
	e.must(204, "POST", acctA, "tok-a", "", "X-Account-Meta-Temp-URL-Key: akey", "X-Account-Meta-Temp-URL-Key-2: akey2")
	e.must(201, "PUT", acctA+"/pub", "tok-a", "", "X-Container-Read: .r:*,.rlistings,pb:ub",
		"X-Container-Meta-Temp-URL-Key: ckey", "X-Container-Meta-Temp-URL-Key-2: ckey2", "X-Container-Meta-Color: red")
	keys := []string{"X-Container-Meta-Temp-Url-Key", "X-Container-Meta-Temp-Url-Key-2", "X-Container-Read"}
	for _, tc := range []struct {
		name, method, path, token string
		status                    int
		hidden                    []string
		shown                     []string
	}{
		{"anonymous reader of a public container", "HEAD", "/pub", "", 204, keys, []string{"X-Container-Meta-Color"}},
		{"anonymous listing", "GET", "/pub", "", 204, keys, []string{"X-Container-Meta-Color"}},
		{"ACL reader", "HEAD", "/pub", "tok-b", 204, keys, []string{"X-Container-Meta-Color"}},
		{"project reader, container", "HEAD", "/pub", "tok-reader", 204, keys, []string{"X-Container-Meta-Color"}},
		{"project reader, account", "HEAD", "", "tok-reader", 204, []string{"X-Account-Meta-Temp-Url-Key", "X-Account-Meta-Temp-Url-Key-2"}, nil},
		{"project reader, account listing", "GET", "", "tok-reader", 200, []string{"X-Account-Meta-Temp-Url-Key", "X-Account-Meta-Temp-Url-Key-2"}, nil},
		{"owner member, container", "HEAD", "/pub", "tok-a", 204, nil, keys},
		{"owner member, account", "HEAD", "", "tok-a", 204, nil, []string{"X-Account-Meta-Temp-Url-Key", "X-Account-Meta-Temp-Url-Key-2"}},
		{"cloud admin, account", "HEAD", "", "tok-admin", 204, nil, []string{"X-Account-Meta-Temp-Url-Key"}},
	} {
		resp, _ := e.must(tc.status, tc.method, acctA+tc.path, tc.token, "")
		for _, h := range tc.hidden {
			if v := resp.Header.Get(h); v != "" {
				t.Errorf("%s: %s shown: %q", tc.name, h, v)
			}
		}
		for _, h := range tc.shown {
			if resp.Header.Get(h) == "" {
				t.Errorf("%s: %s not shown", tc.name, h)
			}
		}
	}
	// A reader may not set keys either.
	e.must(403, "POST", acctA, "tok-reader", "", "X-Account-Meta-Temp-URL-Key: mine")
	e.must(403, "POST", acctA+"/pub", "tok-reader", "", "X-Container-Meta-Temp-URL-Key: mine")
}

// Hole 2: a container key grants that container only; COPY cannot be signed.
func TestAttackContainerKeyScope(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		e.must(201, "PUT", acctA+"/pub", "tok-a", "", "X-Container-Meta-Temp-URL-Key: ckey")
		e.must(201, "PUT", acctA+"/private", "tok-a", "")
		e.must(201, "PUT", acctA+"/private/secret", "tok-a", "top secret")
		e.must(201, "PUT", acctA+"/private/victim", "tok-a", "victim")
		e.must(201, "PUT", acctA+"/pub/seg", "tok-a", "public")

		// Read another container through X-Copy-From.
		e.must(401, "PUT", tempURL("ckey", "PUT", "/pub/x"), "", "", "X-Copy-From: private/secret")
		e.must(404, "GET", acctA+"/pub/x", "tok-a", "")
		// Write into another container with COPY: COPY is not signable...
		e.must(401, "COPY", tempURL("ckey", "COPY", "/pub/seg"), "", "", "Destination: private/y")
		e.must(404, "GET", acctA+"/private/y", "tok-a", "")
		// ...and a PUT-signed URL does not sign a COPY either.
		e.must(401, "COPY", tempURL("ckey", "PUT", "/pub/seg"), "", "", "Destination: private/y")
		// Delete another container's object through an SLO manifest.
		e.must(201, "PUT", acctA+"/pub/man?multipart-manifest=put", "tok-a", `[{"path":"/private/victim"}]`)
		_, b := e.must(200, "DELETE", tempURL("ckey", "DELETE", "/pub/man")+"&multipart-manifest=delete", "", "", "Accept: application/json")
		if !strings.Contains(b, `"Number Deleted": 1`) || !strings.Contains(b, `["/private/victim", "401 Unauthorized"]`) {
			t.Fatalf("manifest delete report %s", b)
		}
		e.must(200, "GET", acctA+"/private/victim", "tok-a", "")
		// Read another container through an SLO or a DLO in the granted one.
		e.must(201, "PUT", acctA+"/pub/slo?multipart-manifest=put", "tok-a", `[{"path":"/private/secret"}]`)
		e.must(401, "GET", tempURL("ckey", "GET", "/pub/slo"), "", "")
		e.must(201, "PUT", acctA+"/pub/dlo", "tok-a", "", "X-Object-Manifest: private/sec")
		e.must(401, "GET", tempURL("ckey", "GET", "/pub/dlo"), "", "")
		// A manifest put through the URL may not name other containers.
		_, b = e.must(400, "PUT", tempURL("ckey", "PUT", "/pub/slo2")+"&multipart-manifest=put", "", `[{"path":"/private/secret"}]`)
		if !strings.Contains(b, "/private/secret, 403 Forbidden") {
			t.Fatalf("manifest put %q", b)
		}
		// Within its container the key still works.
		e.must(201, "PUT", tempURL("ckey", "PUT", "/pub/copy"), "", "", "X-Copy-From: pub/seg")
		e.must(201, "PUT", acctA+"/pub/own?multipart-manifest=put", "tok-a", `[{"path":"/pub/seg"}]`)
		if _, b := e.must(200, "GET", tempURL("ckey", "GET", "/pub/own"), "", ""); b != "public" {
			t.Fatalf("own slo %q", b)
		}
	})
}

// An account key grants the whole account, as authorize_same_account.
func TestAccountKeyScope(t *testing.T) {
	e := newEnv(t)
	e.must(204, "POST", acctA, "tok-a", "", "X-Account-Meta-Temp-URL-Key: akey")
	e.must(201, "PUT", acctA+"/pub", "tok-a", "")
	e.must(201, "PUT", acctA+"/private", "tok-a", "")
	e.must(201, "PUT", acctA+"/private/secret", "tok-a", "top secret")
	e.must(201, "PUT", tempURL("akey", "PUT", "/pub/x"), "", "", "X-Copy-From: private/secret")
	if _, b := e.must(200, "GET", acctA+"/pub/x", "tok-a", ""); b != "top secret" {
		t.Fatal(b)
	}
}

// Swift's methods option: COPY may be signed when configured, and then a
// container key still copies only within its container.
func TestTempURLMethodsConfigured(t *testing.T) {
	e := newEnvWith(t, Options{TempURLMethods: []string{"GET", "HEAD", "PUT", "COPY"}})
	e.must(201, "PUT", acctA+"/pub", "tok-a", "", "X-Container-Meta-Temp-URL-Key: ckey")
	e.must(201, "PUT", acctA+"/private", "tok-a", "")
	e.must(201, "PUT", acctA+"/pub/o", "tok-a", "x")
	e.must(201, "COPY", tempURL("ckey", "COPY", "/pub/o"), "", "", "Destination: pub/o2")
	e.must(401, "COPY", tempURL("ckey", "COPY", "/pub/o"), "", "", "Destination: private/o2")
	e.must(401, "DELETE", tempURL("ckey", "DELETE", "/pub/o"), "", "")
	_, b := e.must(200, "GET", "/object-store/info", "", "")
	if !strings.Contains(b, `"methods":["GET","HEAD","PUT","COPY"]`) {
		t.Fatalf("info %s", b)
	}
}

// Hole 3: nested large objects are checked at every level.
func TestAttackNestedManifest(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		e.must(201, "PUT", acctA+"/private2", "tok-a", "")
		e.must(201, "PUT", acctA+"/private2/data", "tok-a", "private2 data")
		e.must(201, "PUT", acctA+"/shared", "tok-a", "", "X-Container-Write: pb:ub", "X-Container-Read: pb:ub")
		e.must(201, "PUT", acctA+"/shared/d", "tok-b", "", "X-Object-Manifest: private2/")
		e.must(403, "GET", acctA+"/shared/d", "tok-b", "")
		e.must(201, "PUT", acctA+"/shared/s?multipart-manifest=put", "tok-b", `[{"path":"/shared/d"}]`)
		e.must(403, "GET", acctA+"/shared/s", "tok-b", "")
		e.must(403, "PUT", acctA+"/shared/s2", "tok-b", "", "X-Copy-From: shared/s")
		// A third level: an SLO of that SLO.
		e.must(201, "PUT", acctA+"/shared/s3?multipart-manifest=put", "tok-b", `[{"path":"/shared/s"}]`)
		e.must(403, "GET", acctA+"/shared/s3", "tok-b", "")
		// The owner reads them all.
		if _, b := e.must(200, "GET", acctA+"/shared/s3", "tok-a", ""); b != "private2 data" {
			t.Fatalf("owner %q", b)
		}
	})
}

// Hole 8: names that enter outside the path follow the path's rules, so
// every object can be deleted and every container emptied.
func TestAttackUndeletableNames(t *testing.T) {
	bothStores(t, func(t *testing.T, e *testEnv) {
		e.must(201, "PUT", acctA+"/c", "tok-a", "")
		e.must(201, "PUT", acctA+"/c/o", "tok-a", "x")
		long := strings.Repeat("n", maxObjectNameLength+1)
		for _, tc := range []struct {
			name   string
			status int
		}{
			{"c/bad%00name", 412}, {"c/bad%FFname", 412}, {"c/" + long, 400}, {"c%FF/x", 412}, {"c%00/x", 412},
			{strings.Repeat("c", maxContainerNameLen+1) + "/x", 400},
		} {
			e.must(tc.status, "COPY", acctA+"/c/o", "tok-a", "", "Destination: "+tc.name)
			e.must(tc.status, "PUT", acctA+"/c/x", "tok-a", "", "X-Copy-From: "+tc.name)
		}
		e.must(412, "PUT", acctA+"/c/dlo", "tok-a", "", "X-Object-Manifest: c%FF/prefix")
		e.must(412, "PUT", acctA+"/v", "tok-a", "", "X-Versions-Location: arch%00ive")
		// Bulk upload: members with bad names are refused one by one.
		arch := tarball(t, false, map[string]string{"up/ok.txt": "1", "up/bad\xffname": "2", "up/" + long: "3"})
		_, b := e.must(200, "PUT", acctA+"?extract-archive=tar", "tok-a", arch, "Accept: application/json")
		if !strings.Contains(b, `"Number Files Created": 1`) || !strings.Contains(b, "412 Precondition Failed") ||
			!strings.Contains(b, "400 Bad Request") {
			t.Fatalf("extract report %s", b)
		}
		// Everything that was created can be deleted, and so can its container.
		for _, c := range []string{"c", "up"} {
			_, list := e.must(200, "GET", acctA+"/"+c, "tok-a", "")
			for _, name := range strings.Fields(list) {
				e.must(204, "DELETE", acctA+"/"+c+"/"+escapeObject(name), "tok-a", "")
			}
			e.must(204, "DELETE", acctA+"/"+c, "tok-a", "")
		}
	})
}

// "project:user" ACL entries match ids, and names only within the default
// domain (keystoneauth): a namesake in another domain is not granted.
func TestACLNamesOnlyInDefaultDomain(t *testing.T) {
	e := newEnv(t)
	e.must(201, "PUT", acctA+"/byname", "tok-a", "", "X-Container-Read: projb:bob")
	e.must(201, "PUT", acctA+"/byname/o", "tok-a", "x")
	e.must(201, "PUT", acctA+"/byid", "tok-a", "", "X-Container-Read: pb2:ub2")
	e.must(201, "PUT", acctA+"/byid/o", "tok-a", "x")
	e.must(200, "GET", acctA+"/byname/o", "tok-b", "")
	e.must(403, "GET", acctA+"/byname/o", "tok-b2", "") // same names, domain d2
	e.must(200, "GET", acctA+"/byid/o", "tok-b2", "")
	e.must(403, "GET", acctA+"/byid/o", "tok-b", "")
	// An account whose project is in another domain: names never match there.
	const acctB2 = "/object-store/v1/AUTH_pb2"
	e.must(201, "PUT", acctB2+"/c", "tok-b2", "", "X-Container-Read: proja:alice,pb:ub")
	e.must(201, "PUT", acctB2+"/c/o", "tok-b2", "x")
	e.must(403, "GET", acctB2+"/c/o", "tok-a", "")
	e.must(200, "GET", acctB2+"/c/o", "tok-b", "")
}
