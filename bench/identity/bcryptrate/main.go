// Command bcryptrate measures raw bcrypt verifications per second with
// one goroutine per core: the ceiling for password token issue, printed
// beside the HTTP figure so the two can be compared in the same run.
package main

import (
	"flag"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/crypto/bcrypt"
)

func main() {
	cost := flag.Int("cost", 12, "bcrypt cost")
	d := flag.Duration("d", 10*time.Second, "duration")
	flag.Parse()
	hash, err := bcrypt.GenerateFromPassword([]byte("bench-admin"), *cost)
	if err != nil {
		panic(err)
	}
	var ru0 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	var n atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < runtime.GOMAXPROCS(0); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Since(start) < *d {
				bcrypt.CompareHashAndPassword(hash, []byte("bench-admin"))
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	var ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano()+ru1.Stime.Nano()-ru0.Utime.Nano()-ru0.Stime.Nano()) * time.Nanosecond
	perOp := cpu / time.Duration(n.Load())
	fmt.Printf("raw bcrypt cost %d: %.2f verifications/s on %d cores (%d in %v); CPU per verification %v, so %.1f/s on %d idle cores\n",
		*cost, float64(n.Load())/el.Seconds(), runtime.GOMAXPROCS(0), n.Load(), el.Round(time.Millisecond),
		perOp.Round(time.Millisecond), float64(runtime.GOMAXPROCS(0))/perOp.Seconds(), runtime.GOMAXPROCS(0))
}
