package imports

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/job"
	"github.com/stratus-iaas/stratus/internal/store"
)

const exportBody = `{"image_id":"` + imageID + `","storage_container":"/v1/AUTH_p1/out"}`

// segName is the swift CLI's name of a streamed SLO segment.
var segName = regexp.MustCompile(`^` + imageID + `\.vmdk/slo/[0-9]+\.000000/([0-9]+)/([0-9]{8})$`)

// startExport submits the export of imageID to AUTH_p1/out.
func (fx *fixture) startExport(t *testing.T) string {
	t.Helper()
	req, err := parseExportRequest([]byte(exportBody))
	if err != nil {
		t.Fatal(err)
	}
	id, err := fx.svc.StartExport(context.Background(), member, req)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestExportSegmented: the VMDK is written as segments of the configured
// size in out_segments, named as the swift CLI names them, joined by a
// manifest in out; a VMDK that fits in one segment is a plain object and
// leaves no segment behind.
func TestExportSegmented(t *testing.T) {
	disk := testDisk(3 << 20)
	n := int64(len(toFormat(t, disk, "vmdk"))) // the converter's output size is deterministic
	for _, tc := range []struct {
		name     string
		segSize  int64
		segments int // 0: a plain object
	}{
		{"many segments", 256 << 10, int((n + 256<<10 - 1) / (256 << 10))},
		{"last segment one byte", n - 1, 2},
		{"exactly one segment", n, 0},
		{"shorter than a segment", 1 << 30, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx := newFixture(t, true, func(o *Options) { o.ExportSegmentSize = tc.segSize })
			activeImage(t, fx, imageID, disk)
			id := fx.startExport(t)
			if j := fx.wait(t, id); j.State != job.Succeeded {
				t.Fatalf("export %s %q", j.State, j.Message)
			}
			got, ok := fx.objs.get("AUTH_p1", "out", imageID+".vmdk")
			if !ok || int64(len(got)) != n {
				t.Fatalf("the exported file is not the VMDK (%d bytes, want %d)", len(got), n)
			}
			if !bytes.Equal(vmdkToRaw(t, got), disk) {
				t.Fatal("the exported VMDK does not hold the image")
			}
			segs := fx.objs.manifests[okey("AUTH_p1", "out", imageID+".vmdk")]
			left := fx.objs.list("AUTH_p1", "out_segments")
			if tc.segments == 0 {
				if segs != nil || len(left) != 0 {
					t.Fatalf("a one-segment export left a manifest %v or segments %v", segs, left)
				}
				return
			}
			if len(segs) != tc.segments || len(left) != tc.segments {
				t.Fatalf("%d segments in the manifest, %d stored, want %d", len(segs), len(left), tc.segments)
			}
			slices.Sort(left)
			var joined []byte
			for i, sg := range segs {
				m := segName.FindStringSubmatch(left[i])
				if m == nil || sg.Path != "/out_segments/"+left[i] || m[1] != fmt.Sprint(tc.segSize) || m[2] != fmt.Sprintf("%08d", i) {
					t.Fatalf("segment %d: %s stored as %s", i, sg.Path, left[i])
				}
				if i < len(segs)-1 && sg.Size != tc.segSize {
					t.Fatalf("segment %d is %d bytes, want %d", i, sg.Size, tc.segSize)
				}
				b, _ := fx.objs.get("AUTH_p1", "out_segments", left[i])
				joined = append(joined, b...)
			}
			if !bytes.Equal(joined, got) {
				t.Fatalf("the segments do not join into the file")
			}
		})
	}
}

