// Command seed creates N queued images through the Glance API, for the
// image benchmarks (bench/image/run.sh). It prints the id of one image.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:5090", "stratus base URL")
	token := flag.String("token", "", "X-Auth-Token")
	n := flag.Int("n", 1000, "images to create")
	flag.Parse()
	var next atomic.Int64
	var last atomic.Value
	var wg sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(*n) {
					return
				}
				body, _ := json.Marshal(map[string]any{
					"name": fmt.Sprintf("bench-%06d", i), "disk_format": "qcow2", "container_format": "bare",
					"tags": []string{"bench"}, "os_distro": "debian", "min_ram": 512,
				})
				req, _ := http.NewRequest("POST", *url+"/image/v2/images", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Auth-Token", *token)
				resp, err := client.Do(req)
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 201 {
					fmt.Fprintln(os.Stderr, resp.Status, string(b))
					os.Exit(1)
				}
				var m struct{ ID string }
				json.Unmarshal(b, &m)
				last.Store(m.ID)
			}
		}()
	}
	wg.Wait()
	fmt.Println(last.Load())
}
