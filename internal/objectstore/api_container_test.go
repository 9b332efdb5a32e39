package objectstore

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/policy"
)

func caller(tok string) *policy.Principal {
	if tok == "" {
		return nil
	}
	return testAuth[tok]
}

func TestGoAPIHeadContainer(t *testing.T) {
	e, _ := goAPIEnv(t, Options{})
	e.must(201, "PUT", acctA+"/ro", "tok-a", "", "X-Container-Read: pb:ub")
	ctx := context.Background()
	for _, tc := range []struct {
		name, caller, container string
		kind                    fault.Kind
		writable                bool
	}{
		{"owner member", "tok-a", "private", 0, true},
		{"owner reader", "tok-reader", "private", 0, false},
		{"cloud admin", "tok-admin", "private", 0, true},
		{"ACL reader and writer", "tok-b", "shared", 0, true},
		{"ACL reader only", "tok-b", "ro", 0, false},
		{"other project", "tok-b", "private", fault.Forbidden, false},
		{"other project, missing", "tok-b", "nowhere", fault.Forbidden, false},
		{"owner, missing", "tok-a", "nowhere", fault.NotFound, false},
		{"anonymous", "", "private", fault.Unauthorized, false},
		{"anonymous, .r:* without listings", "", "pub", fault.Unauthorized, false},
		{"empty name", "tok-a", "", fault.Invalid, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info, err := e.svc.HeadContainer(ctx, caller(tc.caller), "AUTH_pa", tc.container)
			if fault.KindOf(err) != tc.kind || (tc.kind == 0 && err != nil) {
				t.Fatalf("err %v, want kind %v", err, tc.kind)
			}
			if err == nil && (info.Writable != tc.writable || info.Name != tc.container) {
				t.Fatalf("info %+v, want writable %v", info, tc.writable)
			}
		})
	}
	if info, err := e.svc.HeadContainer(ctx, testAuth["tok-a"], "AUTH_pa", "segs"); err != nil || info.Objects != 3 || info.Bytes != 10 {
		t.Fatalf("segs: %+v %v", info, err)
	}
}

func TestGoAPICreateContainer(t *testing.T) {
	e, _ := goAPIEnv(t, Options{})
	ctx := context.Background()
	for _, tc := range []struct {
		name, caller, container string
		kind                    fault.Kind
		created                 bool
	}{
		{"owner member, new", "tok-a", "fresh", 0, true},
		{"owner member, again", "tok-a", "fresh", 0, false},
		{"owner member, existing with an ACL", "tok-a", "shared", 0, false},
		{"owner reader", "tok-reader", "other", fault.Forbidden, false},
		{"ACL writer (containers are the owner's)", "tok-b", "shared_segments", fault.Forbidden, false},
		{"anonymous", "", "anon", fault.Unauthorized, false},
		{"name too long", "tok-a", strings.Repeat("c", 257), fault.Invalid, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			created, err := e.svc.CreateContainer(ctx, caller(tc.caller), "AUTH_pa", tc.container)
			if fault.KindOf(err) != tc.kind || (tc.kind == 0 && err != nil) {
				t.Fatalf("err %v (%v), want kind %v", err, fault.KindOf(err), tc.kind)
			}
			if created != tc.created {
				t.Fatalf("created %v, want %v", created, tc.created)
			}
		})
	}
	// An existing container keeps its ACLs.
	if info, err := e.svc.HeadContainer(ctx, testAuth["tok-b"], "AUTH_pa", "shared"); err != nil || !info.Writable {
		t.Fatalf("shared after create: %+v %v", info, err)
	}
}

func TestGoAPICopyObject(t *testing.T) {
	e, _ := goAPIEnv(t, Options{InlineMax: -1})
	ctx := context.Background()
	for _, tc := range []struct {
		name, caller, sc, so, dc, do string
		kind                         fault.Kind
	}{
		{"owner", "tok-a", "private", "plain", "segs", "copy", 0},
		{"ACL writer from a readable container", "tok-b", "shared", "mine", "shared", "copy", 0},
		{"ACL writer from private", "tok-b", "private", "plain", "shared", "copy2", fault.Forbidden},
		{"owner reader", "tok-reader", "private", "plain", "private", "copy", fault.Forbidden},
		{"a large object", "tok-a", "private", "slo", "private", "copy", fault.Invalid},
		{"missing source", "tok-a", "private", "nope", "private", "copy", fault.NotFound},
		{"missing destination container", "tok-a", "private", "plain", "nowhere", "copy", fault.NotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := e.svc.CopyObject(ctx, caller(tc.caller), "AUTH_pa", tc.sc, tc.so, tc.dc, tc.do)
			if fault.KindOf(err) != tc.kind || (tc.kind == 0 && err != nil) {
				t.Fatalf("err %v, want kind %v", err, tc.kind)
			}
		})
	}
	// The copy reads as its source, and outlives the source's deletion
	// (the blob is shared, not moved).
	if err := e.svc.DeleteObject(ctx, testAuth["tok-a"], "AUTH_pa", "private", "plain"); err != nil {
		t.Fatal(err)
	}
	r, err := e.svc.OpenObject(ctx, testAuth["tok-a"], "AUTH_pa", "segs", "copy")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if b, _ := io.ReadAll(r); string(b) != "hello world" || r.ContentType() != "text/plain" || r.Info().Metadata["Color"] != "red" {
		t.Fatalf("copy reads %q %q %v", b, r.ContentType(), r.Info().Metadata)
	}
}

