package objectstore

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestAuditGaps covers behaviours the Swift audit found untested.
func TestAuditGaps(t *testing.T) {
	e := newEnv(t)
	e.must(201, "PUT", acctA+"/arch", "tok-a", "")
	e.must(201, "PUT", acctA+"/c", "tok-a", "", "X-Versions-Location: arch")
	// PUT of an existing container is 202 and merges its headers.
	e.must(202, "PUT", acctA+"/c", "tok-a", "", "X-Container-Meta-A: 1")
	resp, _ := e.must(204, "HEAD", acctA+"/c", "tok-a", "")
	if resp.Header.Get("X-Versions-Location") != "arch" || resp.Header.Get("X-Container-Meta-A") != "1" {
		t.Fatalf("202 merge %v", resp.Header)
	}
	e.must(204, "POST", acctA+"/c", "tok-a", "", "X-Remove-Versions-Location: x")
	if resp, _ := e.must(204, "HEAD", acctA+"/c", "tok-a", ""); resp.Header.Get("X-Versions-Location") != "" {
		t.Fatal("X-Remove-Versions-Location kept the header")
	}
	e.must(201, "PUT", acctA+"/c/o", "tok-a", "v1")
	e.must(201, "PUT", acctA+"/c/o", "tok-a", "v2")
	e.must(204, "GET", acctA+"/arch", "tok-a", "") // nothing archived after the removal
	// X-Delete-At on POST, then X-Remove-Delete-At.
	at := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
	e.must(202, "POST", acctA+"/c/o", "tok-a", "", "X-Delete-At: "+at)
	if resp, _ := e.must(200, "HEAD", acctA+"/c/o", "tok-a", ""); resp.Header.Get("X-Delete-At") != at {
		t.Fatalf("X-Delete-At %q want %s", resp.Header.Get("X-Delete-At"), at)
	}
	e.must(202, "POST", acctA+"/c/o", "tok-a", "", "X-Remove-Delete-At: 1")
	if resp, _ := e.must(200, "HEAD", acctA+"/c/o", "tok-a", ""); resp.Header.Get("X-Delete-At") != "" {
		t.Fatal("X-Remove-Delete-At kept the expiry")
	}
	// Object names are limited in bytes of UTF-8, not characters.
	name := strings.Repeat("é", 512) // 1024 bytes
	e.must(201, "PUT", acctA+"/c/"+name, "tok-a", "x")
	if _, b := e.must(200, "GET", acctA+"/c?prefix=%C3%A9", "tok-a", ""); b != name+"\n" {
		t.Fatalf("listing %d bytes", len(b))
	}
	e.must(400, "PUT", acctA+"/c/"+name+"a", "tok-a", "x")
}
