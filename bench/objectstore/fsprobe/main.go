// Command fsprobe measures what the disk under a directory sustains for
// small durable writes, to put object-store PUT rates in context: fsync
// per file from N goroutines, and batched rounds (parallel fsync, rename,
// one directory fsync) as blob.Group does.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	dirFlag := flag.String("dir", os.TempDir(), "directory on the disk to probe")
	dur := flag.Duration("duration", 5*time.Second, "per test")
	clients := flag.Int("clients", 16, "goroutines")
	flag.Parse()
	dir, err := os.MkdirTemp(*dirFlag, "fsprobe")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	buf := make([]byte, 4096)
	// Each goroutine: create, write 4 KiB, fsync, close, rename, fsync dir.
	var ops atomic.Int64
	var wg sync.WaitGroup
	end := time.Now().Add(*dur)
	t0 := time.Now()
	for c := 0; c < *clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := 0; time.Now().Before(end); i++ {
				tmp := filepath.Join(dir, fmt.Sprintf(".t%d-%d", c, i))
				f, _ := os.Create(tmp)
				f.Write(buf)
				f.Sync()
				f.Close()
				os.Rename(tmp, filepath.Join(dir, fmt.Sprintf("o%d-%d", c, i)))
				d, _ := os.Open(dir)
				d.Sync()
				d.Close()
				ops.Add(1)
			}
		}(c)
	}
	wg.Wait()
	fmt.Printf("per-file fsync+rename+dir fsync, %d goroutines: %.0f ops/s\n", *clients, float64(ops.Load())/time.Since(t0).Seconds())
	// Plain fsync only.
	ops.Store(0)
	end = time.Now().Add(*dur)
	t0 = time.Now()
	for c := 0; c < *clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := 0; time.Now().Before(end); i++ {
				f, _ := os.Create(filepath.Join(dir, fmt.Sprintf("p%d-%d", c, i)))
				f.Write(buf)
				f.Sync()
				f.Close()
				ops.Add(1)
			}
		}(c)
	}
	wg.Wait()
	fmt.Printf("per-file fsync only, %d goroutines: %.0f ops/s\n", *clients, float64(ops.Load())/time.Since(t0).Seconds())
	// Single thread fsync latency.
	ops.Store(0)
	end = time.Now().Add(*dur / 2)
	t0 = time.Now()
	for i := 0; time.Now().Before(end); i++ {
		f, _ := os.Create(filepath.Join(dir, fmt.Sprintf("s%d", i)))
		f.Write(buf)
		f.Sync()
		f.Close()
		ops.Add(1)
	}
	fmt.Printf("sequential fsync: %.0f ops/s (%.2f ms each)\n", float64(ops.Load())/time.Since(t0).Seconds(), time.Since(t0).Seconds()*1000/float64(ops.Load()))
}
