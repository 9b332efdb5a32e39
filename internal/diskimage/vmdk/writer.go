package vmdk

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"

	"github.com/stratus-iaas/stratus/internal/diskimage"
	"github.com/stratus-iaas/stratus/internal/diskimage/convert/disk"
)

const (
	writeGrain    = 128 // sectors: 64 KiB grains, like qemu-img and VMware
	writeDescSec  = 20
	writeOverhead = 128 // sectors before the first grain
)

// StreamWriter writes a streamOptimized image strictly front to back (it
// needs only an io.Writer): header, descriptor, then deflated grains with
// markers, each grain table after its grains, the grain directory, the
// footer and the end-of-stream marker. All-zero grains are left out.
type StreamWriter struct {
	w       *bufio.Writer
	h       Header
	name    string
	pos     int64 // bytes written
	gt      []uint32
	gtIdx   int
	gtDirty bool
	gd      []uint32
	defl    disk.DeflaterPool
	store   disk.DeflaterPool
	err     error
}

type grain struct {
	lba  uint64
	comp []byte
}

// NewStreamWriter writes the header and descriptor of an image of size
// bytes (rounded up to sectors). name is the extent file name recorded in
// the descriptor.
func NewStreamWriter(w io.Writer, size int64, name string) (*StreamWriter, error) {
	if name == "" {
		name = "disk.vmdk"
	}
	name = strings.NewReplacer(`"`, "_", "\n", "_", "\r", "_").Replace(name)
	capSec := uint64(size+sector-1) / sector
	sw := &StreamWriter{w: bufio.NewWriterSize(w, 1<<20), name: name, gtIdx: -1}
	sw.defl.Zlib = true
	sw.store.Zlib, sw.store.Level = true, disk.StoreLevel
	sw.h = Header{Version: 3, Flags: flagNewline | flagCompress | flagMarkers, Capacity: capSec,
		GrainSize: writeGrain, DescOffset: 1, DescSize: writeDescSec, GTEsPerGT: maxGTEs,
		GDOffset: gdAtEnd, OverHead: writeOverhead, CompressAlgo: 1}
	span := uint64(writeGrain * maxGTEs)
	sw.gd = make([]uint32, (capSec+span-1)/span)
	sw.gt = make([]uint32, maxGTEs)
	head := make([]byte, writeOverhead*sector)
	putHeader(head, &sw.h)
	desc := sw.descriptor()
	if len(desc) > writeDescSec*sector {
		return nil, diskimage.Errorf(diskimage.KindUnsupported, format, "descriptor too long")
	}
	copy(head[sector:], desc)
	sw.write(head)
	return sw, sw.err
}

func (sw *StreamWriter) descriptor() string {
	capSec := sw.h.Capacity
	cyl := min(capSec/(16*63), 16383)
	return fmt.Sprintf("# Disk DescriptorFile\nversion=1\nCID=%08x\nparentCID=ffffffff\n"+
		"createType=\"streamOptimized\"\n\n# Extent description\nRW %d SPARSE \"%s\"\n\n"+
		"# The Disk Data Base\n#DDB\n\nddb.virtualHWVersion = \"4\"\nddb.geometry.cylinders = \"%d\"\n"+
		"ddb.geometry.heads = \"16\"\nddb.geometry.sectors = \"63\"\nddb.adapterType = \"ide\"\n",
		rand.Uint32(), capSec, sw.name, cyl)
}

func (sw *StreamWriter) write(b []byte) {
	if sw.err != nil {
		return
	}
	n, err := sw.w.Write(b)
	sw.pos += int64(n)
	if err != nil {
		sw.err = &diskimage.Error{Kind: diskimage.KindIO, Format: format, Reason: "writing output", Err: err}
	}
}

var pad [sector]byte

func (sw *StreamWriter) padSector() {
	if r := sw.pos % sector; r != 0 {
		sw.write(pad[:sector-r])
	}
}

// Encode deflates (zlib) the non-zero grains of a chunk; a short last
// grain is padded with zeros, as readers expect whole grains.
func (sw *StreamWriter) Encode(off int64, p []byte) (any, error) {
	gb := int64(writeGrain * sector)
	var out []grain
	var d *disk.Deflater
	var store *disk.Deflater // grains that do not compress are stored
	for s := int64(0); s < int64(len(p)); s += gb {
		g := p[s:min(s+gb, int64(len(p)))]
		if disk.IsZero(g) {
			continue
		}
		if d == nil {
			d = sw.defl.Get()
			defer sw.defl.Put(d)
		}
		if int64(len(g)) < gb {
			full := make([]byte, gb)
			copy(full, g)
			g = full
		}
		dd := d
		if disk.LooksRandom(g) {
			if store == nil {
				store = sw.store.Get()
				defer sw.store.Put(store)
			}
			dd = store
		}
		c, err := dd.Compress(g)
		if err != nil {
			return nil, err
		}
		out = append(out, grain{lba: uint64(off+s) / sector, comp: append([]byte(nil), c...)})
	}
	return out, nil
}

// Commit appends the chunk's grains with their markers.
func (sw *StreamWriter) Commit(off, n int64, p []byte, enc any) error {
	if p == nil {
		return sw.err
	}
	le := binary.LittleEndian
	var mk [12]byte
	for _, g := range enc.([]grain) {
		gi := g.lba / writeGrain
		if idx := int(gi / maxGTEs); idx != sw.gtIdx {
			sw.flushGT()
			sw.gtIdx = idx
		}
		sw.gt[gi%maxGTEs] = uint32(sw.pos / sector)
		sw.gtDirty = true
		le.PutUint64(mk[0:], g.lba)
		le.PutUint32(mk[8:], uint32(len(g.comp)))
		sw.write(mk[:])
		sw.write(g.comp)
		sw.padSector()
	}
	return sw.err
}

func (sw *StreamWriter) marker(sectors uint64, typ uint32) {
	var m [sector]byte
	binary.LittleEndian.PutUint64(m[0:], sectors)
	binary.LittleEndian.PutUint32(m[12:], typ)
	sw.write(m[:])
}

func (sw *StreamWriter) flushGT() {
	if !sw.gtDirty {
		return
	}
	sw.marker(maxGTEs*4/sector, markerGT)
	sw.gd[sw.gtIdx] = uint32(sw.pos / sector)
	b := make([]byte, maxGTEs*4)
	for i, e := range sw.gt {
		binary.LittleEndian.PutUint32(b[i*4:], e)
	}
	sw.write(b)
	clear(sw.gt)
	sw.gtDirty = false
}

// Close writes the last grain table, the grain directory, the footer and
// the end-of-stream marker, and flushes.
func (sw *StreamWriter) Close() error {
	sw.flushGT()
	gdSec := (uint64(len(sw.gd))*4 + sector - 1) / sector
	sw.marker(gdSec, markerGD)
	gdAt := uint64(sw.pos / sector)
	b := make([]byte, gdSec*sector)
	for i, e := range sw.gd {
		binary.LittleEndian.PutUint32(b[i*4:], e)
	}
	sw.write(b)
	sw.marker(1, markerFooter)
	foot := sw.h
	foot.GDOffset = gdAt
	fb := make([]byte, sector)
	putHeader(fb, &foot)
	sw.write(fb)
	sw.marker(0, markerEOS)
	if sw.err == nil {
		if err := sw.w.Flush(); err != nil {
			sw.err = &diskimage.Error{Kind: diskimage.KindIO, Format: format, Reason: "writing output", Err: err}
		}
	}
	return sw.err
}