func TestGoAPIPutManifest(t *testing.T) {
	e, big := goAPIEnv(t, Options{})
	ctx := context.Background()
	etag := func(tok, c, o string) string {
		info, err := e.svc.HeadObject(ctx, testAuth[tok], "AUTH_pa", c, o)
		if err != nil {
			t.Fatal(err)
		}
		return info.ETag
	}
	p0, bigTag := etag("tok-a", "segs", "p0"), etag("tok-a", "private", "big")
	for _, tc := range []struct {
		name, caller, container string
		segs                    []ManifestSegment
		kind                    fault.Kind
		problem                 string
	}{
		{"owner, checked", "tok-a", "private", []ManifestSegment{{"/segs/p0", p0, 4}, {"/private/big", bigTag, int64(len(big))}}, 0, ""},
		{"owner, unchecked", "tok-a", "private", []ManifestSegment{{"/segs/p0", "", -1}, {"/segs/p2", "", -1}}, 0, ""},
		{"wrong size", "tok-a", "private", []ManifestSegment{{"/segs/p0", "", 5}}, fault.Invalid, "Size Mismatch"},
		{"wrong etag", "tok-a", "private", []ManifestSegment{{"/segs/p0", bigTag, -1}}, fault.Invalid, "Etag Mismatch"},
		{"missing segment", "tok-a", "private", []ManifestSegment{{"/segs/p9", "", -1}}, fault.Invalid, "404 Not Found"},
		{"no segments", "tok-a", "private", nil, fault.Invalid, ""},
		{"ACL writer, segments it cannot read", "tok-b", "shared", []ManifestSegment{{"/private/plain", "", -1}}, fault.Invalid, "403 Forbidden"},
		{"ACL writer, own segments", "tok-b", "shared", []ManifestSegment{{"/shared/mine", "", -1}}, 0, ""},
		{"owner reader", "tok-reader", "private", []ManifestSegment{{"/segs/p0", "", -1}}, fault.Forbidden, ""},
		{"missing container", "tok-a", "nowhere", []ManifestSegment{{"/segs/p0", "", -1}}, fault.NotFound, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.PutManifest(ctx, caller(tc.caller), "AUTH_pa", tc.container, "m-"+strings.ReplaceAll(tc.name, " ", "-"), tc.segs, PutOptions{})
			if fault.KindOf(err) != tc.kind || (tc.kind == 0 && err != nil) {
				t.Fatalf("err %v, want kind %v", err, tc.kind)
			}
			if err != nil && !strings.Contains(err.Error(), tc.problem) {
				t.Fatalf("err %v, want %q", err, tc.problem)
			}
			if err != nil {
				if _, err := e.svc.HeadObject(ctx, testAuth["tok-a"], "AUTH_pa", tc.container, "m-"+strings.ReplaceAll(tc.name, " ", "-")); fault.KindOf(err) != fault.NotFound {
					t.Fatalf("a refused manifest is visible: %v", err)
				}
			}
		})
	}
	got, err := e.svc.PutManifest(ctx, testAuth["tok-a"], "AUTH_pa", "private", "joined",
		[]ManifestSegment{{"/segs/p0", p0, 4}, {"/private/big", bigTag, int64(len(big))}}, PutOptions{ContentType: "application/x-vmdk"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.svc.OpenObject(ctx, testAuth["tok-a"], "AUTH_pa", "private", "joined")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, _ := io.ReadAll(r)
	if string(b) != "aaaa"+string(big) || r.ETag() != got || r.Info().LargeObject != "slo" || r.ContentType() != "application/x-vmdk" {
		t.Fatalf("joined: %d bytes, etag %s/%s, %s %s", len(b), r.ETag(), got, r.Info().LargeObject, r.ContentType())
	}
	// The manifest is upstream's: a GET ?multipart-manifest=get lists the segments.
	resp, body := e.do("GET", acctA+"/private/joined?multipart-manifest=get", "tok-a", "")
	if resp.StatusCode != 200 || !strings.Contains(body, `"name":"/segs/p0"`) || !strings.Contains(body, `"bytes":4`) {
		t.Fatalf("manifest: %d %s", resp.StatusCode, body)
	}
}
