package volstore

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stratus-iaas/stratus/internal/blob/blobtest"
)

const mib = 1 << 20

// pattern writes recognisable bytes at a few offsets of f.
func pattern(t *testing.T, f *os.File) map[int64][]byte {
	t.Helper()
	marks := map[int64][]byte{0: []byte("boot sector"), 5*mib + 17: bytes.Repeat([]byte{0xab}, 70000), 40*mib - 4: []byte("tail")}
	for off, b := range marks {
		if _, err := f.WriteAt(b, off); err != nil {
			t.Fatal(err)
		}
	}
	return marks
}

func readAll(t *testing.T, s Store, key string) []byte {
	t.Helper()
	r, err := s.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(io.NewSectionReader(r, 0, r.Size()))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func stores(t *testing.T) map[string]Store {
	l, err := NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewBlob(blobtest.Open(t), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return map[string]Store{"local": l, "blob": b}
}

func TestStoreLifecycle(t *testing.T) {
	ctx := context.Background()
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			if err := s.Create(ctx, "empty", 64*mib); err != nil {
				t.Fatal(err)
			}
			if b := readAll(t, s, "empty"); len(b) != 64*mib || !bytes.Equal(b, make([]byte, 64*mib)) {
				t.Fatalf("empty volume: %d bytes, not all zero", len(b))
			}
			var marks map[int64][]byte
			err := s.Fill(ctx, "vol", 40*mib, func(ctx context.Context, f *os.File) error {
				marks = pattern(t, f)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			want := readAll(t, s, "vol")
			for off, m := range marks {
				if !bytes.Equal(want[off:off+int64(len(m))], m) {
					t.Fatalf("mark at %d lost", off)
				}
			}
			var last, total int64
			if _, err := s.Copy(ctx, "vol", "snap", func(d, tot int64) { last, total = d, tot }); err != nil {
				t.Fatal(err)
			}
			if last != total || total == 0 {
				t.Errorf("progress ended at %d of %d", last, total)
			}
			if got := readAll(t, s, "snap"); !bytes.Equal(got, want) {
				t.Fatal("copy differs from its source")
			}
			if err := s.Resize(ctx, "vol", 48*mib); err != nil {
				t.Fatal(err)
			}
			grown := readAll(t, s, "vol")
			if len(grown) != 48*mib || !bytes.Equal(grown[:40*mib], want) || !bytes.Equal(grown[40*mib:], make([]byte, 8*mib)) {
				t.Fatal("resize changed the content or the size is wrong")
			}
			// A failed fill leaves the old bytes.
			boom := errors.New("boom")
			if err := s.Fill(ctx, "snap", 40*mib, func(context.Context, *os.File) error { return boom }); !errors.Is(err, boom) {
				t.Fatalf("fill error %v", err)
			}
			if got := readAll(t, s, "snap"); !bytes.Equal(got, want) {
				t.Fatal("a failed fill changed the key")
			}
			if err := s.Delete(ctx, "snap"); err != nil {
				t.Fatal(err)
			}
			if err := s.Delete(ctx, "snap"); err != nil {
				t.Fatal("second delete:", err)
			}
			if _, err := s.Open(ctx, "snap"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("open deleted: %v", err)
			}
			if _, err := s.Open(ctx, "../etc"); err == nil {
				t.Fatal("a key with a path was accepted")
			}
		})
	}
}

func TestSparseCopyKeepsHoles(t *testing.T) {
	dir := t.TempDir()
	src, err := os.Create(filepath.Join(dir, "src"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if err := src.Truncate(1 << 30); err != nil {
		t.Fatal(err)
	}
	src.WriteAt(bytes.Repeat([]byte{1}, mib), 512*mib)
	dst, err := os.Create(filepath.Join(dir, "dst"))
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	var total int64
	if err := SparseCopy(context.Background(), src, dst, 1<<30, func(d, tot int64) { total = tot }); err != nil {
		t.Fatal(err)
	}
	st, _ := dst.Stat()
	if st.Size() != 1<<30 {
		t.Fatalf("size %d", st.Size())
	}
	if a := allocated(st); a > 8*mib {
		t.Fatalf("copy of a 1 MiB-data file allocates %d bytes", a)
	}
	if total > 8*mib {
		t.Fatalf("progress total %d: holes were counted", total)
	}
	b := make([]byte, mib)
	dst.ReadAt(b, 512*mib)
	if !bytes.Equal(b, bytes.Repeat([]byte{1}, mib)) {
		t.Fatal("data not copied")
	}
}

func TestCopyCancelled(t *testing.T) {
	l, err := NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	l.Fill(ctx, "v", 64*mib, func(ctx context.Context, f *os.File) error {
		_, err := f.WriteAt(bytes.Repeat([]byte{7}, 64*mib), 0)
		return err
	})
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := l.Copy(cctx, "v", "w", nil); err == nil {
		// A filesystem with reflinks clones at once; nothing to cancel.
		if _, err := os.Stat(l.Path("w")); err != nil {
			t.Fatal(err)
		}
		return
	}
	if _, err := os.Stat(l.Path("w")); !os.IsNotExist(err) {
		t.Fatal("a cancelled copy left its destination")
	}
	left, _ := os.ReadDir(filepath.Join(l.dir, ".tmp"))
	if len(left) != 0 {
		t.Fatalf("temp files left: %d", len(left))
	}
}
