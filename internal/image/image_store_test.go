package image

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/store"
)

// Runs on SQLite, and on PostgreSQL when STRATUS_TEST_PG is set.
func TestStoreStatusAndRecovery(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p := testPrincipals["alice"]
	im, err := e.svc.CreateImage(ctx, p, Fields{})
	if err != nil {
		t.Fatal(err)
	}
	db := e.svc.db
	err = db.Tx(ctx, func(tx *sql.Tx) error { return setStatus(ctx, tx, im.ID, StatusActive, StatusSaving) })
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("wrong from-status: %v", err)
	}
	if err := db.Tx(ctx, func(tx *sql.Tx) error { return setStatus(ctx, tx, im.ID, StatusQueued, StatusSaving) }); err != nil {
		t.Fatal(err)
	}
	// A new Service (a restart) puts saving images back in queued.
	svc2, err := New(ctx, Options{DB: db, Blobs: e.svc.blobs, Log: e.svc.log})
	if err != nil {
		t.Fatal(err)
	}
	got, err := svc2.Image(ctx, p, im.ID)
	if err != nil || got.Status != StatusQueued {
		t.Fatalf("after restart: %v %v", got, err)
	}
}

func TestStoreKeysetPagination(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p := testPrincipals["alice"]
	for i := 0; i < 7; i++ {
		name := fmt.Sprintf("n%d", i%3) // duplicate names: ties broken by id
		if _, err := e.svc.CreateImage(ctx, p, Fields{Name: &name}); err != nil {
			t.Fatal(err)
		}
	}
	for _, sort := range [][]SortKey{
		{{Key: "name"}}, {{Key: "name", Desc: true}}, {{Key: "size"}, {Key: "name", Desc: true}}, nil,
	} {
		seen := map[string]bool{}
		marker := ""
		for pages := 0; ; pages++ {
			imgs, more, err := e.svc.ListImages(ctx, p, ListOptions{Sort: sort, Limit: 2, Marker: marker})
			if err != nil {
				t.Fatal(err)
			}
			for _, im := range imgs {
				if seen[im.ID] {
					t.Fatalf("sort %v: %s twice", sort, im.ID)
				}
				seen[im.ID] = true
			}
			if !more {
				break
			}
			marker = imgs[len(imgs)-1].ID
		}
		if len(seen) != 7 {
			t.Fatalf("sort %v: saw %d of 7", sort, len(seen))
		}
	}
}

// The Go API other services use: create, publish committed bytes.
func TestPublishData(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p := testPrincipals["alice"]
	im, err := e.svc.CreateImage(ctx, p, Fields{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SetStatus(ctx, im.ID, StatusQueued, StatusImporting); err != nil {
		t.Fatal(err)
	}
	w, _ := e.svc.blobs.Create(ctx, DataKey(im.ID))
	w.Write([]byte("abc"))
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	vs := int64(3)
	if err := e.svc.PublishData(ctx, im.ID, DataKey(im.ID), Data{Size: 3, MD5: "900150983cd24fb0d6963f7d28e17f72", SHA512: "x", VirtualSize: &vs}); err != nil {
		t.Fatal(err)
	}
	r := e.mustCode(e.do("GET", "/image/v2/images/"+im.ID+"/file", "alice", nil), 200)
	if string(r.Body) != "abc" {
		t.Fatalf("body %q", r.Body)
	}
	if err := e.svc.PublishData(ctx, im.ID, DataKey(im.ID), Data{}); fault.KindOf(err) != fault.Conflict {
		t.Fatalf("second publish: %v", err)
	}
	// Publishing to a deleted image removes the bytes.
	gone, _ := e.svc.CreateImage(ctx, p, Fields{})
	e.mustCode(e.do("DELETE", "/image/v2/images/"+gone.ID, "alice", nil), 204)
	w, _ = e.svc.blobs.Create(ctx, DataKey(gone.ID))
	w.Write([]byte("x"))
	w.Commit()
	if err := e.svc.PublishData(ctx, gone.ID, DataKey(gone.ID), Data{Size: 1}); fault.KindOf(err) != fault.NotFound {
		t.Fatalf("publish to deleted: %v", err)
	}
	if _, err := e.svc.blobs.Stat(ctx, DataKey(gone.ID)); err == nil {
		t.Fatal("bytes of a deleted image kept")
	}
}
