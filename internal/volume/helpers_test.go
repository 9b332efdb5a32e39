package volume

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/blob"
	"github.com/stratus-iaas/stratus/internal/blob/blobtest"
	"github.com/stratus-iaas/stratus/internal/catalog"
	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/image"
	"github.com/stratus-iaas/stratus/internal/job"
	"github.com/stratus-iaas/stratus/internal/policy"
	"github.com/stratus-iaas/stratus/internal/store"
	"github.com/stratus-iaas/stratus/internal/store/storetest"
	"github.com/stratus-iaas/stratus/internal/volstore"
)

type fakeAuth map[string]*policy.Principal

func (f fakeAuth) Authenticate(ctx context.Context, token string) (*policy.Principal, error) {
	if p, ok := f[token]; ok {
		return p, nil
	}
	return nil, fault.Unauthorizedf("The request you have made requires authentication.")
}

const (
	projAlice = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	projBob   = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	projAdmin = "cccccccccccccccccccccccccccccccc"
)

var principals = fakeAuth{
	"admin":  {UserID: "u-admin", ProjectID: projAdmin, IsAdminProject: true, Roles: []string{"admin", "member", "reader"}},
	"alice":  {UserID: "u-alice", ProjectID: projAlice, Roles: []string{"member", "reader"}},
	"bob":    {UserID: "u-bob", ProjectID: projBob, Roles: []string{"member", "reader"}},
	"reader": {UserID: "u-reader", ProjectID: projAlice, Roles: []string{"reader"}},
}

type env struct {
	t      *testing.T
	db     *store.DB
	svc    *Service
	images *image.Service
	blobs  blob.Store
	store  *volstore.Local
	jobs   *job.Engine
	h      http.Handler
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t)
	blobs := blobtest.Open(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	imgs, err := image.New(ctx, image.Options{DB: db, Blobs: blobs, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	vs, err := volstore.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	jobs := job.New(job.Options{DB: db, Log: log, Node: "n1", Poll: 20 * time.Millisecond, Workers: 4, PerProject: 4})
	svc, err := New(ctx, Options{DB: db, Store: vs, Blobs: blobs, Images: imgs, Jobs: jobs, Log: log, Node: "n1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := jobs.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { jobs.Close() })
	mux := httpapi.NewMux(principals, log)
	mux.Mount(httpapi.Group{Name: "volume", Prefix: catalog.VolumePrefix, Dialect: httpapi.Cinder, Routes: svc.Routes()})
	return &env{t: t, db: db, svc: svc, images: imgs, blobs: blobs, store: vs, jobs: jobs, h: mux}
}

type resp struct {
	Code   int
	Header http.Header
	Body   []byte
}

func (r resp) JSON(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body %q: %v", r.Body, err)
	}
	return m
}

// do sends a request as token to the v3 API of token's project (a path
// relative to /volume/v3/<project>), or to an absolute path.
func (e *env) do(method, path, token string, body any, hdr ...string) resp {
	e.t.Helper()
	if path == "" || path[0] != '/' {
		proj := projAlice
		if p, ok := principals[token]; ok {
			proj = p.ProjectID
		}
		path = "/volume/v3/" + proj + "/" + path
	}
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		js, _ := json.Marshal(b)
		rd = bytes.NewReader(js)
	}
	req := httptest.NewRequest(method, path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	return resp{Code: w.Code, Header: w.Header(), Body: w.Body.Bytes()}
}

func (e *env) must(r resp, want int) resp {
	e.t.Helper()
	if r.Code != want {
		e.t.Fatalf("status %d, want %d: %s", r.Code, want, r.Body)
	}
	return r
}

// fault checks an error reply: status, Cinder fault name and message.
func (e *env) fault(r resp, code int, name, msg string) {
	e.t.Helper()
	if r.Code != code {
		e.t.Fatalf("status %d, want %d: %s", r.Code, code, r.Body)
	}
	var m map[string]map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		e.t.Fatalf("body %q: %v", r.Body, err)
	}
	f, ok := m[name]
	if !ok {
		e.t.Fatalf("fault %q missing: %s", name, r.Body)
	}
	if msg != "" && f["message"] != msg {
		e.t.Fatalf("message %q, want %q", f["message"], msg)
	}
}

// createVolume creates a volume as token and waits until it is available.
func (e *env) createVolume(token string, body map[string]any) map[string]any {
	e.t.Helper()
	r := e.must(e.do("POST", "volumes", token, map[string]any{"volume": body}), 202)
	id := r.JSON(e.t)["volume"].(map[string]any)["id"].(string)
	return e.waitVolume(token, id, "available")
}

func (e *env) waitVolume(token, id, status string) map[string]any {
	e.t.Helper()
	deadline := time.Now().Add(2 * time.Minute) // a 1 GiB raw upload on S3 on a loaded machine
	for {
		r := e.must(e.do("GET", "volumes/"+id, token, nil), 200)
		v := r.JSON(e.t)["volume"].(map[string]any)
		if v["status"] == status {
			return v
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("volume %s is %v, want %s", id, v["status"], status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (e *env) waitSnapshot(token, id, status string) map[string]any {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := e.must(e.do("GET", "snapshots/"+id, token, nil), 200)
		v := r.JSON(e.t)["snapshot"].(map[string]any)
		if v["status"] == status {
			return v
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("snapshot %s is %v, want %s", id, v["status"], status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// volumeDigest is a digest of a volume's logical content (its size and
// every non-zero 4 KiB block with its offset), read through the file's
// data extents so that sparse GiB volumes cost only their data.
func (e *env) volumeDigest(id string) string {
	e.t.Helper()
	return fileDigest(e.t, e.store.Path(volumeKey(id)))
}

func fileDigest(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	return readerDigest(t, f, st.Size())
}

func readerDigest(t *testing.T, f *os.File, size int64) string {
	t.Helper()
	exts, err := volstore.DataExtents(f, size)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "size %d\n", size)
	block, zero := make([]byte, 4096), make([]byte, 4096)
	for _, x := range exts {
		for off := x.Off &^ 4095; off < x.Off+x.Len; off += 4096 {
			n, _ := f.ReadAt(block, off)
			if !bytes.Equal(block[:n], zero[:n]) {
				fmt.Fprintf(h, "%d:", off)
				h.Write(block[:n])
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// writeVolume writes data at off of a volume's file (a guest writing).
func (e *env) writeVolume(id string, off int64, data []byte) {
	e.t.Helper()
	f, err := openForWrite(e.store.Path(volumeKey(id)))
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(data, off); err != nil {
		e.t.Fatal(err)
	}
}

// makeImage makes an active image owned by token's project with bytes
// data in disk format format.
func (e *env) makeImage(token, format string, data []byte) string {
	e.t.Helper()
	ctx := context.Background()
	p := principals[token]
	name, cf := "img", "bare"
	im, err := e.images.CreateImage(ctx, p, image.Fields{Name: &name, DiskFormat: &format, ContainerFormat: &cf})
	if err != nil {
		e.t.Fatal(err)
	}
	key := image.DataKey(im.ID)
	w, err := e.blobs.Create(ctx, key)
	if err != nil {
		e.t.Fatal(err)
	}
	w.Write(data)
	if err := w.Commit(); err != nil {
		e.t.Fatal(err)
	}
	m, s := md5.Sum(data), sha512.Sum512(data)
	if err := e.images.PublishData(ctx, im.ID, key, image.Data{Size: int64(len(data)), MD5: hex.EncodeToString(m[:]),
		SHA512: hex.EncodeToString(s[:])}); err != nil {
		e.t.Fatal(err)
	}
	return im.ID
}
