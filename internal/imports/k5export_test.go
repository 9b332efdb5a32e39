package imports

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/stratus-iaas/stratus/internal/diskimage/convert"
	"github.com/stratus-iaas/stratus/internal/image"
	"github.com/stratus-iaas/stratus/internal/job"
)

func TestParseExportRequest(t *testing.T) {
	good := `"` + imageID + `"`
	tests := []struct {
		body string
		code string
	}{
		{`{"image_id":` + good + `,"storage_container":"/v1/AUTH_p1/out"}`, ""},
		{`{"image_id":` + good + `,"storage_container":"/v1/AUTH_p1/out/"}`, ""},
		{``, "40007"},
		{`  `, "40007"},
		{`image_id=x`, "40008"},
		{`{"storage_container":"/v1/AUTH_p1/out"}`, "40001"},
		{`{"image_id":"nope","storage_container":"/v1/AUTH_p1/out"}`, "40002"},
		{`{"image_id":3,"storage_container":"/v1/AUTH_p1/out"}`, "40002"},
		{`{"image_id":` + good + `}`, "40003"},
		{`{"image_id":` + good + `,"storage_container":"/v1/AUTH_p1/out/obj"}`, "40004"},
		{`{"image_id":` + good + `,"storage_container":"/v1/p1/out"}`, "40004"},
		{`{"image_id":` + good + `,"storage_container":["x"]}`, "40004"},
	}
	for _, tc := range tests {
		req, err := parseExportRequest([]byte(tc.body))
		if codeOf(err) != tc.code || (tc.code == "" && err != nil) {
			t.Errorf("%s: %v, want %q", tc.body, err, tc.code)
		}
		if err == nil && req.Target != (objectRef{Account: "AUTH_p1", Container: "out", Object: imageID + ".vmdk"}) {
			t.Errorf("%s: target %+v", tc.body, req.Target)
		}
	}
}

// activeImage makes an active raw image of disk owned by member.
func activeImage(t *testing.T, fx *fixture, id string, disk []byte) {
	t.Helper()
	ctx := context.Background()
	name, raw, bare := "exp", "raw", "bare"
	if _, err := fx.images.CreateImage(ctx, member, image.Fields{ID: id, Name: &name, DiskFormat: &raw, ContainerFormat: &bare}); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.images.Upload(ctx, member, id, bytes.NewReader(disk), int64(len(disk))); err != nil {
		t.Fatal(err)
	}
}

