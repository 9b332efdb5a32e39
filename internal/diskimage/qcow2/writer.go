package qcow2

import (
	"encoding/binary"
	"io"

	"github.com/stratus-iaas/stratus/internal/diskimage"
	"github.com/stratus-iaas/stratus/internal/diskimage/convert/disk"
	"github.com/stratus-iaas/stratus/internal/pagecache"
)

// File is what the qcow2 writer needs from its destination.
type File interface {
	io.WriterAt
	Truncate(size int64) error
}

const (
	writeClusterBits = 16
	entryCopied      = 1 << 63
)

// Writer writes a qcow2 v3 image (64 KiB clusters, 16-bit refcounts) in one
// front-to-back pass: data clusters are appended as they come, each L2
// table right after the data it maps, and the L1 table, refcount blocks,
// refcount table and header at the end. Zero clusters stay unallocated,
// like qemu-img convert does.
type Writer struct {
	f        File
	size     int64
	compress bool
	cs       int64
	l1       []uint64
	l2       []uint64
	l2Idx    int
	l2Dirty  bool
	next     int64    // end of the used part of the file
	refs     []uint16 // refcount of each host cluster
	fileSize int64
	grown    int64 // current file size while writing
	defl     disk.DeflaterPool
	fd       uintptr // for trail; 0 when f has no descriptor
	trail    pagecache.Trail
}

// SyncEvery makes the writer fdatasync the output in the background each
// n bytes, for a caller that fsyncs it at the end (pagecache.Syncer).
func (w *Writer) SyncEvery(n int64) { w.trail.Sync.Every = n }

// WaitSync waits for a background fdatasync: before the file is closed
// when Close was not called (a failed conversion).
func (w *Writer) WaitSync() error { return w.trail.Sync.Wait() }

// NewWriter empties f and prepares a qcow2 image of size virtual bytes.
func NewWriter(f File, size int64, compress bool) (*Writer, error) {
	if err := f.Truncate(0); err != nil {
		return nil, ioErr("truncating output", err)
	}
	cs := int64(1) << writeClusterBits
	span := cs * (cs / 8)
	w := &Writer{f: f, size: size, compress: compress, cs: cs, l2Idx: -1, next: cs,
		trail: pagecache.Trail{Step: writebackStep}}
	w.l1 = make([]uint64, (size+span-1)/span)
	w.refs = []uint16{1} // the header cluster
	if fdf, ok := f.(interface{ Fd() uintptr }); ok {
		w.fd = fdf.Fd()
	}
	return w, nil
}

// growStep is how far ahead of the data the file is extended: writes
// inside the file cost far less than writes extending it one by one.
const growStep = 64 << 20

// writebackStep is how much appended output accumulates before its
// writeback is started.
const writebackStep = 4 << 20

// writeAt writes p at off, first growing the file (with a hole) past the
// write when needed; Close truncates it to its real size. The file is
// written front to back, so every writebackStep the kernel is asked to
// start writing what was appended (the final fsync is then short), and
// pages written back earlier are dropped: the output is not read back.
func (w *Writer) writeAt(p []byte, off int64) (int, error) {
	end := off + int64(len(p))
	if end > w.grown {
		if err := w.f.Truncate(end + growStep); err != nil {
			return 0, err
		}
		w.grown = end + growStep
	}
	n, err := w.f.WriteAt(p, off)
	if w.fd != 0 {
		w.trail.Wrote(w.fd, end)
	}
	return n, err
}

func ioErr(reason string, err error) error {
	return &diskimage.Error{Kind: diskimage.KindIO, Format: format, Reason: reason, Err: err}
}

type cluster struct {
	kind byte   // 0 zero, 1 raw, 2 compressed
	comp []byte // compressed bytes
}

// Encode classifies (and optionally compresses) each cluster of a chunk.
func (w *Writer) Encode(off int64, p []byte) (any, error) {
	n := (int64(len(p)) + w.cs - 1) / w.cs
	out := make([]cluster, n)
	var d *disk.Deflater
	for i := range out {
		c := p[int64(i)*w.cs : min(int64(i+1)*w.cs, int64(len(p)))]
		if disk.IsZero(c) {
			continue
		}
		out[i].kind = 1
		if !w.compress || disk.LooksRandom(c) {
			continue // stored uncompressed, as qemu does when compression does not help
		}
		if d == nil {
			d = w.defl.Get()
			defer w.defl.Put(d)
		}
		if int64(len(c)) < w.cs { // qemu compresses the zero-padded cluster
			full := make([]byte, w.cs)
			copy(full, c)
			c = full
		}
		b, err := d.Compress(c)
		if err != nil {
			return nil, err
		}
		if int64(len(b)) < w.cs {
			out[i] = cluster{kind: 2, comp: append([]byte(nil), b...)}
		}
	}
	return out, nil
}

func (w *Writer) ref(off, n int64) {
	for c := off / w.cs; c <= (off+n-1)/w.cs; c++ {
		for int64(len(w.refs)) <= c {
			w.refs = append(w.refs, 0)
		}
		w.refs[c]++
	}
}

func (w *Writer) align() { w.next = (w.next + w.cs - 1) / w.cs * w.cs }

func (w *Writer) setEntry(vc int64, e uint64) error {
	per := w.cs / 8
	if idx := int(vc / per); idx != w.l2Idx {
		if err := w.flushL2(); err != nil {
			return err
		}
		w.l2Idx = idx
		if w.l2 == nil {
			w.l2 = make([]uint64, per)
		}
		clear(w.l2)
	}
	w.l2[vc%per] = e
	w.l2Dirty = true
	return nil
}

