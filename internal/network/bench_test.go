package network

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stratus-iaas/stratus/internal/store"
)

// listBench is the 10,000-server setup of BenchmarkPortsOfServers, made
// once per process (the testing package calls a benchmark several times).
var listBench struct {
	once sync.Once
	s    *Service
	ids  []string
}

// BenchmarkPortsOfServers is the network part of a server list page: the
// ports of 100 servers out of 10,000, each with one port.
func BenchmarkPortsOfServers(b *testing.B) {
	ctx := context.Background()
	const servers = 10000
	listBench.once.Do(func() {
		db, err := store.Open(ctx, "", filepath.Join(os.TempDir(), fmt.Sprintf("stratus-netbench-%d", os.Getpid())))
		if err != nil {
			b.Fatal(err)
		}
		s, err := New(ctx, Options{DB: db})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.UpdateQuota(ctx, "pa", map[string]int64{"port": -1}); err != nil {
			b.Fatal(err)
		}
		n, _ := mkNet(b, s, alice, "net", "10.0.0.0/16")
		ids := make([]string, servers)
		for i := range ids {
			ids[i] = fmt.Sprintf("server-%05d", i)
			if _, err := s.BindPorts(ctx, alice, ids[i], "h", []PortRequest{{NetworkID: n.ID}}, nil); err != nil {
				b.Fatal(err)
			}
		}
		listBench.s, listBench.ids = s, ids
	})
	s, ids := listBench.s, listBench.ids
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := (i * 100) % servers
		m, err := s.PortsOfServers(ctx, ids[start:start+100])
		if err != nil || len(m) != 100 {
			b.Fatalf("%d servers, %v", len(m), err)
		}
	}
}

// BenchmarkBindPorts is one server's port on a network with 5,000 ports.
func BenchmarkBindPorts(b *testing.B) {
	s := newTestService(b)
	ctx := context.Background()
	if _, err := s.UpdateQuota(ctx, "pa", map[string]int64{"port": -1}); err != nil {
		b.Fatal(err)
	}
	n, _ := mkNet(b, s, alice, "net", "10.0.0.0/16")
	for i := 0; i < 5000; i++ {
		if _, err := s.BindPorts(ctx, alice, fmt.Sprint("pre-", i), "h", []PortRequest{{NetworkID: n.ID}}, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.BindPorts(ctx, alice, fmt.Sprint("s-", i), "h", []PortRequest{{NetworkID: n.ID}}, nil); err != nil {
			b.Fatal(err)
		}
	}
}
