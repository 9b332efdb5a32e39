package image

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/blob"
	"github.com/stratus-iaas/stratus/internal/catalog"
	"github.com/stratus-iaas/stratus/internal/hashcopy/hashcopytest"
	"github.com/stratus-iaas/stratus/internal/httpapi"
	"github.com/stratus-iaas/stratus/internal/store/storetest"
)

// BenchmarkUploadPipeline is the upload's CPU part alone: md5, sha512 and
// a write that costs nothing.
func BenchmarkUploadPipeline(b *testing.B) {
	data := hashcopytest.RandomBytes(64 << 20)
	b.SetBytes(int64(len(data)))
	defer reportCPU(b, len(data))()
	for b.Loop() {
		if _, err := copyHashed(context.Background(), io.Discard, bytes.NewReader(data), 1<<40); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUploadHTTP is a whole PUT /v2/images/{id}/file of 256 MiB
// through the handler, into the group-committing file store the server
// uses (on the disk of b.TempDir), fsync and the status change included.
// Creating the image is not timed.
func BenchmarkUploadHTTP(b *testing.B) {
	blobs, err := blob.NewFS(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := New(context.Background(), Options{DB: storetest.Open(b), Blobs: blob.NewGroup(blobs), Log: log})
	if err != nil {
		b.Fatal(err)
	}
	mux := httpapi.NewMux(testPrincipals, log)
	mux.Mount(httpapi.Group{Name: "image", Prefix: catalog.ImagePrefix, Dialect: httpapi.Glance, Routes: svc.Routes()})
	raw, bare := "raw", "bare"
	data := hashcopytest.RandomBytes(256 << 20)
	b.SetBytes(int64(len(data)))
	defer reportCPU(b, len(data))()
	for b.Loop() {
		b.StopTimer()
		im, err := svc.CreateImage(context.Background(), testPrincipals["alice"], Fields{DiskFormat: &raw, ContainerFormat: &bare})
		if err != nil {
			b.Fatal(err)
		}
		req := httptest.NewRequest("PUT", "/image/v2/images/"+im.ID+"/file", bytes.NewReader(data))
		req.Header.Set("X-Auth-Token", "alice")
		req.Header.Set("Content-Type", "application/octet-stream")
		w := httptest.NewRecorder()
		b.StartTimer()
		mux.ServeHTTP(w, req)
		if w.Code != 204 {
			b.Fatalf("upload: %d %s", w.Code, w.Body)
		}
		b.StopTimer()
		blobs.Delete(context.Background(), DataKey(im.ID))
		b.StartTimer()
	}
}

// reportCPU reports the process's CPU time (user + system, all threads)
// per byte moved, a figure that other load on the machine changes much
// less than MB/s. Call as defer reportCPU(b, n)().
func reportCPU(b *testing.B, n int) func() {
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start := cpu()
	return func() {
		b.ReportMetric(float64(cpu()-start)/float64(b.N)/float64(n), "cpu-ns/B")
	}
}
