// Command load is the object-storage load driver: N clients PUT or GET
// small objects against a Swift endpoint on 127.0.0.1 for a fixed time,
// then print ops/s and latency percentiles. It also seeds and measures
// listings.
package main

import (
	"bytes"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	url := flag.String("url", "", "storage URL (http://127.0.0.1:PORT/object-store/v1/AUTH_x)")
	token := flag.String("token", "", "X-Auth-Token")
	mode := flag.String("mode", "put", "put | get | list")
	clients := flag.Int("clients", 16, "concurrent clients")
	dur := flag.Duration("duration", 20*time.Second, "how long to run")
	size := flag.Int("size", 4096, "object size for put")
	container := flag.String("container", "bench", "container")
	count := flag.Int("objects", 0, "get: objects named o-<client>-<i> to cycle through (0: as many as put wrote, from -objects-file)")
	listLimit := flag.Int("limit", 1000, "list: page size")
	flag.Parse()
	if !strings.HasPrefix(*url, "http://127.0.0.1") {
		fmt.Fprintln(os.Stderr, "load: only 127.0.0.1 targets")
		os.Exit(2)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: *clients * 2, MaxConnsPerHost: *clients * 2}
	hc := &http.Client{Transport: tr}
	do := func(req *http.Request) (int, error) {
		req.Header.Set("X-Auth-Token", *token)
		resp, err := hc.Do(req)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	req, _ := http.NewRequest("PUT", *url+"/"+*container, nil)
	do(req)
	payload := make([]byte, *size)
	rand.Read(payload)

	var ops, errs atomic.Int64
	lat := make([][]time.Duration, *clients)
	deadline := time.Now().Add(*dur)
	var wg sync.WaitGroup
	start := time.Now()
	for c := 0; c < *clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				var req *http.Request
				want := 200
				switch *mode {
				case "put":
					req, _ = http.NewRequest("PUT", fmt.Sprintf("%s/%s/o-%d-%d", *url, *container, c, i), bytes.NewReader(payload))
					want = 201
				case "get":
					n := *count
					req, _ = http.NewRequest("GET", fmt.Sprintf("%s/%s/o-%d-%d", *url, *container, c, i%n), nil)
				case "list":
					marker := fmt.Sprintf("o-%07d", (c*7919+i*104729)%990000)
					req, _ = http.NewRequest("GET", fmt.Sprintf("%s/%s?limit=%d&marker=%s", *url, *container, *listLimit, marker), nil)
				}
				t0 := time.Now()
				code, err := do(req)
				lat[c] = append(lat[c], time.Since(t0))
				if err != nil || code != want {
					errs.Add(1)
					continue
				}
				ops.Add(1)
			}
		}(c)
	}
	wg.Wait()
	el := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	pct := func(p float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return all[int(p*float64(len(all)-1))]
	}
	fmt.Printf("mode=%s clients=%d size=%d duration=%.1fs ops=%d errors=%d ops/s=%.0f p50=%s p99=%s max=%s\n",
		*mode, *clients, *size, el.Seconds(), ops.Load(), errs.Load(), float64(ops.Load())/el.Seconds(),
		pct(0.5).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), pct(1).Round(10*time.Microsecond))
}
