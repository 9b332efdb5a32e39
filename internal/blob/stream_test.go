package blob

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stratus-iaas/stratus/internal/pagecache"
)

// TestStreams writes streams of several shapes through Group (writeback
// every writebackChunk, written pages dropped pagecache.Lag behind it): small,
// odd write sizes, one huge write, reads back mid-stream of pages already
// dropped, WriteAt and Truncate after the stream, and checks the committed
// bytes.
func TestStreams(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	fs, err := NewFS(root)
	if err != nil {
		t.Fatal(err)
	}
	long := pagecache.Lag + 3*writebackChunk + 12345 // past several drops
	cases := []struct {
		name       string
		size       int
		writeSizes []int // cycled
		readBack   bool  // ReadAt probes during the stream
		patchAt    int   // WriteAt of 10 bytes here after the stream (-1: none)
		truncate   int   // Truncate to this size at the end (-1: none)
	}{
		{"small", 1000, []int{100}, false, -1, -1},
		{"odd writes", long, []int{7, 4093, 65537, 1 << 20}, false, -1, -1},
		{"one huge write", long, []int{long}, false, -1, -1},
		{"read back", long, []int{3000007}, true, -1, -1},
		{"patch dropped page", long, []int{512 << 10}, false, 5, -1},
		{"truncate after", long, []int{512 << 10}, false, -1, long + 8<<20},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := make([]byte, tc.size)
			r := rand.New(rand.NewPCG(uint64(i), 1))
			for j := range want {
				want[j] = byte(r.Uint32())
			}
			key := "d/" + tc.name
			w, err := NewGroup(fs).Create(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			fw := w.(*fsWriter)
			for off, k := 0, 0; off < tc.size; k++ {
				n := min(tc.writeSizes[k%len(tc.writeSizes)], tc.size-off)
				if m, err := w.Write(want[off : off+n]); err != nil || m != n {
					t.Fatalf("write at %d: %d, %v", off, m, err)
				}
				off += n
				if tc.readBack {
					// The first bytes (long dropped from the cache), and the
					// last 5000 bytes written with a read past the end.
					head := make([]byte, min(off, 5000))
					if m, err := w.(io.ReaderAt).ReadAt(head, 0); m != len(head) || err != nil || !bytes.Equal(head, want[:m]) {
						t.Fatalf("ReadAt(0) mid-stream at %d: %d bytes, %v", off, m, err)
					}
					from := max(0, off-5000)
					got := make([]byte, off-from+10)
					m, err := w.(io.ReaderAt).ReadAt(got, int64(from))
					if m != off-from || err != io.EOF || !bytes.Equal(got[:m], want[from:off]) {
						t.Fatalf("ReadAt(%d) mid-stream at %d: %d bytes, %v", from, off, m, err)
					}
				}
			}
			if tc.size > pagecache.Lag+writebackChunk && tc.writeSizes[0] < tc.size && fw.trail.Dropped() == 0 {
				t.Errorf("a %d-byte stream dropped no pages", tc.size)
			}
			if tc.patchAt >= 0 {
				patch := []byte("0123456789")
				copy(want[tc.patchAt:], patch)
				if _, err := fw.WriteAt(patch, int64(tc.patchAt)); err != nil {
					t.Fatal(err)
				}
			}
			if tc.truncate >= 0 {
				want = append(want, make([]byte, tc.truncate-len(want))...)
				if err := fw.Truncate(int64(tc.truncate)); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Commit(); err != nil {
				t.Fatal(err)
			}
			p, _ := fs.Path(key)
			got, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("committed %d bytes, want %d (equal prefix: %d)", len(got), len(want), commonPrefix(got, want))
			}
		})
	}
}

func commonPrefix(a, b []byte) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

func TestAbortLeavesNothing(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	fs, _ := NewFS(root)
	w, _ := fs.Create(ctx, "k")
	w.Write(make([]byte, 3*writebackChunk+5))
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Stat(ctx, "k"); err != ErrNotFound {
		t.Fatalf("aborted blob visible: %v", err)
	}
	if left, _ := os.ReadDir(filepath.Join(root, ".tmp")); len(left) != 0 {
		t.Fatalf("%d temp files left after Abort", len(left))
	}
}
