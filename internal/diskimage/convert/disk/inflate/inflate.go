// Package inflate decodes deflate (RFC 1951) and zlib (RFC 1950) streams
// from one whole buffer into another, the way libdeflate does: no window,
// no io.Reader, back-references copied within the output slice.
//
// It is made for disk-image clusters and grains (qcow2 compressed clusters,
// VMDK streamOptimized grains): the whole compressed input is in memory and
// the output size is known. Decoding stops when the output buffer is full,
// as qemu does for a cluster whose stream would go on past the cluster
// size.
package inflate

import (
	"encoding/binary"
	"errors"
	"strconv"
	"sync"
)

// ErrShortInput is returned when the stream needs more bits than src holds
// before it ends or dst is full.
var ErrShortInput = errors.New("inflate: compressed data truncated")

// CorruptError reports a malformed stream.
type CorruptError struct {
	Offset int    // input byte offset at or just after the bad data
	Reason string // what was wrong
}

func (e *CorruptError) Error() string {
	return "inflate: corrupt input at byte " + strconv.Itoa(e.Offset) + ": " + e.Reason
}

// A Decoder holds the Huffman decode tables of a dynamic block (about
// 12 KiB), so decoding does not allocate. Its zero value is ready to use;
// it is not safe for concurrent use. Keep one per goroutine.
type Decoder struct {
	litlen  [litlenSize]uint32
	dist    [distSize]uint32
	precode [precodeSize]uint32
	lens    [286 + 30]uint8 // code lengths of a dynamic block
	sorted  [maxLitlenSyms]uint16
}

var pool = sync.Pool{New: func() any { return new(Decoder) }}

// Decode decodes the raw deflate stream in src into dst until dst is full
// or the stream ends (its final block done), using a pooled Decoder. See
// (*Decoder).Decode.
func Decode(dst, src []byte) (n int, err error) {
	d := pool.Get().(*Decoder)
	n, err = d.Decode(dst, src)
	pool.Put(d)
	return n, err
}

// DecodeZlib checks the 2-byte zlib header of src (CM=8, CINFO<=7, FCHECK,
// no preset dictionary) and decodes the deflate stream after it with
// Decode. The Adler-32 trailer is not checked: it would cost a second pass
// over the output, and the callers rely on image checksums instead; the
// deflate stream itself is fully validated.
func DecodeZlib(dst, src []byte) (int, error) {
	d := pool.Get().(*Decoder)
	n, err := d.DecodeZlib(dst, src)
	pool.Put(d)
	return n, err
}

// DecodeZlib is the Decoder form of the package-level DecodeZlib.
func (d *Decoder) DecodeZlib(dst, src []byte) (int, error) {
	if len(src) < 2 {
		return 0, ErrShortInput
	}
	cmf, flg := src[0], src[1]
	if cmf&0x0f != 8 || cmf>>4 > 7 || (uint16(cmf)<<8|uint16(flg))%31 != 0 || flg&0x20 != 0 {
		return 0, &CorruptError{Offset: 0, Reason: "bad zlib header"}
	}
	return d.Decode(dst, src[2:])
}

// Decode decodes the raw deflate stream in src into dst until dst is full
// or the stream ends (final block done). It returns the number of bytes
// written to dst.
//
// If the stream ends before dst is full it returns n < len(dst) and a nil
// error. Decoding stops as soon as dst is full, even in the middle of a
// match or a block, with n == len(dst) and a nil error: the rest of the
// stream is neither decoded nor checked. Bytes of src after the end of the
// stream are ignored. Back-references may only point into the output
// produced so far (the stream starts with an empty window).
//
// A malformed stream returns a *CorruptError; a stream that needs more
// input than src holds returns ErrShortInput. On error n is the number of
// bytes decoded before the problem was found. Bytes of dst beyond n may be
// overwritten in any case (matches are copied in 8-byte words).
//
// Decode never reads or writes out of bounds, does not allocate (except to
// report an error), and takes time linear in len(src)+len(dst).
func (d *Decoder) Decode(dst, src []byte) (int, error) {
	br := bitReader{src: src}
	out := 0
	for out < len(dst) {
		br.refill()
		hdr := uint32(br.buf & 7)
		br.consume(3)
		var err error
		switch hdr >> 1 {
		case 0:
			out, err = br.stored(dst, out)
		case 1:
			out, err = d.huffman(dst, out, &br, &fixedLitlen, &fixedDist)
		case 2:
			if err = d.readTables(&br); err == nil {
				out, err = d.huffman(dst, out, &br, &d.litlen, &d.dist)
			}
		default:
			err = br.corrupt("reserved block type 3")
		}
		if err != nil || hdr&1 != 0 {
			return out, err
		}
	}
	return out, nil
}

// bitReader reads bits LSB first from src through a 64-bit buffer.
type bitReader struct {
	src   []byte
	in    int    // next byte of src to load into buf
	buf   uint64 // bits not yet consumed, low bits first
	nbits uint   // number of valid bits in buf (bits above may hold the next input bits)
	// overrun counts the zero bytes added past the end of src so that the
	// buffer can always be filled; consuming any of their bits means the
	// input was short.
	overrun uint
}

// refill fills buf to at least 56 valid bits.
func (br *bitReader) refill() {
	if br.in+8 <= len(br.src) {
		br.buf |= binary.LittleEndian.Uint64(br.src[br.in:]) << (br.nbits & 63)
		br.in += int(63-br.nbits) >> 3
		br.nbits |= 56
		return
	}
	for br.nbits <= 56 {
		if br.in < len(br.src) {
			br.buf |= uint64(br.src[br.in]) << (br.nbits & 63)
			br.in++
		} else {
			br.overrun++
		}
		br.nbits += 8
	}
}

func (br *bitReader) consume(n uint) {
	br.buf >>= n & 63
	br.nbits -= n
}

// short reports whether bits past the end of src have been consumed.
func (br *bitReader) short() bool {
	return br.overrun*8 > br.nbits
}

// offset is the input position of the next unconsumed bit, in bytes.
func (br *bitReader) offset() int {
	return br.in - int(br.nbits>>3) + int(br.overrun)
}

// corrupt returns the error for a malformed stream: ErrShortInput if the
// bits that look malformed were made up past the end of src.
func (br *bitReader) corrupt(reason string) error {
	if br.short() {
		return ErrShortInput
	}
	return &CorruptError{Offset: br.offset(), Reason: reason}
}

// stored copies a stored block into dst[out:].
func (br *bitReader) stored(dst []byte, out int) (int, error) {
	// Go back to the byte boundary: drop the partial byte, give back the
	// whole bytes still in the buffer.
	if br.short() {
		return out, ErrShortInput
	}
	// The partial byte is real: overrun*8 <= nbits and nbits-overrun*8 has
	// the same low 3 bits as nbits.
	br.in -= int(br.nbits>>3 - br.overrun)
	br.buf, br.nbits, br.overrun = 0, 0, 0
	src := br.src
	if len(src)-br.in < 4 {
		return out, ErrShortInput
	}
	n := int(binary.LittleEndian.Uint16(src[br.in:]))
	if uint16(n) != ^binary.LittleEndian.Uint16(src[br.in+2:]) {
		return out, &CorruptError{Offset: br.in, Reason: "stored block length does not match its complement"}
	}
	br.in += 4
	short := false
	if room := len(dst) - out; n > room {
		n = room // dst fills up: the rest is not needed
	}
	if avail := len(src) - br.in; n > avail {
		n, short = avail, true
	}
	copy(dst[out:out+n], src[br.in:])
	br.in += n
	if short {
		return out + n, ErrShortInput
	}
	return out + n, nil
}
