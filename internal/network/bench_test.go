package network

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkPortsOfServers is the network part of a server list page: the
// ports of 100 servers out of 10,000, each with one port.
func BenchmarkPortsOfServers(b *testing.B) {
	s := newTestService(b)
	ctx := context.Background()
	if _, err := s.UpdateQuota(ctx, "pa", map[string]int64{"port": -1}); err != nil {
		b.Fatal(err)
	}
	n, _ := mkNet(b, s, alice, "net", "10.0.0.0/16")
	const servers = 10000
	ids := make([]string, servers)
	for i := range ids {
		ids[i] = fmt.Sprintf("server-%05d", i)
		if _, err := s.BindPorts(ctx, alice, ids[i], "h", []PortRequest{{NetworkID: n.ID}}, nil); err != nil {
			b.Fatal(err)
		}
	}
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
