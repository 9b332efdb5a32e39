package disk

import (
	"bytes"
	"errors"
	"io"
	"sync"

	"github.com/klauspost/compress"
	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"

	"github.com/stratus-iaas/stratus/internal/diskimage/convert/disk/inflate"
)

// Decompressors are pooled: each worker reuses one, so steady-state
// decompression does not allocate.

var (
	inflatePool = make(chan *inflate.Decoder, 32)
	zstdPool    = make(chan *zstd.Decoder, 32)
	bytesPool   sync.Pool // *bytes.Reader
)

// Decoder pools are channels, not sync.Pools: a sync.Pool is emptied at
// every GC and the decoders' tables would be reallocated each time.
func putInflate(d *inflate.Decoder) {
	select {
	case inflatePool <- d:
	default:
	}
}

func putZstd(d *zstd.Decoder) {
	select {
	case zstdPool <- d:
	default:
		d.Close()
	}
}

func bytesReader(src []byte) *bytes.Reader {
	if br, ok := bytesPool.Get().(*bytes.Reader); ok {
		br.Reset(src)
		return br
	}
	return bytes.NewReader(src)
}

// fill reads exactly len(dst) bytes from r; a stream that ends early or
// fails is reported as errShort / the decoder error.
func fill(r io.Reader, dst []byte) error {
	_, err := io.ReadFull(r, dst)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errShort
	}
	return err
}

var errShort = errors.New("compressed data decodes to less than a full cluster")

// InflateRaw decodes raw deflate (RFC 1951) data from src into all of dst.
// Bytes of src after the end of the stream are ignored, and so is the rest
// of a stream that would decode to more than len(dst) bytes (as qemu
// does). A stream that ends, or input that runs out, before dst is full
// gives errShort.
//
// It uses package inflate, which decodes whole buffers without a window
// or io.Reader (about twice klauspost's flate reader on image clusters).
func InflateRaw(dst, src []byte) error {
	var d *inflate.Decoder
	select {
	case d = <-inflatePool:
	default:
		d = new(inflate.Decoder)
	}
	n, err := d.Decode(dst, src)
	putInflate(d)
	if err == inflate.ErrShortInput || err == nil && n < len(dst) {
		return errShort
	}
	return err // nil, or an *inflate.CorruptError
}

// InflateZlib decodes zlib (RFC 1950) data from src into all of dst. The
// 2-byte header is checked; the Adler-32 trailer is not (it would cost a
// second pass over every grain; the deflate stream is still validated and
// whole-image checksums cover integrity).
func InflateZlib(dst, src []byte) error {
	if len(src) < 2 {
		return errShort
	}
	cmf, flg := src[0], src[1]
	if cmf&0x0f != 8 || cmf>>4 > 7 || (uint16(cmf)<<8|uint16(flg))%31 != 0 || flg&0x20 != 0 {
		return errors.New("bad zlib header")
	}
	return InflateRaw(dst, src[2:])
}

// InflateZstd decodes a zstd frame from src into all of dst. The decoder's
// window and memory are capped so hostile frames cannot make it allocate
// much.
func InflateZstd(dst, src []byte) error {
	br := bytesReader(src)
	defer bytesPool.Put(br)
	var d *zstd.Decoder
	select {
	case d = <-zstdPool:
	default:
		var err error
		d, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxWindow(8<<20), zstd.WithDecoderMaxMemory(64<<20))
		if err != nil {
			return err
		}
	}
	defer putZstd(d)
	if err := d.Reset(br); err != nil {
		return err
	}
	return fill(d, dst)
}

// Deflater compresses blocks with raw deflate or zlib framing; one per
// worker (not safe for concurrent use).
type Deflater struct {
	Zlib  bool
	Level int // 0 means DefaultLevel; StoreLevel stores without compressing
	buf   bytes.Buffer
	fw    *flate.Writer
	zw    *zlib.Writer
}

// DefaultLevel trades a little ratio for speed: klauspost's level 3 packs
// text within a few percent of zlib -6 at several times its speed
// (BenchmarkDeflate in bench/diskimage).
const DefaultLevel = 3

// StoreLevel makes a Deflater emit stored (uncompressed) deflate blocks.
const StoreLevel = -100

// LooksRandom guesses from two 2 KiB samples whether a block is
// incompressible (encrypted or already compressed data), so writers can
// skip compressing it: a cheap test, at worst it costs some ratio.
func LooksRandom(b []byte) bool {
	const n = 2048
	if len(b) < 4*n {
		return false
	}
	mid := len(b) / 2
	return compress.Estimate(b[:n]) < 0.02 && compress.Estimate(b[mid:mid+n]) < 0.02
}

// Compress returns the compressed form of src; the slice is valid until
// the next call.
func (d *Deflater) Compress(src []byte) ([]byte, error) {
	d.buf.Reset()
	lvl := d.Level
	switch lvl {
	case 0:
		lvl = DefaultLevel
	case StoreLevel:
		lvl = flate.NoCompression
	}
	var w io.WriteCloser
	if d.Zlib {
		if d.zw == nil {
			zw, err := zlib.NewWriterLevel(&d.buf, lvl)
			if err != nil {
				return nil, err
			}
			d.zw = zw
		} else {
			d.zw.Reset(&d.buf)
		}
		w = d.zw
	} else {
		if d.fw == nil {
			fw, err := flate.NewWriter(&d.buf, lvl)
			if err != nil {
				return nil, err
			}
			d.fw = fw
		} else {
			d.fw.Reset(&d.buf)
		}
		w = d.fw
	}
	if _, err := w.Write(src); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return d.buf.Bytes(), nil
}

// DeflaterPool keeps compressors alive across garbage collections (a
// sync.Pool would drop them at every GC and reallocate their large
// tables, which shows in the peak RSS).
type DeflaterPool struct {
	once  sync.Once
	ch    chan *Deflater
	Zlib  bool
	Level int
}

// Get returns a pooled Deflater or a new one.
func (p *DeflaterPool) Get() *Deflater {
	p.once.Do(func() { p.ch = make(chan *Deflater, 16) })
	select {
	case d := <-p.ch:
		return d
	default:
		return &Deflater{Zlib: p.Zlib, Level: p.Level}
	}
}

// Put returns d to the pool.
func (p *DeflaterPool) Put(d *Deflater) {
	select {
	case p.ch <- d:
	default:
	}
}
