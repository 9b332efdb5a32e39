// Command issuerate measures password token issue: c clients POST
// /identity/v3/auth/tokens for d, then the requests in flight are waited
// for, so every request whose CPU was spent is counted. With -pid it also
// reports the server's CPU time per token (from /proc/PID/stat), which a
// busy shared machine inflates much less than the wall-clock rate.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:18500", "stratus base URL")
	c := flag.Int("c", 8, "concurrent clients")
	d := flag.Duration("d", 20*time.Second, "duration")
	pid := flag.Int("pid", 0, "server pid, for CPU per token")
	password := flag.String("password", "bench-admin", "admin password")
	flag.Parse()
	body := `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"id":"default"},"password":"` +
		*password + `"}}},"scope":{"project":{"name":"admin","domain":{"id":"default"}}}}}`
	cpu0 := cpuMS(*pid)
	var ok, bad atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < *c; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Since(start) < *d {
				resp, err := http.Post(*url+"/identity/v3/auth/tokens", "application/json", strings.NewReader(body))
				if err != nil {
					bad.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 201 {
					ok.Add(1)
				} else {
					bad.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	n := ok.Load()
	fmt.Printf("token issue: %d tokens in %v with %d clients: %.2f/s (%d failed)\n", n, el.Round(time.Millisecond), *c, float64(n)/el.Seconds(), bad.Load())
	if *pid != 0 && n > 0 {
		per := float64(cpuMS(*pid)-cpu0) / float64(n)
		fmt.Printf("    server CPU per token: %.0f ms, so %.1f/s on 2 idle cores\n", per, 2000/per)
	}
}

// cpuMS is utime+stime of pid in ms (clock ticks of 10 ms).
func cpuMS(pid int) int64 {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	var ut, st int64
	fmt.Sscan(f[11], &ut)
	fmt.Sscan(f[12], &st)
	return (ut + st) * 10
}