// TestExportSegmentedFailures: an upload that fails, a cancel and an
// export needing more segments than a manifest takes leave neither the
// file nor a segment; without a usable segment container the file is
// written as one object.
func TestExportSegmentedFailures(t *testing.T) {
	disk := testDisk(3 << 20)
	for _, tc := range []struct {
		name    string
		setup   func(fx *fixture)
		cancel  bool
		state   job.State
		msg     string
		segsOK  bool // out_segments may hold nothing
		objects bool // the file exists (as one object)
	}{
		{"third segment fails", func(fx *fixture) {
			fx.objs.failPut = func(a, c, o string) bool {
				return c == "out_segments" && segName.FindStringSubmatch(o)[2] == "00000002"
			}
		}, false, job.Failed, msgExportUpload, true, false},
		{"manifest refused", func(fx *fixture) {
			fx.objs.failPut = func(a, c, o string) bool {
				if c == "out_segments" && segName.FindStringSubmatch(o)[2] == "00000002" {
					fx.objs.put(a, c, segmentOf(fx, 1), []byte("changed")) // a segment changed under the export
				}
				return false
			}
		}, false, job.Failed, msgExportUpload, true, false},
		{"cancel mid-export", nil, true, job.Cancelled, "", true, false},
		{"too many segments", func(fx *fixture) { maxSegments = 3 }, false, job.Failed, msgExportUpload, true, false},
		{"segment container read-only: one object", func(fx *fixture) {
			fx.objs.mkdir("AUTH_p1", "out_segments")
			fx.objs.readOnly["AUTH_p1/out_segments"] = true
		}, false, job.Succeeded, "", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Cleanup(func() { maxSegments = 1000 })
			fx := newFixture(t, true, func(o *Options) { o.ExportSegmentSize = 256 << 10 })
			activeImage(t, fx, imageID, disk)
			if tc.setup != nil {
				tc.setup(fx)
			}
			if tc.cancel {
				fx.objs.putStarted = make(chan struct{}) // each segment waits for the test
			}
			id := fx.startExport(t)
			if tc.cancel {
				<-fx.objs.putStarted
				<-fx.objs.putStarted // the second segment has begun
				if err := fx.svc.CancelExport(context.Background(), member, id); err != nil {
					t.Fatal(err)
				}
				go func() {
					for range fx.objs.putStarted {
					}
				}()
			}
			j := fx.wait(t, id)
			if j.State != tc.state || j.Message != tc.msg {
				t.Fatalf("export %s %q, want %s %q", j.State, j.Message, tc.state, tc.msg)
			}
			got, ok := fx.objs.get("AUTH_p1", "out", imageID+".vmdk")
			if ok != tc.objects || (ok && !bytes.Equal(vmdkToRaw(t, got), disk)) {
				t.Fatalf("file present %v, want %v", ok, tc.objects)
			}
			if left := fx.objs.list("AUTH_p1", "out_segments"); len(left) != 0 {
				t.Fatalf("segments left: %v", left)
			}
		})
	}
}

// segmentOf is the name of segment i of the export running in fx.
func segmentOf(fx *fixture, i int) string {
	for _, name := range fx.objs.list("AUTH_p1", "out_segments") {
		if m := segName.FindStringSubmatch(name); m != nil && m[2] == fmt.Sprintf("%08d", i) {
			return name
		}
	}
	return "none"
}

// TestExportCrashLeftovers: the segments (and manifest) an attempt that
// crashed recorded in its checkpoint are removed: by the resumed attempt,
// which then succeeds, or, when the job is not resumed, as it fails.
func TestExportCrashLeftovers(t *testing.T) {
	disk := testDisk(1 << 20)
	for _, tc := range []struct {
		name    string
		attempt int
		state   job.State
		msg     string
	}{
		{"resumed", 1, job.Succeeded, ""},
		{"interrupted too often", 5, job.Failed, msgExportStopped},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx := newFixture(t, false, func(o *Options) { o.ExportSegmentSize = 256 << 10 })
			ctx := context.Background()
			activeImage(t, fx, imageID, disk)
			id := fx.startExport(t)
			old := crashLeftovers(fx, imageID+".vmdk")
			cp, _ := json.Marshal(exportCheckpoint{SegContainer: "out_segments", Segments: old, Target: true})
			err := fx.svc.db.Tx(ctx, func(tx *sql.Tx) error { return markCrashed(ctx, tx, id, tc.attempt, string(cp)) })
			if err != nil {
				t.Fatal(err)
			}
			if err := fx.jobs.Start(ctx); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { fx.jobs.Close() })
			j := fx.wait(t, id)
			if j.State != tc.state || j.Message != tc.msg {
				t.Fatalf("export %s %q, want %s %q", j.State, j.Message, tc.state, tc.msg)
			}
			if tc.state == job.Failed {
				// OnFail submitted a cleanup job in the failing transaction.
				c := cleanupJob(t, fx, id)
				if c = fx.wait(t, c.ID); c.State != job.Succeeded {
					t.Fatalf("cleanup %s %q", c.State, c.Message)
				}
			}
			for _, name := range old {
				if _, ok := fx.objs.get("AUTH_p1", "out_segments", name); ok {
					t.Fatalf("segment %s of the crashed attempt is left", name)
				}
			}
			got, ok := fx.objs.get("AUTH_p1", "out", imageID+".vmdk")
			switch tc.state {
			case job.Succeeded:
				if !ok || !bytes.Equal(vmdkToRaw(t, got), disk) {
					t.Fatal("the resumed export did not write the VMDK")
				}
			default:
				if ok {
					t.Fatal("the crashed attempt's manifest is left")
				}
			}
		})
	}
}

// cleanupJob is the cleanup job OnFail submitted for export id.
func cleanupJob(t *testing.T, fx *fixture, id string) *job.Job {
	t.Helper()
	js, err := fx.jobs.List(context.Background(), job.Filter{Project: "p1", Kinds: []string{KindK5ExportCleanup}, ResourceID: id})
	if err != nil || len(js) != 1 {
		t.Fatalf("cleanup jobs of %s: %v %v", id, js, err)
	}
	return js[0]
}

