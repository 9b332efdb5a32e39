package blobtest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/stratus-iaas/stratus/internal/blob"
)

// Conformance checks the blob.Store contract on stores made by open (each
// call an empty store): visibility only at Commit, atomic replacement,
// Abort, reads at offsets and by stream, ranges, staged random-access
// writes, listing by prefix, copies and key validation. big is the size
// of the large streams (past a multipart upload's part size on S3).
func Conformance(t *testing.T, open func(t *testing.T) blob.Store, big int) {
	ctx := context.Background()
	t.Run("lifecycle", func(t *testing.T) {
		s := open(t)
		if _, err := s.Open(ctx, "a/b"); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("open missing: %v", err)
		}
		if _, err := s.Stat(ctx, "a/b"); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("stat missing: %v", err)
		}
		put(t, s, "a/b", []byte("first"))
		w, err := s.Create(ctx, "a/b")
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, "second value")
		if got := get(t, s, "a/b"); string(got) != "first" {
			t.Fatalf("before Commit: %q", got)
		}
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := w.Commit(); err == nil {
			t.Fatal("second Commit succeeded")
		}
		if err := w.Abort(); err != nil {
			t.Fatalf("Abort after Commit: %v", err)
		}
		if got := get(t, s, "a/b"); string(got) != "second value" {
			t.Fatalf("after Commit: %q", got)
		}
		if n, err := s.Stat(ctx, "a/b"); err != nil || n != 12 {
			t.Fatalf("stat: %d %v", n, err)
		}
		w, _ = s.Create(ctx, "a/b")
		io.WriteString(w, "aborted")
		if err := w.Abort(); err != nil {
			t.Fatal(err)
		}
		if got := get(t, s, "a/b"); string(got) != "second value" {
			t.Fatalf("after Abort: %q", got)
		}
		if err := s.Delete(ctx, "a/b"); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, "a/b"); err != nil {
			t.Fatalf("delete missing: %v", err)
		}
		if _, err := s.Stat(ctx, "a/b"); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("after delete: %v", err)
		}
		put(t, s, "empty", nil)
		if got := get(t, s, "empty"); len(got) != 0 {
			t.Fatalf("empty: %q", got)
		}
	})
	t.Run("invalid keys", func(t *testing.T) {
		s := open(t)
		for _, k := range []string{"", "/abs", "a//b", "a/../b", ".tmp/x", "a/./b"} {
			if _, err := s.Create(ctx, k); err == nil {
				t.Errorf("Create(%q) accepted", k)
			}
			if _, err := s.Open(ctx, k); err == nil || errors.Is(err, blob.ErrNotFound) {
				t.Errorf("Open(%q): %v", k, err)
			}
		}
	})
	t.Run("large streams", func(t *testing.T) {
		s := open(t)
		want := random(big, 1)
		for _, tc := range []struct {
			name  string
			sized bool
			sizes []int
		}{{"unsized odd writes", false, []int{7, 4093, 65537, 1 << 20}}, {"sized one write", true, []int{big}}} {
			var w blob.Writer
			var err error
			if tc.sized {
				w, err = blob.CreateSized(ctx, s, "big/"+tc.name, int64(big))
			} else {
				w, err = s.Create(ctx, "big/"+tc.name)
			}
			if err != nil {
				t.Fatal(err)
			}
			for off, k := 0, 0; off < big; k++ {
				n := min(tc.sizes[k%len(tc.sizes)], big-off)
				if m, err := w.Write(want[off : off+n]); err != nil || m != n {
					t.Fatalf("%s: write at %d: %d %v", tc.name, off, m, err)
				}
				off += n
			}
			if err := w.Commit(); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if got := get(t, s, "big/"+tc.name); !bytes.Equal(got, want) {
				t.Fatalf("%s: read back %d bytes, differ", tc.name, len(got))
			}
		}
		// Reads at offsets, by stream after Seek, and by range.
		r, err := s.Open(ctx, "big/unsized odd writes")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if r.Size() != int64(big) {
			t.Fatalf("size %d", r.Size())
		}
		for _, off := range []int{0, 1, big / 3, big - 10} {
			b := make([]byte, 100)
			n, err := r.ReadAt(b, int64(off))
			want100 := want[off:min(off+100, big)]
			if n != len(want100) || !bytes.Equal(b[:n], want100) || (n < 100 && err != io.EOF) || (n == 100 && err != nil) {
				t.Fatalf("ReadAt %d: %d %v", off, n, err)
			}
		}
		if _, err := r.Seek(int64(big/2), io.SeekStart); err != nil {
			t.Fatal(err)
		}
		rest, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(rest, want[big/2:]) {
			t.Fatalf("read after seek: %d bytes, %v", len(rest), err)
		}
		sec, err := blob.Section(r, 12345, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		part, err := io.ReadAll(sec)
		sec.Close()
		if err != nil || !bytes.Equal(part, want[12345:12345+1<<20]) {
			t.Fatalf("section: %d bytes, %v", len(part), err)
		}
	})
	t.Run("staged", func(t *testing.T) {
		s := open(t)
		w, err := s.Stage(ctx, "vol/x")
		if err != nil {
			t.Fatal(err)
		}
		want := make([]byte, big+4096)
		blocks := random(big, 2)
		// Write blocks back to front, read one back, leave a sparse tail.
		const bs = 1 << 20
		for off := (big - 1) / bs * bs; off >= 0; off -= bs {
			end := min(off+bs, big)
			if _, err := w.WriteAt(blocks[off:end], int64(off)); err != nil {
				t.Fatal(err)
			}
			copy(want[off:end], blocks[off:end])
		}
		b := make([]byte, 10)
		if _, err := w.ReadAt(b, 5); err != nil || !bytes.Equal(b, want[5:15]) {
			t.Fatalf("ReadAt staged: %v", err)
		}
		if err := w.Truncate(int64(len(want))); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Stat(ctx, "vol/x"); !errors.Is(err, blob.ErrNotFound) {
			t.Fatal("staged bytes visible before Commit")
		}
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
		if got := get(t, s, "vol/x"); !bytes.Equal(got, want) {
			t.Fatalf("staged read back %d bytes, differ", len(got))
		}
		a, _ := s.Stage(ctx, "vol/y")
		a.Write([]byte("x"))
		if err := a.Abort(); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Stat(ctx, "vol/y"); !errors.Is(err, blob.ErrNotFound) {
			t.Fatal("aborted stage visible")
		}
	})
	t.Run("list and copy", func(t *testing.T) {
		s := open(t)
		keys := []string{"swift/20260101/1200/a", "swift/20260101/1300/b", "swift/20260102/0000/c", "images/x", "swiftly"}
		for i, k := range keys {
			put(t, s, k, bytes.Repeat([]byte{'k'}, i+1))
		}
		for _, tc := range []struct {
			prefix string
			want   []string
		}{
			{"swift/", keys[:3]},
			{"swift/20260101/1", keys[:2]},
			{"swift", []string{keys[0], keys[1], keys[2], "swiftly"}},
			{"", []string{"images/x", keys[0], keys[1], keys[2], "swiftly"}},
			{"nothing/", nil},
		} {
			var got []string
			err := s.List(ctx, tc.prefix, func(i blob.Info) error {
				got = append(got, i.Key)
				if i.ModTime.IsZero() || i.Size < 1 {
					t.Errorf("%s: info %+v", i.Key, i)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			sort.Strings(got)
			want := append([]string(nil), tc.want...)
			sort.Strings(want)
			if len(got) != len(want) || (len(got) > 0 && !equal(got, want)) {
				t.Errorf("List(%q) = %v, want %v", tc.prefix, got, want)
			}
		}
		stop := errors.New("stop")
		n := 0
		if err := s.List(ctx, "swift/", func(blob.Info) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
			t.Fatalf("List stop: %v after %d", err, n)
		}
		if err := blob.Copy(ctx, s, "images/x", "images/copy"); err != nil {
			t.Fatal(err)
		}
		if got := get(t, s, "images/copy"); string(got) != "kkkk" {
			t.Fatalf("copy: %q", got)
		}
		if err := blob.Copy(ctx, s, "images/missing", "images/copy2"); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("copy missing: %v", err)
		}
	})
}

func equal(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func random(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, 7))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func put(t *testing.T, s blob.Store, key string, b []byte) {
	t.Helper()
	w, err := s.Create(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, s blob.Store, key string) []byte {
	t.Helper()
	r, err := s.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("open %s: %v", key, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return b
}
