package convert

import (
	"bytes"
	"context"
	"io"
	"math/rand"
	"testing"

	"github.com/stratus-iaas/stratus/internal/diskimage/convert/disk"
)

// fakeReader yields a fixed extent list; data extents fill with a pattern
// derived from the offset.
type fakeReader struct {
	size int64
	xs   []disk.Extent
}

func (f *fakeReader) Size() int64 { return f.size }
func (f *fakeReader) Next() (disk.Extent, error) {
	if len(f.xs) == 0 {
		return disk.Extent{}, io.EOF
	}
	x := f.xs[0]
	f.xs = f.xs[1:]
	return x, nil
}

func pattern(off int64, b []byte) {
	for i := range b {
		b[i] = byte((off+int64(i))*131>>3) | 1
	}
}

// memWriter records what the pipeline commits, checking order.
type memWriter struct {
	t    *testing.T
	img  []byte
	next int64
}

func (m *memWriter) Encode(off int64, p []byte) (any, error) { return len(p), nil }
func (m *memWriter) Commit(off, n int64, p []byte, enc any) error {
	if off != m.next {
		m.t.Fatalf("commit at %d, want %d", off, m.next)
	}
	if p != nil {
		if int64(len(p)) != n || enc.(int) != len(p) {
			m.t.Fatalf("commit of %d bytes with a %d-byte buffer", n, len(p))
		}
		copy(m.img[off:], p)
	}
	m.next = off + n
	return nil
}
func (m *memWriter) Close() error { return nil }

// TestPipelineRandomExtents drives the pipeline with random extent
// layouts (holes spanning many chunks, data split at chunk boundaries,
// odd sizes) and checks every byte arrives, in order.
func TestPipelineRandomExtents(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	for iter := 0; iter < 200; iter++ {
		size := int64(1 + rng.Intn(7*disk.ChunkSize+12345))
		want := make([]byte, size)
		var xs []disk.Extent
		for off := int64(0); off < size; {
			end := min(off+int64(1+rng.Intn(3*disk.ChunkSize)), size)
			switch rng.Intn(3) {
			case 0:
				for o := off; o < end; {
					e := disk.ChunkEnd(o, end)
					o0 := o
					xs = append(xs, disk.Extent{Off: o, Len: e - o, Kind: disk.Data, Load: func(b []byte) error {
						pattern(o0, b)
						return nil
					}})
					pattern(o, want[o:e])
					o = e
				}
			case 1:
				xs = append(xs, disk.Extent{Off: off, Len: end - off, Kind: disk.Zero})
			default:
				xs = append(xs, disk.Extent{Off: off, Len: end - off, Kind: disk.Hole})
			}
			off = end
		}
		mw := &memWriter{t: t, img: make([]byte, size)}
		pl := &pipeline{rd: &fakeReader{size: size, xs: xs}, wr: mw, format: "test", workers: 1 + rng.Intn(4)}
		if err := pl.run(context.Background()); err != nil {
			t.Fatal(err)
		}
		if mw.next != size || !bytes.Equal(mw.img, want) {
			t.Fatalf("iteration %d: image differs (committed up to %d of %d)", iter, mw.next, size)
		}
	}
}

func TestPipelineRejectsBadExtents(t *testing.T) {
	for name, xs := range map[string][]disk.Extent{
		"gap":          {{Off: 0, Len: 10, Kind: disk.Hole}, {Off: 20, Len: 80, Kind: disk.Hole}},
		"short":        {{Off: 0, Len: 10, Kind: disk.Hole}},
		"long":         {{Off: 0, Len: 200, Kind: disk.Hole}},
		"cross-chunk":  {{Off: 0, Len: 100, Kind: disk.Data, Load: func([]byte) error { return nil }}},
		"extra-extent": {{Off: 0, Len: 100, Kind: disk.Hole}, {Off: 100, Len: 1, Kind: disk.Hole}},
	} {
		size := int64(100)
		if name == "cross-chunk" {
			xs[0].Off, xs[0].Len, size = disk.ChunkSize-50, 100, disk.ChunkSize+50
			xs = append([]disk.Extent{{Off: 0, Len: disk.ChunkSize - 50, Kind: disk.Hole}}, xs...)
		}
		mw := &memWriter{t: t, img: make([]byte, size)}
		pl := &pipeline{rd: &fakeReader{size: size, xs: xs}, wr: mw, format: "test", workers: 2}
		if err := pl.run(context.Background()); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestNonZeroRuns(t *testing.T) {
	p := make([]byte, 5*4096+100)
	p[1] = 1
	p[4096*2+5] = 1
	p[4096*3] = 1
	p[len(p)-1] = 1
	got := disk.NonZeroRuns(p, 4096)
	want := [][2]int{{0, 4096}, {8192, 16384}, {20480, len(p)}}
	if len(got) != len(want) {
		t.Fatalf("runs %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("runs %v, want %v", got, want)
		}
	}
}
