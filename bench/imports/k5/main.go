// Command k5 times one K5 import or export against a running stratus:
// from the POST to the status poll that sees it finished (polled every
// 10 ms), and, with -pid, the peak growth of that process's RSS meanwhile
// (sampled every 10 ms from /proc/PID/status). It prints
// "seconds rss_growth_mib image_id".
//
//	k5 -url URL -token TOK -import '{"name":...}'
//	k5 -url URL -token TOK -export '{"image_id":...}'
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

func main() {
	url := flag.String("url", "", "stratus base URL")
	token := flag.String("token", "", "X-Auth-Token")
	imp := flag.String("import", "", "register-image body")
	exp := flag.String("export", "", "image-export body")
	pid := flag.Int("pid", 0, "server process to sample the RSS of")
	flag.Parse()
	path, body, idKey, stKey := "/import/v1/imageimport", *imp, "import_id", "import_status"
	if *exp != "" {
		path, body, idKey, stKey = "/import/v1/imageexport", *exp, "export_id", "export_status"
	}
	base := rss(*pid)
	var peak atomic.Int64
	peak.Store(base)
	stop := make(chan struct{})
	if *pid != 0 {
		go func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(10 * time.Millisecond):
				}
				if v := rss(*pid); v > peak.Load() {
					peak.Store(v)
				}
			}
		}()
	}
	start := time.Now()
	resp := call(*url+path, *token, body)
	id, _ := resp[idKey].(string)
	if id == "" {
		fail("POST %s: %v", path, resp)
	}
	for {
		st := call(*url+path+"/"+id+"/status", *token, "")
		switch st[stKey] {
		case "succeeded":
			el := time.Since(start)
			close(stop)
			image, _ := st["id"].(string)
			if image == "" {
				image, _ = st["image_id"].(string)
			}
			fmt.Printf("%.3f %d %s\n", el.Seconds(), (peak.Load()-base)>>20, image)
			return
		case "failed", "canceled":
			fail("%s: %v", id, st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func call(url, token, body string) map[string]any {
	method := "GET"
	if body != "" {
		method = "POST"
	}
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("X-Auth-Token", token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fail("%v", err)
	}
	defer resp.Body.Close()
	var m map[string]any
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		fail("%s: %d %s", url, resp.StatusCode, buf.String())
	}
	return m
}

// rss is the resident set of pid in bytes (0 without a pid).
func rss(pid int) int64 {
	if pid == 0 {
		return 0
	}
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return kb << 10
		}
	}
	return 0
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "k5: "+format+"\n", args...)
	os.Exit(1)
}