// TestExportCleanupJob: the removal of a dead export's segments is a
// durable job: it retries a store that fails for a while, records a
// failure it cannot get past (leaving the objects for the user to see),
// and a cleanup whose node died is resumed by another.
func TestExportCleanupJob(t *testing.T) {
	for _, tc := range []struct {
		name     string
		failures int       // deletes of the first segment that fail
		crashed  bool      // the cleanup's first attempt died with its node
		later    job.State // a later export of the image to the object ("" none)
		state    job.State
		msg      string
	}{
		{"clean", 0, false, "", job.Succeeded, ""},
		{"store fails twice", 2, false, "", job.Succeeded, ""},
		{"store keeps failing", 1000, false, "", job.Failed, msgCleanupFailed},
		{"node died", 0, true, "", job.Succeeded, ""},
		{"a later export owns the object", 0, false, job.Succeeded, job.Succeeded, ""},
		{"a later export failed too", 0, false, job.Failed, job.Succeeded, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func(n int, d time.Duration) { cleanupTries, cleanupRetry = n, d }(cleanupTries, cleanupRetry)
			cleanupTries, cleanupRetry = 3, time.Millisecond
			fx := newFixture(t, false)
			ctx := context.Background()
			segs := crashLeftovers(fx, "x.vmdk")
			failed := 0
			fx.objs.failDelete = func(a, c, o string) bool {
				if o == segs[0] && failed < tc.failures {
					failed++
					return true
				}
				return false
			}
			target := objectRef{Account: "AUTH_p1", Container: "out", Object: "x.vmdk"}
			in := exportCleanup{ImageID: "img1", Target: target,
				Checkpoint: exportCheckpoint{SegContainer: "out_segments", Segments: segs, Target: true}}
			var id string
			err := fx.svc.db.Tx(ctx, func(tx *sql.Tx) error {
				failed := "e1" // without a later export, the failed one may be gone (retention)
				if tc.later != "" {
					now := store.Now()
					failed = exportJob(ctx, t, fx, tx, target, job.Failed, now-2e6)
					exportJob(ctx, t, fx, tx, target, tc.later, now-1e6)
				}
				var err error
				id, err = fx.jobs.Submit(ctx, tx, job.Spec{Kind: KindK5ExportCleanup, Project: "p1", User: "u1",
					ResourceType: "export", ResourceID: failed, Input: in})
				if err != nil || !tc.crashed {
					return err
				}
				return markCrashed(ctx, tx, id, 1, "")
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := fx.jobs.Start(ctx); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { fx.jobs.Close() })
			j := fx.wait(t, id)
			if j.State != tc.state || j.Message != tc.msg {
				t.Fatalf("cleanup %s %q, want %s %q", j.State, j.Message, tc.state, tc.msg)
			}
			if tc.crashed && j.Attempt != 2 {
				t.Fatalf("attempt %d, want the resumed second", j.Attempt)
			}
			_, left := fx.objs.get("AUTH_p1", "out_segments", segs[0])
			_, manifest := fx.objs.get("AUTH_p1", "out", "x.vmdk")
			if want := tc.state != job.Succeeded; left != want || (!want && manifest != (tc.later == job.Succeeded)) {
				t.Fatalf("first segment left %v, manifest left %v", left, manifest)
			}
		})
	}
}

// crashLeftovers stores what an export of object that crashed after two
// segments and its manifest leaves, and returns the segments' names.
func crashLeftovers(fx *fixture, object string) []string {
	fx.objs.mkdir("AUTH_p1", "out_segments")
	segs := []string{object + "/slo/1.000000/262144/00000000", object + "/slo/1.000000/262144/00000001"}
	for _, name := range segs {
		fx.objs.put("AUTH_p1", "out_segments", name, []byte("old"))
	}
	fx.objs.put("AUTH_p1", "out", object, []byte("old manifest"))
	return segs
}

// markCrashed makes job id look as if its node died while running its
// attempt-th attempt with checkpoint cp (its lease expired a minute ago).
func markCrashed(ctx context.Context, tx *sql.Tx, id string, attempt int, cp string) error {
	past := store.Now() - int64(time.Minute/time.Microsecond)
	_, err := tx.ExecContext(ctx, `UPDATE jobs SET state = $1, lease_owner = 'dead', lease_expires = $2, attempt = $3,
		checkpoint = $4, started_at = $5 WHERE id = $6`, job.Running, past, attempt, cp, store.Now(), id)
	return err
}

// exportJob stores a finished export of image img1 to target, in state,
// created at created (unix microseconds).
func exportJob(ctx context.Context, t *testing.T, fx *fixture, tx *sql.Tx, target objectRef, state job.State, created int64) string {
	t.Helper()
	id, err := fx.jobs.Submit(ctx, tx, job.Spec{Kind: KindK5Export, Project: "p1", User: "u1", ResourceType: "image",
		ResourceID: "img1", Input: exportRequest{ImageID: "img1", Target: target}})
	if err == nil {
		_, err = tx.ExecContext(ctx, "UPDATE jobs SET state = $1, created_at = $2, finished_at = $2 WHERE id = $3", state, created, id)
	}
	if err != nil {
		t.Fatal(err)
	}
	return id
}
