package imports

import (
	"bytes"
	"context"
	"crypto/md5"
	"database/sql"
	"encoding/hex"
	"io"
	"math/rand"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/blob/blobtest"
	"github.com/stratus-iaas/stratus/internal/diskimage/convert"
	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/image"
	"github.com/stratus-iaas/stratus/internal/job"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store/storetest"
)

// fakeObjects is an object store in memory: objects by account/container/
// object; accounts in deny are unreadable; containers must exist (mkdir)
// for writes, and those in readOnly are not writable.
type fakeObjects struct {
	mu         sync.Mutex
	objs       map[string][]byte
	deny       map[string]bool
	containers map[string]bool // account/container
	readOnly   map[string]bool // account/container
	manifests  map[string][]Segment
	puts       int // PutObject calls that stored an object
	// putStarted, when set, is signalled as a PutObject begins reading.
	putStarted chan struct{}
	// failPut, when set, fails the PutObject of the object it names
	// after reading its body.
	failPut func(a, c, o string) bool
	// failDelete, when set, fails the DeleteObject of the object it names.
	failDelete func(a, c, o string) bool
}

func newFakeObjects() *fakeObjects {
	return &fakeObjects{objs: map[string][]byte{}, deny: map[string]bool{}, containers: map[string]bool{},
		readOnly: map[string]bool{}, manifests: map[string][]Segment{}}
}

func (f *fakeObjects) mkdir(a, c string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.containers[a+"/"+c] = true
}

// list returns the names of the objects in container a/c.
func (f *fakeObjects) list(a, c string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for k := range f.objs {
		if rest, ok := strings.CutPrefix(k, a+"/"+c+"/"); ok {
			out = append(out, rest)
		}
	}
	return out
}

func okey(a, c, o string) string { return a + "/" + c + "/" + o }

func (f *fakeObjects) put(a, c, o string, b []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.objs[okey(a, c, o)] = b
}

func (f *fakeObjects) get(a, c, o string) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.objs[okey(a, c, o)]
	return b, ok
}

type memObject struct{ *bytes.Reader }

func (m memObject) ETag() string { return "etag" }
func (m memObject) Close() error { return nil }

func (f *fakeObjects) check(p *policy.Principal, a string) error {
	if f.deny[a] || p == nil {
		return fault.Forbiddenf("Forbidden")
	}
	return nil
}

func (f *fakeObjects) OpenObject(ctx context.Context, p *policy.Principal, a, c, o string) (Object, error) {
	if err := f.check(p, a); err != nil {
		return nil, err
	}
	b, ok := f.get(a, c, o)
	if !ok {
		return nil, fault.NotFoundf("Not Found")
	}
	return memObject{bytes.NewReader(b)}, nil
}

func (f *fakeObjects) HeadObject(ctx context.Context, p *policy.Principal, a, c, o string) (ObjectInfo, error) {
	if err := f.check(p, a); err != nil {
		return ObjectInfo{}, err
	}
	b, ok := f.get(a, c, o)
	if !ok {
		return ObjectInfo{}, fault.NotFoundf("Not Found")
	}
	return ObjectInfo{Size: int64(len(b)), ETag: "etag"}, nil
}

func (f *fakeObjects) writable(p *policy.Principal, a, c string) error {
	if err := f.check(p, a); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.containers[a+"/"+c] {
		return fault.NotFoundf("Not Found")
	}
	if f.readOnly[a+"/"+c] {
		return fault.Forbiddenf("Forbidden")
	}
	return nil
}

func (f *fakeObjects) PutObject(ctx context.Context, p *policy.Principal, a, c, o string, body io.Reader, size int64) (string, error) {
	if err := f.writable(p, a, c); err != nil {
		return "", err
	}
	if f.putStarted != nil {
		f.putStarted <- struct{}{}
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return "", err // nothing stored: a PUT is all or nothing
	}
	if f.failPut != nil && f.failPut(a, c, o) {
		return "", fault.Internalf("injected failure")
	}
	f.put(a, c, o, b)
	f.mu.Lock()
	f.puts++
	f.mu.Unlock()
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:]), nil
}

func (f *fakeObjects) DeleteObject(ctx context.Context, p *policy.Principal, a, c, o string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failDelete != nil && f.failDelete(a, c, o) {
		return fault.Internalf("injected failure")
	}
	if _, ok := f.objs[okey(a, c, o)]; !ok {
		return fault.NotFoundf("Not Found")
	}
	delete(f.objs, okey(a, c, o))
	delete(f.manifests, okey(a, c, o))
	return nil
}

