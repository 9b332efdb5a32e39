// Command boot creates servers through the Nova API for the compute
// benchmarks (bench/compute/run.sh).
//
//	boot -mode latency -n 1000 -c 8 ...   one server per request, each polled
//	                                      until ACTIVE: prints p50/p99 of
//	                                      create→ACTIVE and the rate
//	boot -mode seed -n 10000 -batch 100   multi-create (min_count) batches,
//	                                      waits for all to be ACTIVE
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

var (
	url     = flag.String("url", "http://127.0.0.1:5090", "stratus base URL")
	token   = flag.String("token", "", "X-Auth-Token")
	image   = flag.String("image", "", "image id")
	flavor  = flag.String("flavor", "1", "flavor id")
	network = flag.String("network", "", "network id (\"\" for none)")
	mode    = flag.String("mode", "latency", "latency or seed")
	n       = flag.Int("n", 1000, "servers")
	conc    = flag.Int("c", 8, "concurrent requests")
	batch   = flag.Int("batch", 100, "servers per request (seed)")
	poll    = flag.Duration("poll", 5*time.Millisecond, "poll interval")
)

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 2 * time.Minute}

func call(method, path string, body any) (int, []byte) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, *url+"/compute/v2.1"+path, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Auth-Token", *token)
	req.Header.Set("OpenStack-API-Version", "compute 2.37")
	resp, err := client.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func serverBody(name string, count int) map[string]any {
	s := map[string]any{"name": name, "imageRef": *image, "flavorRef": *flavor, "networks": "none"}
	if *network != "" {
		s["networks"] = []map[string]string{{"uuid": *network}}
	}
	if count > 1 {
		s["min_count"], s["max_count"] = count, count
	}
	return map[string]any{"server": s}
}

func status(id string) string {
	code, b := call("GET", "/servers/"+id, nil)
	if code != 200 {
		fmt.Fprintln(os.Stderr, "show", id, code, string(b))
		os.Exit(1)
	}
	var m struct{ Server struct{ Status string } }
	json.Unmarshal(b, &m)
	return m.Server.Status
}

func main() {
	flag.Parse()
	switch *mode {
	case "latency":
		latency()
	case "seed":
		seed()
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", *mode)
		os.Exit(2)
	}
}

func latency() {
	var next atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < *conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(*n) {
					return
				}
				t0 := time.Now()
				code, b := call("POST", "/servers", serverBody(fmt.Sprintf("lat-%06d", i), 1))
				if code != 202 {
					fmt.Fprintln(os.Stderr, "create", code, string(b))
					os.Exit(1)
				}
				var m struct{ Server struct{ ID string } }
				json.Unmarshal(b, &m)
				for {
					st := status(m.Server.ID)
					if st == "ACTIVE" {
						break
					}
					if st == "ERROR" {
						fmt.Fprintln(os.Stderr, "server", m.Server.ID, "ERROR")
						os.Exit(1)
					}
					time.Sleep(*poll)
				}
				d := time.Since(t0)
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	total := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) time.Duration { return lat[int(float64(len(lat)-1)*p)] }
	fmt.Printf("servers %d  concurrency %d  total %.1f s  %.1f servers/s  create→ACTIVE p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms\n",
		len(lat), *conc, total.Seconds(), float64(len(lat))/total.Seconds(), ms(pct(0.50)), ms(pct(0.90)), ms(pct(0.99)), ms(lat[len(lat)-1]))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func seed() {
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	batches := (*n + *batch - 1) / *batch
	for w := 0; w < *conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1))
				if i > batches {
					return
				}
				count := *batch
				if i == batches && *n%*batch != 0 {
					count = *n % *batch
				}
				code, b := call("POST", "/servers", serverBody(fmt.Sprintf("seed-%05d", i), count))
				if code != 202 {
					fmt.Fprintln(os.Stderr, "create", code, string(b))
					os.Exit(1)
				}
			}
		}()
	}
	wg.Wait()
	// Wait until no server is BUILD.
	for {
		code, b := call("GET", "/servers?status=BUILD&limit=1", nil)
		if code != 200 {
			fmt.Fprintln(os.Stderr, "list", code, string(b))
			os.Exit(1)
		}
		var m struct{ Servers []any }
		json.Unmarshal(b, &m)
		if len(m.Servers) == 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	fmt.Printf("seeded %d servers in %.1f s\n", *n, time.Since(start).Seconds())
}
