package image

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/blob"
	"github.com/stratus-iaas/stratus/internal/blob/blobtest"
	"github.com/stratus-iaas/stratus/internal/catalog"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/store"
	"github.com/stratus-iaas/stratus/internal/store/storetest"
)

// cluster is several image nodes over one database and blob store.
type cluster struct {
	t     *testing.T
	db    *store.DB
	blobs blob.Store
}

func newCluster(t *testing.T) *cluster {
	return &cluster{t: t, db: storetest.Open(t), blobs: blobtest.Open(t)}
}

// start starts (or restarts) node name.
func (c *cluster) start(name string) *env {
	c.t.Helper()
	log := slog.New(slog.DiscardHandler)
	svc, err := New(context.Background(), Options{DB: c.db, Blobs: c.blobs, Log: log, Node: name})
	if err != nil {
		c.t.Fatal(err)
	}
	mux := httpapi.NewMux(testPrincipals, log)
	mux.Mount(httpapi.Group{Name: "image", Prefix: catalog.ImagePrefix, Dialect: httpapi.Glance, Routes: svc.Routes()})
	return &env{t: c.t, svc: svc, h: mux}
}

func (e *env) status(id string) string {
	e.t.Helper()
	return e.mustCode(e.do("GET", "/image/v2/images/"+id, "alice", nil), 200).JSON(e.t)["status"].(string)
}

// startUpload begins an upload on e whose body the caller feeds through
// the returned pipe; done receives the status code when it ends.
func (e *env) startUpload(id string) (*io.PipeWriter, <-chan int) {
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		req := httptest.NewRequest("PUT", "/image/v2/images/"+id+"/file", pr)
		req.Header.Set("X-Auth-Token", "alice")
		req.Header.Set("Content-Type", "application/octet-stream")
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, req)
		done <- w.Code
	}()
	pw.Write(make([]byte, 1<<20)) // returns once the upload is reading: the image is saving
	return pw, done
}

// A node that starts requeues its own interrupted uploads and expired
// leases, never an upload another node is still receiving.
func TestUploadLeases(t *testing.T) {
	c := newCluster(t)
	a := c.start("node-a")
	id := a.create("alice", map[string]any{"disk_format": "raw", "container_format": "bare"})
	body, done := a.startUpload(id)
	if got := a.status(id); got != "saving" {
		t.Fatalf("during upload: %s", got)
	}

	c.start("node-b") // another node starting leaves A's upload alone
	if got := a.status(id); got != "saving" {
		t.Fatalf("after node-b started: %s, want saving", got)
	}
	body.Write([]byte("more"))
	body.Close()
	if code := <-done; code != 204 {
		t.Fatalf("upload on node-a: %d", code)
	}
	if got := a.status(id); got != "active" {
		t.Fatalf("after upload: %s", got)
	}

	// node-a restarts while receiving: its own upload is requeued.
	id2 := a.create("alice", map[string]any{"disk_format": "raw", "container_format": "bare"})
	body, done = a.startUpload(id2)
	a2 := c.start("node-a")
	if got := a2.status(id2); got != "queued" {
		t.Fatalf("after node-a restarted: %s, want queued", got)
	}
	body.CloseWithError(errors.New("old process gone"))
	<-done
	if got := a2.status(id2); got != "queued" {
		t.Fatalf("after the old upload ended: %s", got)
	}

	// A lease that has expired (its node died and never came back) is
	// requeued by any node that starts, and may be uploaded again at once.
	id3 := a2.create("alice", map[string]any{"disk_format": "raw", "container_format": "bare"})
	body, done = a2.startUpload(id3)
	expire := func() {
		err := c.db.Tx(context.Background(), func(tx *sql.Tx) error {
			_, err := tx.Exec("UPDATE images SET upload_lease = 0 WHERE id = $1", id3)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	expire()
	b := c.start("node-b")
	if got := b.status(id3); got != "queued" {
		t.Fatalf("expired lease after node-b started: %s, want queued", got)
	}
	body.CloseWithError(errors.New("node died"))
	<-done
	body, done = a2.startUpload(id3)
	expire()
	body2, done2 := b.startUpload(id3) // takes over the expired upload
	body2.Write([]byte("winner"))
	body2.Close()
	if code := <-done2; code != 204 {
		t.Fatalf("upload over an expired lease: %d", code)
	}
	body.Close()
	if code := <-done; code != 409 {
		t.Fatalf("the upload that lost its lease ended with %d, want 409", code)
	}
	// The loser neither replaced nor deleted the winner's bytes.
	got := b.mustCode(b.do("GET", "/image/v2/images/"+id3+"/file", "alice", nil), 200).Body
	if want := append(make([]byte, 1<<20), "winner"...); !bytes.Equal(got, want) {
		t.Fatalf("image data after takeover: %d bytes, want the winner's %d", len(got), len(want))
	}
	if n := len(imageBlobs(t, b)); n != 2 {
		t.Fatalf("%d image blobs, want 2 (id's and id3's)", n)
	}
}

// imageBlobs lists the image blobs e's store holds.
func imageBlobs(t *testing.T, e *env) []string {
	t.Helper()
	var names []string
	err := e.svc.blobs.List(context.Background(), "images/", func(i blob.Info) error {
		names = append(names, i.Key)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// A running upload renews its lease, so a long upload outlives it.
func TestUploadLeaseRenewed(t *testing.T) {
	c := newCluster(t)
	a := c.start("node-a")
	a.svc.lease = 150 * time.Millisecond
	id := a.create("alice", map[string]any{"disk_format": "raw", "container_format": "bare"})
	body, done := a.startUpload(id)
	time.Sleep(4 * a.svc.lease)
	c.start("node-b")
	if got := a.status(id); got != "saving" {
		t.Fatalf("after four lease periods: %s, want saving", got)
	}
	body.Close()
	if code := <-done; code != 204 {
		t.Fatalf("upload: %d", code)
	}
}
