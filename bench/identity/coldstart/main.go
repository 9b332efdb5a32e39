// Command coldstart measures how fast `stratus serve` answers: the time
// from exec to the first 200 on GET /identity/v3, to the first admin
// token (which waits for the bootstrap bcrypt hash), and the idle RSS.
//
//	go run ./bench/identity/coldstart -bin ./stratus -runs 5
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	bin := flag.String("bin", "./stratus", "stratus binary")
	runs := flag.Int("runs", 5, "runs per case")
	cost := flag.String("bcrypt-cost", "12", "STRATUS_BCRYPT_COST")
	flag.Parse()
	for _, fresh := range []bool{true, false} {
		var first, token []time.Duration
		var rss []int
		dir, _ := os.MkdirTemp("", "stratus-coldstart-")
		for i := 0; i < *runs; i++ {
			if fresh {
				os.RemoveAll(dir)
				os.MkdirAll(dir, 0o700)
			}
			f, tk, r, err := once(*bin, dir, *cost)
			if err != nil {
				fmt.Fprintln(os.Stderr, "coldstart:", err)
				os.Exit(1)
			}
			first, token, rss = append(first, f), append(token, tk), append(rss, r)
		}
		os.RemoveAll(dir)
		name := "existing data dir"
		if fresh {
			name = "fresh data dir"
		}
		fmt.Printf("%-17s first 200 on GET /identity/v3: median %v (min %v, max %v); first admin token: median %v; idle VmRSS median %d kB\n",
			name, med(first), slices.Min(first), slices.Max(first), med(token), medInt(rss))
	}
}

func med(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2].Round(100 * time.Microsecond)
}

func medInt(d []int) int {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func once(bin, dir, cost string) (first, token time.Duration, rssKB int, err error) {
	addr := freeAddr()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "STRATUS_DATA_DIR="+dir, "STRATUS_LISTEN="+addr,
		"STRATUS_ADMIN_PASSWORD=bench-admin", "STRATUS_BCRYPT_COST="+cost, "STRATUS_LOG_LEVEL=warn")
	log, _ := os.Create(filepath.Join(os.TempDir(), "stratus-coldstart.log"))
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	url := "http://" + addr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, 0, err
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	for {
		if time.Since(start) > 20*time.Second {
			return 0, 0, 0, fmt.Errorf("no answer after 20 s")
		}
		resp, err := client.Get(url + "/identity/v3")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				first = time.Since(start)
				break
			}
		}
		time.Sleep(200 * time.Microsecond)
	}
	body := `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"id":"default"},"password":"bench-admin"}}},"scope":{"project":{"name":"admin","domain":{"id":"default"}}}}}`
	resp, err := client.Post(url+"/identity/v3/auth/tokens", "application/json", strings.NewReader(body))
	if err != nil {
		return 0, 0, 0, err
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		return 0, 0, 0, fmt.Errorf("token: %d", resp.StatusCode)
	}
	token = time.Since(start)
	time.Sleep(time.Second)
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		return 0, 0, 0, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			fmt.Sscan(strings.TrimSpace(strings.TrimPrefix(line, "VmRSS:")), &rssKB)
		}
	}
	return first, token, rssKB, nil
}
