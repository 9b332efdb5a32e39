package e2e

import (
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/testutil"
)

// BenchmarkQEMUCreateToConsole is the time from POST /servers of the tiny
// guest (its image already booted once, so its raw copy exists) to the
// first console line in os-getConsoleOutput, on the QEMU driver (TCG
// where there is no hardware virtualisation).
//
//	go test -run '^$' -bench QEMUCreateToConsole -benchtime 20x ./e2e/
func BenchmarkQEMUCreateToConsole(b *testing.B) {
	n := startQEMUNode(b)
	vmdk := tinyVMDK(b)
	n.MustOpenStack(b, "image", "create", "--file", vmdk, "--disk-format", "vmdk", "--container-format", "bare", "tiny")
	imageID := strings.TrimSpace(n.MustOpenStack(b, "image", "show", "tiny", "-f", "value", "-c", "id"))
	n.MustOpenStack(b, "server", "create", "--image", "tiny", "--flavor", "m1.tiny", "--wait", "warm")
	tok := n.AdminToken(b)
	var took []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		code, _, body := n.Do(b, "POST", "/compute/v2.1/servers", tok, map[string]any{"server": map[string]any{
			"name": "bench", "imageRef": imageID, "flavorRef": "1"}})
		if code != 202 {
			b.Fatalf("create: %d %s", code, body)
		}
		var created struct {
			Server struct{ ID string } `json:"server"`
		}
		json.Unmarshal(body, &created)
		id := created.Server.ID
		for {
			code, _, body := n.Do(b, "POST", "/compute/v2.1/servers/"+id+"/action", tok, map[string]any{"os-getConsoleOutput": map[string]any{}})
			if code == 200 && strings.Contains(string(body), tinyLine) {
				break
			}
			if time.Since(t0) > 2*time.Minute {
				b.Fatalf("no console line: %d %s", code, body)
			}
			time.Sleep(5 * time.Millisecond)
		}
		took = append(took, time.Since(t0))
		b.StopTimer()
		n.Do(b, "DELETE", "/compute/v2.1/servers/"+id, tok, nil)
		for {
			if code, _, _ := n.Do(b, "GET", "/compute/v2.1/servers/"+id, tok, nil); code == 404 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		b.StartTimer()
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	b.ReportMetric(float64(took[len(took)/2].Milliseconds()), "p50-ms")
	b.ReportMetric(float64(took[len(took)-1].Milliseconds()), "max-ms")
	b.ReportMetric(float64(took[0].Milliseconds()), "min-ms")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkQEMUCreateImage1GiB times createImage of a running server
// whose 1 GiB disk is full of data, through the API until the image is
// active (live copy, conversion to qcow2 with checksums, fsync, publish),
// against qemu-img convert -O qcow2 of the same disk while the server is
// stopped (with and without an fsync of its output), in the same run.
//
//	go test -run '^$' -bench QEMUCreateImage1GiB -benchtime 3x ./e2e/
func BenchmarkQEMUCreateImage1GiB(b *testing.B) {
	qimg := testutil.RequireTool(b, "qemu-img")
	n := startQEMUNode(b)
	dir := b.TempDir()
	// The tiny guest's boot sector, then pseudo-random data to 1 GiB.
	vmdk := tinyVMDK(b)
	raw := filepath.Join(dir, "big.raw")
	if out, err := exec.Command(qimg, "convert", "-O", "raw", vmdk, raw).CombinedOutput(); err != nil {
		b.Fatalf("%v %s", err, out)
	}
	f, _ := os.OpenFile(raw, os.O_RDWR, 0)
	r := mrand.NewChaCha8([32]byte{7})
	buf := make([]byte, 4<<20)
	for off := int64(1 << 20); off < 1<<30; off += int64(len(buf)) {
		r.Read(buf)
		f.WriteAt(buf[:min(int64(len(buf)), 1<<30-off)], off)
	}
	f.Close()
	n.MustOpenStack(b, "image", "create", "--file", raw, "--disk-format", "raw", "--container-format", "bare", "big")
	id := strings.TrimSpace(n.MustOpenStack(b, "server", "create", "--image", "big", "--flavor", "m1.tiny", "--wait", "big1", "-f", "value", "-c", "id"))
	disk := filepath.Join(n.DataDir, "instances", "servers", id, "disk.qcow2")
	tok := n.AdminToken(b)
	var live, stopped, stoppedSync time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		code, h, body := n.Do(b, "POST", "/compute/v2.1/servers/"+id+"/action", tok, map[string]any{"createImage": map[string]any{"name": fmt.Sprintf("snap%d", i)}})
		if code != 202 {
			b.Fatalf("createImage: %d %s", code, body)
		}
		img := h.Get("Location")[strings.LastIndex(h.Get("Location"), "/")+1:]
		for {
			_, _, body := n.Do(b, "GET", "/image/v2/images/"+img, tok, nil)
			if strings.Contains(string(body), `"status": "active"`) || strings.Contains(string(body), `"status":"active"`) {
				break
			}
			if time.Since(t0) > 10*time.Minute {
				b.Fatalf("snapshot never active: %s", body)
			}
			time.Sleep(20 * time.Millisecond)
		}
		live += time.Since(t0)
		b.StopTimer()
		for {
			_, _, body := n.Do(b, "GET", "/compute/v2.1/servers/"+id, tok, nil)
			if !strings.Contains(string(body), `"OS-EXT-STS:task_state": "`) && !strings.Contains(string(body), `"OS-EXT-STS:task_state":"`) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		n.Do(b, "DELETE", "/image/v2/images/"+img, tok, nil)
		n.MustOpenStack(b, "server", "stop", "big1")
		n.waitServer(b, "big1", "SHUTOFF")
		out := filepath.Join(dir, "out.qcow2")
		b.StartTimer()
		t0 = time.Now()
		if o, err := exec.Command(qimg, "convert", "-O", "qcow2", disk, out).CombinedOutput(); err != nil {
			b.Fatalf("qemu-img: %v %s", err, o)
		}
		stopped += time.Since(t0)
		if f, err := os.OpenFile(out, os.O_RDWR, 0); err == nil {
			f.Sync()
			f.Close()
		}
		stoppedSync += time.Since(t0)
		b.StopTimer()
		os.Remove(out)
		n.MustOpenStack(b, "server", "start", "big1")
		n.waitServer(b, "big1", "ACTIVE")
		b.StartTimer()
	}
	k := float64(b.N)
	b.ReportMetric(live.Seconds()/k, "createImage-live-s")
	b.ReportMetric(stopped.Seconds()/k, "qemu-img-stopped-s")
	b.ReportMetric(stoppedSync.Seconds()/k, "qemu-img+fsync-s")
	b.ReportMetric(live.Seconds()/stoppedSync.Seconds(), "ratio-vs-synced")
	b.ReportMetric(0, "ns/op")
}