func (f *fakeObjects) HeadContainer(ctx context.Context, p *policy.Principal, a, c string) (ContainerInfo, error) {
	if err := f.check(p, a); err != nil {
		return ContainerInfo{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.containers[a+"/"+c] {
		return ContainerInfo{}, fault.NotFoundf("Not Found")
	}
	return ContainerInfo{Writable: !f.readOnly[a+"/"+c]}, nil
}

func (f *fakeObjects) CreateContainer(ctx context.Context, p *policy.Principal, a, c string) error {
	if err := f.check(p, a); err != nil {
		return err
	}
	f.mkdir(a, c)
	return nil
}

func (f *fakeObjects) CopyObject(ctx context.Context, p *policy.Principal, a, sc, so, dc, do string) error {
	if err := f.writable(p, a, dc); err != nil {
		return err
	}
	b, ok := f.get(a, sc, so)
	if !ok {
		return fault.NotFoundf("Not Found")
	}
	f.put(a, dc, do, b)
	return nil
}

// PutManifest stores the joined bytes as the object after checking every
// segment, and remembers the manifest.
func (f *fakeObjects) PutManifest(ctx context.Context, p *policy.Principal, a, c, o string, segs []Segment) error {
	if err := f.writable(p, a, c); err != nil {
		return err
	}
	var joined []byte
	for _, sg := range segs {
		sc, so, _ := strings.Cut(strings.TrimPrefix(sg.Path, "/"), "/")
		b, ok := f.get(a, sc, so)
		sum := md5.Sum(b)
		if !ok || int64(len(b)) != sg.Size || hex.EncodeToString(sum[:]) != sg.ETag {
			return fault.Invalidf("Errors in the manifest; %s", sg.Path)
		}
		joined = append(joined, b...)
	}
	f.put(a, c, o, joined)
	f.mu.Lock()
	f.manifests[okey(a, c, o)] = segs
	f.mu.Unlock()
	return nil
}

// fakeIdentity knows principals by user id and passwords by user@domain.
type fakeIdentity struct {
	principals map[string]*policy.Principal
	passwords  map[string][2]string // user@domain -> {password, user id}
}

func (f *fakeIdentity) PrincipalFor(ctx context.Context, user, project string) (*policy.Principal, error) {
	p, ok := f.principals[user]
	if !ok || p.ProjectID != project {
		return nil, fault.Unauthorizedf("The request you have made requires authentication.")
	}
	return p, nil
}

func (f *fakeIdentity) VerifyPassword(ctx context.Context, user, domain, password string) (string, error) {
	v, ok := f.passwords[user+"@"+domain]
	if !ok || v[0] != password {
		return "", fault.Unauthorizedf("The request you have made requires authentication.")
	}
	return v[1], nil
}

var (
	member = &policy.Principal{UserID: "u1", UserName: "alice", ProjectID: "p1", Roles: []string{"member"}}
	reader = &policy.Principal{UserID: "u2", UserName: "bob", ProjectID: "p1", Roles: []string{"reader"}}
	other  = &policy.Principal{UserID: "u3", UserName: "carol", ProjectID: "p2", Roles: []string{"member"}}
)

type fixture struct {
	svc    *Service
	jobs   *job.Engine
	images *image.Service
	objs   *fakeObjects
}

// newFixture builds the service on a fresh store; start runs its jobs.
func newFixture(t testing.TB, start bool, opts ...func(*Options)) *fixture {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t)
	imgs, err := image.New(ctx, image.Options{DB: db, Blobs: blobtest.OpenGroup(t)})
	if err != nil {
		t.Fatal(err)
	}
	eng := job.New(job.Options{DB: db, Node: "n1", Poll: 10 * time.Millisecond, ProgressEvery: 10 * time.Millisecond})
	objs := newFakeObjects()
	objs.mkdir("AUTH_p1", "out")
	ident := &fakeIdentity{
		principals: map[string]*policy.Principal{"u1": member, "u2": reader, "u3": other},
		passwords:  map[string][2]string{"alice@Default": {"secret", "u1"}, "carol@Default": {"pw3", "u3"}},
	}
	o := Options{DB: db, Jobs: eng, Images: imgs, Objects: objs, Ident: ident, PublicURL: "http://cloud.example:5000"}
	for _, f := range opts {
		f(&o)
	}
	svc := New(o)
	if start {
		if err := eng.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { eng.Close() })
	}
	return &fixture{svc: svc, jobs: eng, images: imgs, objs: objs}
}

func (fx *fixture) wait(t *testing.T, id string) *job.Job {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	j, err := fx.jobs.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// testDisk is raw disk content with data, zeros and a pattern.
func testDisk(size int) []byte {
	b := make([]byte, size)
	r := rand.New(rand.NewSource(int64(size)))
	for off := 0; off < size; off += 64 << 10 {
		switch (off / (64 << 10)) % 3 {
		case 0:
			r.Read(b[off:min(off+(64<<10), size)])
		case 1:
			copy(b[off:], bytes.Repeat([]byte("stratus "), 1024))
		}
	}
	return b
}

// toFormat converts raw bytes with stratus's converter (vmdk is
// streamOptimized).
func toFormat(t testing.TB, rawDisk []byte, format string) []byte {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "disk")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = convert.Convert(context.Background(), convert.Source{ReaderAt: bytes.NewReader(rawDisk), Size: int64(len(rawDisk))}, f,
		convert.Options{SrcFormat: "raw", DstFormat: format})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// imageBytes reads an image's stored bytes.
func (fx *fixture) imageBytes(t *testing.T, id string) []byte {
	t.Helper()
	_, r, err := fx.images.OpenData(context.Background(), member, id)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func codeOf(err error) string {
	if fe := fault.As(err); fe != nil {
		return fe.Code
	}
	return ""
}

func jsonBody(kv ...string) []byte {
	var parts []string
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append(parts, `"`+kv[i]+`":`+kv[i+1])
	}
	return []byte("{" + strings.Join(parts, ",") + "}")
}

type sqlTx = sql.Tx

type policyP = policy.Principal
