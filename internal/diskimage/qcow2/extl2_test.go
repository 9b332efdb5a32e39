package qcow2

import (
	"bytes"
	"encoding/binary"
	"io"
	"strings"
	"testing"

	"github.com/stratus-iaas/stratus/internal/diskimage"
	"github.com/stratus-iaas/stratus/internal/diskimage/convert/disk"
)

// extImage lays out a v3 image with extended L2 entries and 16 KiB
// clusters (512-byte subclusters): header, L1 table (cluster 1), one L2
// table (cluster 2) holding entries (descriptor, bitmap pairs), then
// data clusters up to fileSize.
func extImage(size uint64, fileSize int, entries ...uint64) []byte {
	const cs = 16 << 10
	b := make([]byte, max(fileSize, 3*cs))
	be := binary.BigEndian
	be.PutUint32(b, magic)
	be.PutUint32(b[4:], 3)
	be.PutUint32(b[20:], 14)
	be.PutUint64(b[24:], size)
	be.PutUint32(b[36:], 1)
	be.PutUint64(b[40:], cs)
	be.PutUint64(b[72:], incExtendedL2)
	be.PutUint32(b[96:], 4)
	be.PutUint32(b[100:], 104)
	be.PutUint64(b[cs:], 2*cs)
	for i, e := range entries {
		be.PutUint64(b[2*cs+8*i:], e)
	}
	return b
}

const (
	c3 = 3 << 14 // host offsets of data clusters
	c4 = 4 << 14
)

func allocated(sc ...int) uint64 {
	var m uint64
	for _, i := range sc {
		m |= 1 << i
	}
	return m
}

func zeroed(sc ...int) uint64 { return allocated(sc...) << 32 }

type ext struct {
	off, len int64
	kind     disk.Kind
	src      int64 // SrcOff of data extents
}

func TestExtendedL2(t *testing.T) {
	const size = 2*16<<10 + 1000 // a partial third cluster
	file := 5 << 14
	cases := []struct {
		name  string
		img   []byte
		want  []ext
		fault string // substring of a KindCorrupt error
	}{
		{"data, zero and unallocated subclusters",
			extImage(size, file, c3, allocated(0, 1, 2, 3, 8)|zeroed(4, 5)),
			[]ext{{0, 2048, disk.Data, c3}, {2048, 1024, disk.Zero, 0}, {3072, 1024, disk.Hole, 0},
				{4096, 512, disk.Data, c3 + 4096}, {4608, size - 4608, disk.Hole, 0}}, ""},
		{"whole clusters merge when contiguous",
			extImage(size, file+16<<10, c3, allocated()|1<<32-1, c4, allocated()|1<<32-1, c4+16<<10, allocated(0, 1)),
			[]ext{{0, size, disk.Data, c3}}, ""},
		{"subclusters read as zeros without a host cluster",
			extImage(size, file, 0, zeroed(1, 31), 0, 0, 0, zeroed(0)),
			[]ext{{0, 512, disk.Hole, 0}, {512, 512, disk.Zero, 0}, {1024, 16<<10 - 1536, disk.Hole, 0},
				{16<<10 - 512, 512, disk.Zero, 0}, {16 << 10, 16 << 10, disk.Hole, 0}, {32 << 10, 512, disk.Zero, 0},
				{32<<10 + 512, 488, disk.Hole, 0}}, ""},
		{"zero flag of standard entries ignored",
			extImage(size, file, c3|1, allocated(0), 1, 0),
			[]ext{{0, 512, disk.Data, c3}, {512, size - 512, disk.Hole, 0}}, ""},
		{"last partial cluster reads to the virtual size",
			extImage(size, file, 0, 0, 0, 0, c4, allocated(0, 1, 2)),
			[]ext{{0, 32 << 10, disk.Hole, 0}, {32 << 10, 1000, disk.Data, c4}}, ""},
		{"allocated and reading as zeros",
			extImage(size, file, c3, allocated(0, 7)|zeroed(7)), nil, "both allocated and reading as zeros"},
		{"allocated without a host cluster",
			extImage(size, file, 0, allocated(3)), nil, "unallocated cluster at guest offset 0 has allocated subclusters"},
		{"compressed cluster with a bitmap",
			extImage(size, file, 0, 0, entryCompressed|c3, zeroed(0)), nil, "compressed cluster at guest offset 16384 has a subcluster bitmap"},
		{"misaligned host cluster",
			extImage(size, file, c3+512, zeroed(0)), nil, "misaligned"},
		{"data subclusters past the end of the file",
			extImage(size, file, 5<<14, allocated(0)), nil, "outside the file"},
		{"clusters of 8 KiB",
			putBE32(extImage(size, file), 20, 13), nil, "cluster_bits 13 below 14"},
		{"L1 table too small for 16-byte entries", // one 16 KiB table maps 16 MiB, not 32
			extImage(32<<20, file), nil, "L1 table too small"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readExtents(tc.img)
			if tc.fault != "" {
				if err == nil || diskimage.KindOf(err) != diskimage.KindCorrupt || !strings.Contains(err.Error(), tc.fault) {
					t.Fatalf("got %v, %v; want a corrupt error naming %q", got, err, tc.fault)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("extents %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("extent %d is %v, want %v (all: %v)", i, got[i], tc.want[i], got)
				}
			}
		})
	}
}

func readExtents(img []byte) ([]ext, error) {
	r, err := NewReader(bytes.NewReader(img), int64(len(img)))
	if err != nil {
		return nil, err
	}
	var out []ext
	for {
		x, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		e := ext{x.Off, x.Len, x.Kind, 0}
		if x.Kind == disk.Data {
			e.src = x.SrcOff
		}
		out = append(out, e)
	}
}

func putBE32(b []byte, off int, v uint32) []byte {
	binary.BigEndian.PutUint32(b[off:], v)
	return b
}
