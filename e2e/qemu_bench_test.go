package e2e

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"
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
