package objectstore

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/hashcopy/hashcopytest"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// goAPIEnv is an account AUTH_pa with: private/{plain,big,expired},
// pub/o (.r:*), shared/* (read+write ACL for bob), segs/* and large
// objects in private over them, and bob's nested manifest in shared whose
// innermost segments are in private.
func goAPIEnv(t *testing.T, opts Options) (*testEnv, []byte) {
	e := newEnvWith(t, opts)
	big := hashcopytest.RandomBytes(3<<20 + 17)
	e.must(201, "PUT", acctA+"/private", "tok-a", "")
	e.must(201, "PUT", acctA+"/private/plain", "tok-a", "hello world", "Content-Type: text/plain", "X-Object-Meta-Color: red")
	e.must(201, "PUT", acctA+"/private/big", "tok-a", string(big))
	e.must(201, "PUT", acctA+"/private/expired", "tok-a", "gone")
	rc, _ := newReqCtx(testAuth["tok-a"], "AUTH_pa", "private", "expired")
	if _, err := e.svc.commitUpdate(context.Background(), rc, func(o *Object, _ bool) { o.DeleteAt = time.Now().Unix() - 1 }); err != nil {
		t.Fatal(err)
	}
	e.must(201, "PUT", acctA+"/pub", "tok-a", "", "X-Container-Read: .r:*")
	e.must(201, "PUT", acctA+"/pub/o", "tok-a", "public")
	e.must(201, "PUT", acctA+"/shared", "tok-a", "", "X-Container-Read: pb:ub", "X-Container-Write: pb:ub", "X-Container-Meta-Quota-Count: 4")
	e.must(201, "PUT", acctA+"/shared/mine", "tok-a", "shared")
	e.must(201, "PUT", acctA+"/segs", "tok-a", "")
	for i, s := range []string{"aaaa", "bbbb", "cc"} {
		e.must(201, "PUT", fmt.Sprintf("%s/segs/p%d", acctA, i), "tok-a", s)
	}
	e.must(201, "PUT", acctA+"/private/dlo", "tok-a", "", "X-Object-Manifest: segs/p")
	e.must(201, "PUT", acctA+"/private/slo?multipart-manifest=put", "tok-a",
		`[{"path":"/segs/p0"},{"path":"/segs/p1","range":"1-2"},{"path":"/private/big","range":"0-9"}]`)
	// Bob, who may read and write shared only, nests a DLO of private in an SLO.
	e.must(201, "PUT", acctA+"/shared/d", "tok-b", "", "X-Object-Manifest: private/pl")
	e.must(201, "PUT", acctA+"/shared/s?multipart-manifest=put", "tok-b", `[{"path":"/shared/d"}]`)
	return e, big
}

func TestGoAPIOpenObject(t *testing.T) {
	for _, store := range []struct {
		name string
		opts Options
	}{{"inline", Options{}}, {"files", Options{InlineMax: -1}}} {
		t.Run(store.name, func(t *testing.T) {
			e, big := goAPIEnv(t, store.opts)
			sloWant := "aaaa" + "bb" + string(big[:10])
			for _, tc := range []struct {
				name, caller, container, object string
				want                            string // the bytes, when allowed
				kind                            fault.Kind
			}{
				{"owner member, plain", "tok-a", "private", "plain", "hello world", 0},
				{"owner member, multi-MiB", "tok-a", "private", "big", string(big), 0},
				{"owner reader", "tok-reader", "private", "plain", "hello world", 0},
				{"cloud admin", "tok-admin", "private", "plain", "hello world", 0},
				{"owner, DLO joined", "tok-a", "private", "dlo", "aaaabbbbcc", 0},
				{"owner, SLO with ranges", "tok-a", "private", "slo", sloWant, 0},
				{"owner, nested manifest", "tok-a", "shared", "s", "hello world", 0},
				{"anonymous, .r:*", "", "pub", "o", "public", 0},
				{"anonymous, private", "", "private", "plain", "", fault.Unauthorized},
				{"other project", "tok-b", "private", "plain", "", fault.Forbidden},
				{"other domain's namesake", "tok-b2", "shared", "mine", "", fault.Forbidden},
				{"ACL reader", "tok-b", "shared", "mine", "shared", 0},
				{"ACL reader, nested manifest into private", "tok-b", "shared", "s", "", fault.Forbidden},
				{"ACL reader, DLO into private", "tok-b", "shared", "d", "", fault.Forbidden},
				{"owner, expired", "tok-a", "private", "expired", "", fault.NotFound},
				{"owner, missing", "tok-a", "private", "nope", "", fault.NotFound},
				{"other project, missing container", "tok-b", "nowhere", "x", "", fault.Forbidden},
				{"bad name", "tok-a", "private", "bad\xffname", "", fault.PreconditionFailed},
			} {
				var p *policy.Principal
				if tc.caller != "" {
					p = testAuth[tc.caller]
				}
				r, err := e.svc.OpenObject(context.Background(), p, "AUTH_pa", tc.container, tc.object)
				if tc.kind != 0 {
					if err == nil {
						r.Close()
						t.Errorf("%s: opened", tc.name)
					} else if fault.KindOf(err) != tc.kind {
						t.Errorf("%s: %v (kind %v), want kind %v", tc.name, err, fault.KindOf(err), tc.kind)
					}
					continue
				}
				if err != nil {
					t.Errorf("%s: %v", tc.name, err)
					continue
				}
				got, err := io.ReadAll(r)
				if err != nil || string(got) != tc.want || r.Size() != int64(len(tc.want)) {
					t.Errorf("%s: read %d bytes (%v), size %d, want %d bytes", tc.name, len(got), err, r.Size(), len(tc.want))
				}
				checkReadAt(t, tc.name, r, []byte(tc.want))
				r.Close()
			}
			if _, err := e.svc.OpenObject(context.Background(), testAuth["tok-a"], "pa", "private", "plain"); fault.KindOf(err) != fault.Forbidden {
				t.Errorf("an account not named AUTH_: %v", err)
			}
		})
	}
}

