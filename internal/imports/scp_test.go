package imports

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/image"
	"github.com/stratus-iaas/stratus/internal/job"
)

func TestParseSCPURL(t *testing.T) {
	hosts := []string{"cloud.example:5000"}
	want := objectRef{Account: "AUTH_p1", Container: "bucket", Object: "dir/disk.qcow2"}
	tests := []struct {
		url  string
		base string
		ok   bool
	}{
		{"http://cloud.example:5000/object-store/v1/AUTH_p1/bucket/dir/disk.qcow2", "", true},
		{"https://cloud.example:5000/p1/bucket/dir/disk.qcow2", "", true},
		{"http://CLOUD.example:5000/p1/bucket/dir/disk.qcow2", "", true},
		{"http://cloud.example:5000/base/p1/bucket/dir/disk.qcow2", "/base", true},
		{"http://cloud.example:5000/p1/bucket/dir/disk.qcow2", "/base", false},
		{"http://evil.example/p1/bucket/dir/disk.qcow2", "", false},
		{"http://cloud.example:5001/p1/bucket/dir/disk.qcow2", "", false},
		{"file:///etc/passwd", "", false},
		{"http://user@cloud.example:5000/p1/bucket/dir/disk.qcow2", "", false},
		{"http://cloud.example:5000/p1/bucket", "", false},
		{"http://cloud.example:5000/p1/bucket/dir/disk.qcow2?x=1", "", false},
		{"::", "", false},
	}
	for _, tc := range tests {
		got, ok := parseSCPURL(tc.url, hosts, tc.base)
		if ok != tc.ok || (ok && got != want) {
			t.Errorf("%s: %+v %v, want %v", tc.url, got, ok, tc.ok)
		}
	}
}

func TestCheckAPIVersion(t *testing.T) {
	before := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	after := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		h   string
		now time.Time
		ok  bool
	}{
		{"", after, true},
		{"virtualserver 1.3", after, true},
		{"virtualserver 1.2", after, true},
		{"virtualserver 1.1", before, true},
		{"virtualserver 1.1", after, false},
		{"virtualserver 1.0", after, false},
		{"virtualserver 1.0", time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC), false},
		{"virtualserver 1.0", time.Date(2025, 12, 30, 23, 0, 0, 0, time.UTC), true},
		{"virtualserver 1.4", after, false},
		{"virtualserver 2.0", after, false},
		{"image 1.3", after, false},
		{"1.3", after, false},
	}
	for _, tc := range tests {
		if err := checkAPIVersion(tc.h, tc.now); (err == nil) != tc.ok {
			t.Errorf("%q at %s: %v", tc.h, tc.now.Format(time.DateOnly), err)
		}
	}
}

func TestSCPImport(t *testing.T) {
	fx := newFixture(t, true)
	ctx := context.Background()
	disk := testDisk(2<<20 + 4096)
	qcow := toFormat(t, disk, "qcow2")
	fx.objs.put("AUTH_p1", "bucket", "disk.qcow2", qcow)
	fx.objs.put("AUTH_p1", "bucket", "raw.qcow2", disk)
	ep := Endpoint{Hosts: []string{"cloud.example:5000"}}
	newImage := func(id string) {
		name := "scp"
		if _, err := fx.images.CreateImage(ctx, member, image.Fields{ID: id, Name: &name}); err != nil {
			t.Fatal(err)
		}
	}
	newImage(imageID)
	url := "http://cloud.example:5000/p1/bucket/disk.qcow2"
	if err := fx.svc.SCPImport(ctx, member, imageID, url, ep); err != nil {
		t.Fatal(err)
	}
	// Importing now: a second import is a conflict.
	if err := fx.svc.SCPImport(ctx, member, imageID, url, ep); fault.KindOf(err) != fault.Conflict {
		t.Fatalf("second import: %v", err)
	}
	jobs, _ := fx.jobs.List(ctx, job.Filter{ResourceID: imageID})
	if j := fx.wait(t, jobs[0].ID); j.State != job.Succeeded {
		t.Fatalf("job %s %q", j.State, j.Message)
	}
	im, _ := fx.images.Image(ctx, member, imageID)
	if im.Status != image.StatusActive || *im.DiskFormat != "qcow2" || *im.VirtualSize != int64(len(disk)) {
		t.Fatalf("image %+v", im)
	}
	if !bytes.Equal(fx.imageBytes(t, imageID), qcow) {
		t.Fatal("image bytes differ from the object")
	}
	for _, tc := range []struct {
		who  string
		id   string
		url  string
		kind fault.Kind
	}{
		{"member", imageID, url, fault.Conflict}, // active: accepts no data
		{"member", "9bf65660-70ee-4a75-b61a-36ac040c289c", url, fault.NotFound},
		{"other", imageID, url, fault.NotFound},
		{"reader", imageID, url, fault.Forbidden},
		{"member", imageID, "http://cloud.example:5000/p1/bucket/disk.img", fault.Invalid},
		{"member", imageID, "http://169.254.169.254/p1/bucket/disk.qcow2", fault.Invalid},
	} {
		p := map[string]*policyP{"member": member, "other": other, "reader": reader}[tc.who]
		if err := fx.svc.SCPImport(ctx, p, tc.id, tc.url, ep); fault.KindOf(err) != tc.kind {
			t.Errorf("%s %s %s: %v, want kind %d", tc.who, tc.id, tc.url, err, tc.kind)
		}
	}
	// A raw file named .qcow2 fails the job; the image goes back to queued with the reason.
	failing := "abf65660-70ee-4a75-b61a-36ac040c289c"
	newImage(failing)
	if err := fx.svc.SCPImport(ctx, member, failing, "http://cloud.example:5000/p1/bucket/raw.qcow2", ep); err != nil {
		t.Fatal(err)
	}
	jobs, _ = fx.jobs.List(ctx, job.Filter{ResourceID: failing})
	if j := fx.wait(t, jobs[0].ID); j.State != job.Failed {
		t.Fatalf("job %s", j.State)
	}
	im, _ = fx.images.Image(ctx, member, failing)
	if im.Status != image.StatusQueued || im.Properties[image.PropFailedImport] == "" || im.Properties[image.PropFailedReason] == "" {
		t.Fatalf("failed import left %s %v", im.Status, im.Properties)
	}
}