func (w *Writer) flushL2() error {
	if !w.l2Dirty {
		return nil
	}
	w.align()
	buf := make([]byte, w.cs)
	for i, e := range w.l2 {
		binary.BigEndian.PutUint64(buf[i*8:], e)
	}
	if _, err := w.writeAt(buf, w.next); err != nil {
		return ioErr("writing L2 table", err)
	}
	w.l1[w.l2Idx] = uint64(w.next) | entryCopied
	w.ref(w.next, w.cs)
	w.next += w.cs
	w.l2Dirty = false
	return nil
}

// Commit appends the chunk's clusters and maps them.
func (w *Writer) Commit(off, n int64, p []byte, enc any) error {
	if p == nil {
		return nil
	}
	cl := enc.([]cluster)
	shift := 62 - (writeClusterBits - 8)
	for i := 0; i < len(cl); {
		vc := off/w.cs + int64(i)
		switch cl[i].kind {
		case 0:
			i++
		case 2:
			b := cl[i].comp
			extra := (w.next+int64(len(b))-1)>>9 - w.next>>9
			if _, err := w.writeAt(b, w.next); err != nil {
				return ioErr("writing compressed cluster", err)
			}
			at := w.next
			w.ref(at, int64(len(b)))
			w.next += int64(len(b))
			if err := w.setEntry(vc, entryCompressed|uint64(extra)<<shift|uint64(at)); err != nil {
				return err
			}
			i++
		default:
			j := i
			for j < len(cl) && cl[j].kind == 1 {
				j++
			}
			w.align()
			start := w.next
			data := p[int64(i)*w.cs : min(int64(j)*w.cs, int64(len(p)))]
			if _, err := w.writeAt(data, start); err != nil {
				return ioErr("writing data", err)
			}
			w.ref(start, int64(j-i)*w.cs)
			w.next = start + int64(j-i)*w.cs
			for k := i; k < j; k++ {
				if err := w.setEntry(off/w.cs+int64(k), uint64(start+int64(k-i)*w.cs)|entryCopied); err != nil {
					return err
				}
			}
			i = j
		}
	}
	return nil
}

// Close writes the last L2 table, the L1 table, the refcount structures
// and finally the header.
func (w *Writer) Close() error {
	err := w.close()
	if serr := w.trail.Sync.Wait(); err == nil && serr != nil {
		err = ioErr("syncing output", serr)
	}
	return err
}

func (w *Writer) close() error {
	if err := w.flushL2(); err != nil {
		return err
	}
	w.align()
	be := binary.BigEndian
	l1Off := w.next
	l1Bytes := int64(len(w.l1)) * 8
	if l1Bytes > 0 {
		buf := make([]byte, l1Bytes)
		for i, e := range w.l1 {
			be.PutUint64(buf[i*8:], e)
		}
		if _, err := w.writeAt(buf, l1Off); err != nil {
			return ioErr("writing L1 table", err)
		}
		w.ref(l1Off, l1Bytes)
		w.next += (l1Bytes + w.cs - 1) / w.cs * w.cs
	}
	c0 := w.next / w.cs
	perBlock := w.cs / 2 // 16-bit refcounts
	var nb, tc int64
	for {
		total := c0 + nb + tc
		nb2 := (total + perBlock - 1) / perBlock
		tc2 := (nb2*8 + w.cs - 1) / w.cs
		if nb2 == nb && tc2 == tc {
			break
		}
		nb, tc = nb2, tc2
	}
	w.ref(c0*w.cs, (nb+tc)*w.cs)
	for int64(len(w.refs)) < nb*perBlock {
		w.refs = append(w.refs, 0)
	}
	block := make([]byte, w.cs)
	table := make([]byte, tc*w.cs)
	for b := int64(0); b < nb; b++ {
		clear(block)
		for i, r := range w.refs[b*perBlock : (b+1)*perBlock] {
			be.PutUint16(block[i*2:], r)
		}
		at := (c0 + b) * w.cs
		if _, err := w.writeAt(block, at); err != nil {
			return ioErr("writing refcount block", err)
		}
		be.PutUint64(table[b*8:], uint64(at))
	}
	rtOff := (c0 + nb) * w.cs
	if _, err := w.writeAt(table, rtOff); err != nil {
		return ioErr("writing refcount table", err)
	}
	w.fileSize = rtOff + tc*w.cs
	h := make([]byte, w.cs)
	be.PutUint32(h[0:], magic)
	be.PutUint32(h[4:], 3)
	be.PutUint32(h[20:], writeClusterBits)
	be.PutUint64(h[24:], uint64(w.size))
	be.PutUint32(h[36:], uint32(len(w.l1)))
	be.PutUint64(h[40:], uint64(l1Off))
	be.PutUint64(h[48:], uint64(rtOff))
	be.PutUint32(h[56:], uint32(tc))
	be.PutUint32(h[96:], 4)    // refcount_order: 16 bits
	be.PutUint32(h[100:], 104) // header_length; an end-of-extensions marker (zeros) follows
	if _, err := w.writeAt(h, 0); err != nil {
		return ioErr("writing header", err)
	}
	if err := w.f.Truncate(w.fileSize); err != nil {
		return ioErr("truncating output", err)
	}
	return nil
}

// FileSize is the size of the finished image file.
func (w *Writer) FileSize() int64 { return w.fileSize }
