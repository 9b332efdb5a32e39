package blob

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// directSupported reports whether dir's filesystem accepts O_DIRECT.
func directSupported(t *testing.T, dir string) bool {
	p := filepath.Join(dir, "probe")
	os.WriteFile(p, nil, 0o600)
	defer os.Remove(p)
	f, err := openDirect(p)
	if err != nil {
		return false
	}
	f.Close()
	return true
}

// TestDirectStreams writes streams of several shapes (write sizes that
// keep the stream unaligned, chunk-sized writes, one huge write, reads
// back mid-stream, random writes after the switch) and checks the
// committed bytes, and that long streams really went O_DIRECT.
func TestDirectStreams(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	fs, err := NewFS(root)
	if err != nil {
		t.Fatal(err)
	}
	canDirect := directSupported(t, root)
	cases := []struct {
		name       string
		size       int
		writeSizes []int // cycled
		readBack   bool  // ReadAt probes during the stream
		patchAt    int   // WriteAt of 10 bytes here after the stream (-1: none)
		truncate   int   // Truncate to this size at the end (-1: none)
		wantDirect bool
	}{
		{"small", 1000, []int{100}, false, -1, -1, false},
		{"exactly switch point", directAfter, []int{4096}, false, -1, -1, false},
		{"odd writes", 3*directChunk + 12345, []int{7, 4093, 65537, 1 << 20}, false, -1, -1, true},
		{"chunk writes", 4 * directChunk, []int{directChunk}, false, -1, -1, true},
		{"one huge write", 5*directChunk + 1, []int{5*directChunk + 1}, false, -1, -1, false},
		{"huge after switch", 7*directChunk + 3, []int{directAfter + 5, 6 * directChunk}, false, -1, -1, true},
		{"read back", 2*directChunk + 999, []int{300007}, true, -1, -1, true},
		{"patch after", 3 * directChunk, []int{512 << 10}, false, 5, -1, true},
		{"truncate after", 3*directChunk + 17, []int{512 << 10}, false, -1, 8 << 20, true},
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
			sawDirect := false
			for off, k := 0, 0; off < tc.size; k++ {
				n := min(tc.writeSizes[k%len(tc.writeSizes)], tc.size-off)
				if m, err := w.Write(want[off : off+n]); err != nil || m != n {
					t.Fatalf("write at %d: %d, %v", off, m, err)
				}
				off += n
				sawDirect = sawDirect || fw.d != nil
				if tc.readBack {
					// The last 5000 bytes written, and a read past the end.
					from := max(0, off-5000)
					got := make([]byte, off-from+10)
					m, err := w.(io.ReaderAt).ReadAt(got, int64(from))
					if m != off-from || err != io.EOF || !bytes.Equal(got[:m], want[from:off]) {
						t.Fatalf("ReadAt(%d) mid-stream at %d: %d bytes, %v", from, off, m, err)
					}
				}
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
			if canDirect && sawDirect != tc.wantDirect {
				t.Errorf("direct mode used = %v, want %v", sawDirect, tc.wantDirect)
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
	if !canDirect {
		t.Logf("O_DIRECT unsupported under %s on %s: checked the buffered fallback only", root, runtime.GOOS)
	}
}

func commonPrefix(a, b []byte) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

func TestDirectAbortLeavesNothing(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	fs, _ := NewFS(root)
	w, _ := fs.Create(ctx, "k")
	w.Write(make([]byte, 3*directChunk+5))
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