// vmdkToRaw converts a VMDK back to raw with stratus's converter.
func vmdkToRaw(t *testing.T, vmdk []byte) []byte {
	t.Helper()
	f, _ := os.CreateTemp(t.TempDir(), "raw")
	defer f.Close()
	if _, err := convert.Convert(context.Background(), convert.Source{ReaderAt: bytes.NewReader(vmdk), Size: int64(len(vmdk))}, f,
		convert.Options{SrcFormat: "vmdk", DstFormat: "raw"}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(f.Name())
	return b
}

func TestExportEndToEnd(t *testing.T) {
	fx := newFixture(t, true)
	ctx := context.Background()
	disk := testDisk(2 << 20)
	activeImage(t, fx, imageID, disk)
	req, err := parseExportRequest([]byte(`{"image_id":"` + imageID + `","storage_container":"/v1/AUTH_p1/out"}`))
	if err != nil {
		t.Fatal(err)
	}
	id, err := fx.svc.StartExport(ctx, member, req)
	if err != nil {
		t.Fatal(err)
	}
	if j := fx.wait(t, id); j.State != job.Succeeded {
		t.Fatalf("export %s %q", j.State, j.Message)
	}
	vmdk, ok := fx.objs.get("AUTH_p1", "out", imageID+".vmdk")
	if !ok || !bytes.HasPrefix(vmdk, []byte("KDMV")) {
		t.Fatal("no VMDK object")
	}
	if !bytes.Equal(vmdkToRaw(t, vmdk), disk) {
		t.Fatal("exported VMDK does not hold the image")
	}
	ex, err := fx.svc.ExportStatus(ctx, member, id)
	if w := exportToWire(ex); err != nil || w.ExportStatus != "succeeded" || w.Progress != 100 || w.ImageName != "exp" ||
		w.StorageContainer != "/v1/AUTH_p1/out" || w.ErrorMessage != nil {
		t.Fatalf("status %+v %v", w, err)
	}
	// The same export again: the file exists now.
	if _, err := fx.svc.StartExport(ctx, member, req); codeOf(err) != "40016" {
		t.Fatalf("second export: %v", err)
	}
	if err := fx.svc.CancelExport(ctx, member, id); codeOf(err) != "40402" {
		t.Fatalf("cancel finished: %v", err)
	}
	if err := fx.svc.CancelExport(ctx, member, "nope"); codeOf(err) != "40401" {
		t.Fatalf("cancel unknown: %v", err)
	}
}

func TestExportErrorsAndCancel(t *testing.T) {
	fx := newFixture(t, false, func(o *Options) { o.MaxActive = 2 })
	ctx := context.Background()
	disk := testDisk(1 << 20)
	activeImage(t, fx, imageID, disk)
	queued := "8bf65660-70ee-4a75-b61a-36ac040c289c"
	name := "q"
	if _, err := fx.images.CreateImage(ctx, member, image.Fields{ID: queued, Name: &name}); err != nil {
		t.Fatal(err)
	}
	fx.objs.deny["AUTH_p9"] = true
	start := func(id, container string) (string, error) {
		req, err := parseExportRequest([]byte(`{"image_id":"` + id + `","storage_container":"` + container + `"}`))
		if err != nil {
			t.Fatal(err)
		}
		return fx.svc.StartExport(ctx, member, req)
	}
	if _, err := start("9bf65660-70ee-4a75-b61a-36ac040c289c", "/v1/AUTH_p1/out"); codeOf(err) != "40012" {
		t.Errorf("missing image: %v", err)
	}
	if _, err := start(queued, "/v1/AUTH_p1/out"); codeOf(err) != "40017" {
		t.Errorf("image without data: %v", err)
	}
	fx.objs.mkdir("AUTH_p1", "other")
	fx.objs.mkdir("AUTH_p1", "third")
	fx.objs.mkdir("AUTH_p1", "ro")
	fx.objs.readOnly["AUTH_p1/ro"] = true
	for _, c := range []string{"/v1/AUTH_p9/out", "/v1/AUTH_p1/missing", "/v1/AUTH_p1/ro"} {
		if _, err := start(imageID, c); codeOf(err) != "40004" || err.Error() != "Parameter 'storage_container' has invalid value." {
			t.Errorf("%s: %v", c, err)
		}
	}
	req, _ := parseExportRequest([]byte(`{"image_id":"` + imageID + `","storage_container":"/v1/AUTH_p1/out"}`))
	if _, err := fx.svc.StartExport(ctx, reader, req); codeOf(err) != "40301" {
		t.Errorf("reader: %v", err)
	}
	first, err := start(imageID, "/v1/AUTH_p1/out")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := start(imageID, "/v1/AUTH_p1/out"); codeOf(err) != "40015" {
		t.Errorf("same request: %v", err)
	}
	if _, err := start(imageID, "/v1/AUTH_p1/other"); err != nil {
		t.Errorf("another container: %v", err)
	}
	if _, err := start(imageID, "/v1/AUTH_p1/third"); codeOf(err) != "50301" {
		t.Errorf("over the limit: %v", err)
	}
	// Queued (the engine is not started): cancel at once, then 40402.
	if err := fx.svc.CancelExport(ctx, member, first); err != nil {
		t.Fatal(err)
	}
	ex, _ := fx.svc.ExportStatus(ctx, member, first)
	if w := exportToWire(ex); w.ExportStatus != "canceled" {
		t.Fatalf("status %+v", w)
	}
	if err := fx.svc.CancelExport(ctx, member, first); codeOf(err) != "40402" {
		t.Fatalf("cancel cancelled: %v", err)
	}
	list, err := fx.svc.ListExports(ctx, member, 0, 200)
	if err != nil || len(list) != 2 || list[1].Job.ID != first {
		t.Fatalf("list %d %v", len(list), err)
	}
	if page, _ := fx.svc.ListExports(ctx, member, 1, 1); len(page) != 1 || page[0].Job.ID != first {
		t.Fatal("start/limit page")
	}
}

// TestCancelRunningExport: a cancel mid-export stops it; no object is left.
func TestCancelRunningExport(t *testing.T) {
	fx := newFixture(t, true)
	fx.objs.putStarted = make(chan struct{}, 1)
	ctx := context.Background()
	activeImage(t, fx, imageID, testDisk(64<<20))
	req, _ := parseExportRequest([]byte(`{"image_id":"` + imageID + `","storage_container":"/v1/AUTH_p1/out"}`))
	id, err := fx.svc.StartExport(ctx, member, req)
	if err != nil {
		t.Fatal(err)
	}
	<-fx.objs.putStarted
	if err := fx.svc.CancelExport(ctx, member, id); err != nil {
		t.Fatal(err)
	}
	if err := fx.svc.CancelExport(ctx, member, id); err != nil && codeOf(err) != "40010" && codeOf(err) != "40402" {
		t.Fatalf("second cancel: %v", err)
	}
	j := fx.wait(t, id)
	if j.State == job.Succeeded {
		t.Skip("the export finished before the cancel reached it")
	}
	if j.State != job.Cancelled {
		t.Fatalf("state %s %q", j.State, j.Message)
	}
	if _, ok := fx.objs.get("AUTH_p1", "out", imageID+".vmdk"); ok {
		t.Fatal("a cancelled export left an object")
	}
}

// TestExportDetectsCorruptImage: bytes that no longer match the image's
// checksum fail the export; nothing is uploaded.
func TestExportDetectsCorruptImage(t *testing.T) {
	fx := newFixture(t, true)
	ctx := context.Background()
	disk := testDisk(1 << 20)
	activeImage(t, fx, imageID, disk)
	if err := fx.images.PublishData(ctx, imageID, "nope", image.Data{}); err == nil || !strings.Contains(err.Error(), "not allowed") {
		t.Fatalf("publish over an active image: %v", err)
	}
	// Make the recorded checksum disagree with the bytes.
	bad := md5.Sum([]byte("x"))
	s := hex.EncodeToString(bad[:])
	fx.svc.db.Tx(ctx, func(tx *sqlTx) error {
		_, err := tx.ExecContext(ctx, "UPDATE images SET checksum = $1 WHERE id = $2", s, imageID)
		return err
	})
	req, _ := parseExportRequest([]byte(`{"image_id":"` + imageID + `","storage_container":"/v1/AUTH_p1/out"}`))
	id, err := fx.svc.StartExport(ctx, member, req)
	if err != nil {
		t.Fatal(err)
	}
	j := fx.wait(t, id)
	if j.State != job.Failed || j.Message != msgExportDownload {
		t.Fatalf("job %s %q", j.State, j.Message)
	}
	if _, ok := fx.objs.get("AUTH_p1", "out", imageID+".vmdk"); ok {
		t.Fatal("a failed export left an object")
	}
}
