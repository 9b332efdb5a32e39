package qemu

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/diskimage/convert"
	"github.com/stratus-iaas/stratus/internal/testutil"
)

// BenchmarkSpawnToConsole is the time from Spawn of the tiny image (its
// raw copy already made by an earlier server, as for any image booted
// before) to its first console line, under the accelerator this host has.
//
//	go test -run '^$' -bench SpawnToConsole -benchtime 20x ./internal/hypervisor/qemu/
func BenchmarkSpawnToConsole(b *testing.B) {
	ctx := context.Background()
	img := tinyDisk(b, 1<<20)
	d := newDriver(b, b.TempDir(), nil)
	defer d.Close()
	warm := "warm"
	if err := d.Spawn(ctx, tinySpec(warm, img)); err != nil {
		b.Fatal(err)
	}
	defer d.Destroy(ctx, warm)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := fmt.Sprintf("bench-%d", i)
		if err := d.Spawn(ctx, tinySpec(id, img)); err != nil {
			b.Fatal(err)
		}
		p := d.paths(id).Console
		for !consoleHas(p, TinyLine) {
			time.Sleep(time.Millisecond)
		}
		b.StopTimer()
		d.Destroy(ctx, id)
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/boot")
	b.ReportMetric(0, "ns/op")
}

func rssKiB(pid int) int64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// BenchmarkIdleServerMemory boots servers of the tiny image (64 MiB of
// guest memory each) and reports, per idle server, QEMU's resident memory
// and what the server costs inside stratus (heap, goroutines).
//
//	go test -run '^$' -bench IdleServerMemory -benchtime 8x ./internal/hypervisor/qemu/
func BenchmarkIdleServerMemory(b *testing.B) {
	ctx := context.Background()
	img := tinyDisk(b, 1<<20)
	d := newDriver(b, b.TempDir(), nil)
	defer d.Close()
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	g0 := runtime.NumGoroutine()
	var ids []string
	for i := 0; i < b.N; i++ {
		id := fmt.Sprintf("idle-%d", i)
		if err := d.Spawn(ctx, tinySpec(id, img)); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, id)
		defer d.Destroy(ctx, id)
	}
	for _, id := range ids {
		for !consoleHas(d.paths(id).Console, TinyLine) {
			time.Sleep(5 * time.Millisecond)
		}
	}
	time.Sleep(2 * time.Second) // idle
	runtime.GC()
	runtime.ReadMemStats(&m1)
	var rss int64
	for _, id := range ids {
		s, _ := d.get(id)
		rss += rssKiB(s.proc.pid)
	}
	n := float64(b.N)
	b.ReportMetric(float64(rss)/1024/n, "qemu-RSS-MiB/server")
	b.ReportMetric(float64(int64(m1.HeapInuse)-int64(m0.HeapInuse))/1024/n, "stratus-heap-KiB/server")
	b.ReportMetric(float64(runtime.NumGoroutine()-g0)/n, "goroutines/server")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkSnapshot1GiB compares, in one run, a live snapshot of a
// running server's 1 GiB disk (full of data) converted to qcow2 by the
// disk-image engine (what createImage does) with qemu-img convert -O qcow2
// of the same disk while the server is stopped.
//
//	go test -run '^$' -bench Snapshot1GiB -benchtime 3x ./internal/hypervisor/qemu/
func BenchmarkSnapshot1GiB(b *testing.B) {
	qimg := testutil.RequireTool(b, "qemu-img")
	ctx := context.Background()
	dir := b.TempDir()
	img := tinyDisk(b, 1<<20)
	// A 1 GiB image: the boot sector, then pseudo-random data.
	big := filepath.Join(dir, "big.raw")
	boot, _ := os.ReadFile(img)
	f, err := os.Create(big)
	if err != nil {
		b.Fatal(err)
	}
	f.Write(boot[:512])
	r := rand.NewChaCha8([32]byte{1})
	buf := make([]byte, 4<<20)
	for off := int64(512); off < 1<<30; off += int64(len(buf)) {
		r.Read(buf)
		f.Write(buf[:min(int64(len(buf)), 1<<30-off)])
	}
	f.Close()
	d := newDriver(b, filepath.Join(dir, "drv"), nil)
	defer d.Close()
	spec := tinySpec("big", big)
	spec.Image.ID = "img-big"
	if err := d.Spawn(ctx, spec); err != nil {
		b.Fatal(err)
	}
	defer d.Destroy(ctx, "big")
	var live, stopped, stoppedSync, snapOnly time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		snap, err := d.SnapshotSource(ctx, "big")
		if err != nil {
			b.Fatal(err)
		}
		snapOnly += time.Since(t0)
		out := filepath.Join(dir, "live.qcow2")
		if _, err := convert.ConvertFile(ctx, snap.Path, out, convert.Options{SrcFormat: "qcow2", DstFormat: "qcow2"}); err != nil {
			b.Fatal(err)
		}
		snap.Release()
		live += time.Since(t0)
		os.Remove(out)

		b.StopTimer()
		d.PowerOff(ctx, "big", 0)
		b.StartTimer()
		t0 = time.Now()
		out = filepath.Join(dir, "stopped.qcow2")
		if o, err := exec.Command(qimg, "convert", "-O", "qcow2", d.DiskPath("big"), out).CombinedOutput(); err != nil {
			b.Fatalf("qemu-img: %v %s", err, o)
		}
		stopped += time.Since(t0)
		// createImage's output is durable; qemu-img leaves it in the
		// page cache. Its fsync is counted apart.
		if f, err := os.OpenFile(out, os.O_RDWR, 0); err == nil {
			f.Sync()
			f.Close()
		}
		stoppedSync += time.Since(t0)
		os.Remove(out)
		b.StopTimer()
		d.PowerOn(ctx, "big")
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(live.Seconds()/n, "live-snapshot+convert-s")
	b.ReportMetric(snapOnly.Seconds()/n, "of-which-snapshot-s")
	b.ReportMetric(stopped.Seconds()/n, "qemu-img-convert-stopped-s")
	b.ReportMetric(stoppedSync.Seconds()/n, "qemu-img+fsync-s")
	b.ReportMetric(live.Seconds()/stoppedSync.Seconds(), "ratio-vs-synced")
	b.ReportMetric(0, "ns/op")
}
