// Package disktest helps fuzz the format readers: a compact encoding of
// sparse files (so a fuzzer can mutate a multi-megabyte image through a
// few kilobytes of input) and a harness that drives a disk.Reader to the
// end while checking its invariants and bounding the work.
package disktest

import (
	"encoding/binary"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/diskimage"
	"github.com/stratus-iaas/stratus/internal/diskimage/convert/disk"
)

// Encoded form: u32 file size, then segments {u32 offset, u16 length,
// bytes}. Bytes outside every segment read as zeros.

type segment struct {
	off  int64
	data []byte
}

// File is a sparse in-memory file decoded from the encoded form.
type File struct {
	segs []segment
	size int64
}

// MaxFileSize caps the decoded file size.
const MaxFileSize = 1 << 30

// Decode builds a File from its encoded form (any bytes decode).
func Decode(b []byte) *File {
	f := &File{}
	if len(b) < 4 {
		return f
	}
	f.size = int64(binary.LittleEndian.Uint32(b)) % MaxFileSize
	b = b[4:]
	for len(b) >= 6 {
		off := int64(binary.LittleEndian.Uint32(b))
		n := int(binary.LittleEndian.Uint16(b[4:]))
		b = b[6:]
		n = min(n, len(b))
		if off < f.size {
			f.segs = append(f.segs, segment{off, b[:n]})
		}
		b = b[n:]
	}
	sort.SliceStable(f.segs, func(i, j int) bool { return f.segs[i].off < f.segs[j].off })
	return f
}

// Size is the file size.
func (f *File) Size() int64 { return f.size }

// ReadAt implements io.ReaderAt.
func (f *File) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if off >= f.size {
		return 0, io.EOF
	}
	n := len(p)
	var err error
	if int64(n) > f.size-off {
		n, err = int(f.size-off), io.EOF
	}
	clear(p[:n])
	for _, s := range f.segs {
		if s.off >= off+int64(n) {
			break
		}
		if e := s.off + int64(len(s.data)); e > off {
			lo := max(s.off, off)
			hi := min(e, off+int64(n))
			copy(p[lo-off:hi-off], s.data[lo-s.off:hi-s.off])
		}
	}
	return n, err
}

// Encode turns a real (small) image into the encoded form, keeping only
// its non-zero 512-byte sectors.
func Encode(img []byte) []byte {
	out := binary.LittleEndian.AppendUint32(nil, uint32(len(img)))
	for s := 0; s < len(img); {
		if disk.IsZero(img[s:min(s+512, len(img))]) {
			s += 512
			continue
		}
		e := s
		for e < len(img) && e-s < 60000 && !disk.IsZero(img[e:min(e+512, len(img))]) {
			e = min(e+512, len(img))
		}
		out = binary.LittleEndian.AppendUint32(out, uint32(s))
		out = binary.LittleEndian.AppendUint16(out, uint16(e-s))
		out = append(out, img[s:e]...)
		s = e
	}
	return out
}

// QemuSeed makes an image with qemu-img convert from a small pattern and
// returns it encoded, or nil when qemu-img is missing or fails.
func QemuSeed(tb testing.TB, args ...string) []byte {
	bin, err := exec.LookPath("qemu-img")
	if err != nil {
		bin = "/usr/bin/qemu-img"
	}
	dir := tb.TempDir()
	base := filepath.Join(dir, "base.raw")
	b := make([]byte, 1<<20+3*512)
	for i := range 3000 {
		b[i] = byte(i * 7 / 3)
	}
	copy(b[600000:], "some text in the middle of the disk")
	b[len(b)-1] = 1
	if err := os.WriteFile(base, b, 0o644); err != nil {
		return nil
	}
	out := filepath.Join(dir, "img")
	cmd := exec.Command(bin, append(append([]string{"convert", "-f", "raw"}, args...), base, out)...)
	if cmd.Run() != nil {
		return nil
	}
	img, err := os.ReadFile(out)
	if err != nil {
		return nil
	}
	return Encode(img)
}

// Limits of Drive.
const (
	MaxExtents   = 200000
	MaxFetched   = 64 << 20
	MaxAllocated = 512 << 20
)

// Drive reads every extent of rd (as the pipeline would), fetching data
// extents, and fails t on a broken invariant or runaway allocation. Errors
// returned by the reader must be diskimage errors.
func Drive(t *testing.T, rd disk.Reader, err error) {
	defer Watchdog()()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	defer func() {
		runtime.ReadMemStats(&ms)
		if a := ms.TotalAlloc - before; a > MaxAllocated {
			t.Fatalf("reader allocated %d bytes", a)
		}
	}()
	if err != nil {
		checkErr(t, err)
		return
	}
	size := rd.Size()
	if size < 0 {
		t.Fatalf("negative size %d", size)
	}
	var pos, fetched int64
	buf := make([]byte, disk.ChunkSize)
	for i := 0; i < MaxExtents; i++ {
		x, err := rd.Next()
		if err == io.EOF {
			if pos != size {
				t.Fatalf("extents end at %d, size %d", pos, size)
			}
			return
		}
		if err != nil {
			checkErr(t, err)
			return
		}
		if x.Off != pos || x.Len <= 0 || x.Off+x.Len > size {
			t.Fatalf("extent [%d,+%d) at pos %d size %d", x.Off, x.Len, pos, size)
		}
		if x.Kind == disk.Data {
			if x.Off/disk.ChunkSize != (x.Off+x.Len-1)/disk.ChunkSize {
				t.Fatalf("data extent [%d,+%d) crosses a chunk", x.Off, x.Len)
			}
			if fetched < MaxFetched {
				if err := x.Fetch(buf[:x.Len], "test"); err != nil {
					checkErr(t, err)
				}
				fetched += x.Len
			}
		}
		pos += x.Len
	}
}

func checkErr(t *testing.T, err error) {
	var e *diskimage.Error
	if !errors.As(err, &e) {
		t.Fatalf("error is not a diskimage.Error: %v", err)
	}
}

// Watchdog crashes the process (so the fuzzer records the input) when the
// work of one input takes more than 10 seconds; call the result to stop it.
func Watchdog() func() {
	tm := time.AfterFunc(10*time.Second, func() {
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		os.Stderr.Write(buf[:n])
		panic("disktest: input took more than 10s")
	})
	return func() { tm.Stop() }
}