// checkReadAt reads want back through ReadAt at offsets that cross part
// boundaries, in parallel, and past the end.
func checkReadAt(t *testing.T, name string, r *ObjectReader, want []byte) {
	t.Helper()
	n := int64(len(want))
	var wg sync.WaitGroup
	for _, off := range []int64{0, 1, 3, 4, 5, 9, n / 2, max(0, n-3)} {
		for _, l := range []int64{1, 2, 7, 64 << 10} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if off >= n {
					return
				}
				buf := make([]byte, l)
				m, err := r.ReadAt(buf, off)
				end := min(off+l, n)
				if int64(m) != end-off || !bytes.Equal(buf[:m], want[off:end]) {
					t.Errorf("%s: ReadAt(%d, %d) = %d bytes, want %d", name, l, off, m, end-off)
				}
				if (off+l > n) != (err == io.EOF) {
					t.Errorf("%s: ReadAt(%d, %d) err %v", name, l, off, err)
				}
			}()
		}
	}
	wg.Wait()
	if m, err := r.ReadAt(make([]byte, 1), n); m != 0 || err != io.EOF {
		t.Errorf("%s: ReadAt at the end: %d %v", name, m, err)
	}
}

func TestGoAPIPutHeadDelete(t *testing.T) {
	e, _ := goAPIEnv(t, Options{})
	ctx := context.Background()
	for _, tc := range []struct {
		name, caller, container, object, body string
		opt                                   PutOptions
		kind                                  fault.Kind
	}{
		{"owner member", "tok-a", "private", "new", "fresh bytes", PutOptions{Size: 11, ContentType: "text/x-test", Metadata: map[string]string{"Origin": "import"}}, 0},
		{"unknown size", "tok-a", "private", "stream", strings.Repeat("s", 100<<10), PutOptions{Size: -1}, 0},
		{"ACL writer", "tok-b", "shared", "from-bob", "bob", PutOptions{Size: 3}, 0},
		{"owner reader", "tok-reader", "private", "x", "x", PutOptions{Size: 1}, fault.Forbidden},
		{"other project", "tok-b", "private", "x", "x", PutOptions{Size: 1}, fault.Forbidden},
		{"anonymous", "", "pub", "x", "x", PutOptions{Size: 1}, fault.Unauthorized},
		{"if-none-match on an existing object", "tok-a", "private", "plain", "x", PutOptions{Size: 1, IfNoneMatch: true}, fault.PreconditionFailed},
		{"wrong etag", "tok-a", "private", "x", "x", PutOptions{Size: 1, ETag: md5hex("y")}, fault.Unprocessable},
		{"short body", "tok-a", "private", "x", "x", PutOptions{Size: 5}, fault.Invalid},
		{"bad name", "tok-a", "private", "bad\x00name", "x", PutOptions{Size: 1}, fault.PreconditionFailed},
		{"name too long", "tok-a", "private", strings.Repeat("n", 1025), "x", PutOptions{Size: 1}, fault.Invalid},
		{"missing container", "tok-a", "nowhere", "x", "x", PutOptions{Size: 1}, fault.NotFound},
		{"bad metadata", "tok-a", "private", "x", "x", PutOptions{Size: 1, Metadata: map[string]string{"K": strings.Repeat("v", 257)}}, fault.Invalid},
		{"over quota", "tok-b", "shared", "one-too-many", "x", PutOptions{Size: 1}, fault.TooLarge},
	} {
		var p *policy.Principal
		if tc.caller != "" {
			p = testAuth[tc.caller]
		}
		etag, err := e.svc.PutObject(ctx, p, "AUTH_pa", tc.container, tc.object, strings.NewReader(tc.body), tc.opt)
		if tc.kind != 0 {
			if fault.KindOf(err) != tc.kind {
				t.Errorf("%s: %v, want kind %v", tc.name, err, tc.kind)
			}
			continue
		}
		if err != nil || etag != md5hex(tc.body) {
			t.Errorf("%s: etag %q err %v", tc.name, etag, err)
			continue
		}
		// What the Go API wrote, HTTP reads, and the other way round.
		if _, b := e.must(200, "GET", acctA+"/"+tc.container+"/"+tc.object, "tok-a", ""); b != tc.body {
			t.Errorf("%s: HTTP read %d bytes", tc.name, len(b))
		}
	}
	info, err := e.svc.HeadObject(ctx, testAuth["tok-reader"], "AUTH_pa", "private", "new")
	if err != nil || info.Size != 11 || info.ETag != md5hex("fresh bytes") || info.ContentType != "text/x-test" ||
		info.Metadata["Origin"] != "import" || info.LargeObject != "" {
		t.Fatalf("head: %+v %v", info, err)
	}
	resp, _ := e.must(200, "HEAD", acctA+"/private/new", "tok-a", "")
	if resp.Header.Get("X-Object-Meta-Origin") != "import" {
		t.Fatalf("HTTP sees metadata %v", resp.Header)
	}
	if info, err := e.svc.HeadObject(ctx, testAuth["tok-a"], "AUTH_pa", "private", "slo"); err != nil || info.LargeObject != "slo" || info.Size != 16 {
		t.Fatalf("head slo: %+v %v", info, err)
	}
	if _, err := e.svc.HeadObject(ctx, testAuth["tok-b"], "AUTH_pa", "shared", "s"); fault.KindOf(err) != fault.Forbidden {
		t.Fatalf("head of the nested manifest: %v", err)
	}
	for _, tc := range []struct {
		name, caller, container, object string
		kind                            fault.Kind
	}{
		{"owner reader", "tok-reader", "private", "new", fault.Forbidden},
		{"other project", "tok-b", "private", "new", fault.Forbidden},
		{"anonymous, public container", "", "pub", "o", fault.Unauthorized},
		{"ACL writer", "tok-b", "shared", "from-bob", 0},
		{"owner member", "tok-a", "private", "new", 0},
		{"owner member, again", "tok-a", "private", "new", fault.NotFound},
	} {
		var p *policy.Principal
		if tc.caller != "" {
			p = testAuth[tc.caller]
		}
		if err := e.svc.DeleteObject(ctx, p, "AUTH_pa", tc.container, tc.object); fault.KindOf(err) != tc.kind && !(tc.kind == 0 && err == nil) {
			t.Errorf("delete %s: %v, want kind %v", tc.name, err, tc.kind)
		}
	}
	e.must(404, "GET", acctA+"/private/new", "tok-a", "")
}

// PutObject versions as a PUT does.
func TestGoAPIPutVersions(t *testing.T) {
	e := newEnv(t)
	e.must(201, "PUT", acctA+"/arch", "tok-a", "")
	e.must(201, "PUT", acctA+"/c", "tok-a", "", "X-Versions-Location: arch")
	ctx := context.Background()
	for _, v := range []string{"v1", "v2"} {
		if _, err := e.svc.PutObject(ctx, testAuth["tok-a"], "AUTH_pa", "c", "o", strings.NewReader(v), PutOptions{Size: 2}); err != nil {
			t.Fatal(err)
		}
	}
	if _, b := e.must(200, "GET", acctA+"/arch?prefix=001o/", "tok-a", ""); strings.Count(b, "\n") != 1 {
		t.Fatalf("archive %q", b)
	}
	if err := e.svc.DeleteObject(ctx, testAuth["tok-a"], "AUTH_pa", "c", "o"); err != nil {
		t.Fatal(err)
	}
	r, err := e.svc.OpenObject(ctx, testAuth["tok-a"], "AUTH_pa", "c", "o")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if b, _ := io.ReadAll(r); string(b) != "v1" {
		t.Fatalf("restored %q", b)
	}
}
