package blob

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
)

func benchCommits(b *testing.B, s Store) {
	ctx := context.Background()
	payload := make([]byte, 4096)
	var n atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w, err := s.Create(ctx, fmt.Sprintf("d/k%d", n.Add(1)))
			if err != nil {
				b.Fatal(err)
			}
			w.Write(payload)
			if err := w.Commit(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCommitFS: 16 writers each fsync+rename+dir fsync.
func BenchmarkCommitFS(b *testing.B) {
	fs, _ := NewFS(b.TempDir())
	benchCommits(b, fs)
}

// BenchmarkCommitGroup: the same through the group committer.
func BenchmarkCommitGroup(b *testing.B) {
	fs, _ := NewFS(b.TempDir())
	benchCommits(b, NewGroup(fs))
}
