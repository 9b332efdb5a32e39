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

func benchLarge(b *testing.B, s Store) {
	ctx := context.Background()
	chunk := make([]byte, 1<<20)
	b.SetBytes(256 << 20)
	for i := 0; i < b.N; i++ {
		w, err := s.Create(ctx, fmt.Sprintf("big/%d", i))
		if err != nil {
			b.Fatal(err)
		}
		for j := 0; j < 256; j++ {
			w.Write(chunk)
		}
		if err := w.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLargeFS writes 256 MiB blobs with the plain FS (all writeback at fsync).
func BenchmarkLargeFS(b *testing.B) {
	fs, _ := NewFS(b.TempDir())
	benchLarge(b, fs)
}

// BenchmarkLargeGroup writes them through Group, which starts writeback every 8 MiB.
func BenchmarkLargeGroup(b *testing.B) {
	fs, _ := NewFS(b.TempDir())
	benchLarge(b, NewGroup(fs))
}
