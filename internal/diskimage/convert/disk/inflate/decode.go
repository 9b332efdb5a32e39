package inflate

import "encoding/binary"

const (
	litlenMask = 1<<litlenBits - 1
	distMask   = 1<<distBits - 1

	// fastIn and fastOut are the input and output room the fast loop needs
	// for one iteration: two unconditional 8-byte refills, and three
	// literals or one match of up to 258 bytes copied in 8- or 16-byte
	// steps that may write up to 15 bytes past its end.
	fastIn  = 16
	fastOut = 3 + 258 + 16
)

// huffman decodes the body of a Huffman-coded block into dst[out:] with the
// given tables, until the end-of-block symbol or until dst is full.
func (d *Decoder) huffman(dst []byte, out int, br *bitReader, ll *[litlenSize]uint32, dt *[distSize]uint32) (int, error) {
	src := br.src
	in, buf, nbits := br.in, br.buf, br.nbits

	// Fast loop: while enough input and output room remain, refill with
	// one unaligned load and copy matches without bounds arithmetic.
	// (There is no overrun here: in+8 <= len(src) at every refill.)
	for in <= len(src)-fastIn && out <= len(dst)-fastOut {
		buf |= binary.LittleEndian.Uint64(src[in:]) << (nbits & 63)
		in += int(63-nbits) >> 3
		nbits |= 56 // now 56..63 bits

		// Up to three literals from the main table (11 bits each at most).
		e := ll[buf&litlenMask]
		if int32(e) < 0 {
			buf >>= e & 63
			nbits -= uint(e & 63)
			dst[out] = byte(e >> 16)
			out++
			e = ll[buf&litlenMask]
			if int32(e) < 0 {
				buf >>= e & 63
				nbits -= uint(e & 63)
				dst[out] = byte(e >> 16)
				out++
				e = ll[buf&litlenMask]
				if int32(e) < 0 {
					buf >>= e & 63
					nbits -= uint(e & 63)
					dst[out] = byte(e >> 16)
					out++
					continue
				}
			}
		}
		if e&llExceptional != 0 {
			if e&llSubtable != 0 {
				buf >>= litlenBits
				nbits -= litlenBits
				e = ll[(e>>16)&0xfff+uint32(buf)&(1<<((e>>8)&63)-1)]
				if int32(e) < 0 {
					buf >>= e & 63
					nbits -= uint(e & 63)
					dst[out] = byte(e >> 16)
					out++
					continue
				}
			}
			if e&llExceptional != 0 {
				buf >>= e & 63
				nbits -= uint(e & 63)
				br.in, br.buf, br.nbits = in, buf, nbits
				if e&llEndOfBlock != 0 {
					return out, nil
				}
				return out, br.corrupt("invalid literal/length symbol")
			}
		}

		// Length: base + extra bits (at most 15+5 bits, still in buf).
		t := e & 63
		length := int(e>>16) + int((buf&(1<<t-1))>>((e>>8)&63))
		buf >>= t
		nbits -= uint(t)

		buf |= binary.LittleEndian.Uint64(src[in:]) << (nbits & 63)
		in += int(63-nbits) >> 3
		nbits |= 56

		e = dt[buf&distMask]
		if int32(e) < 0 {
			if e&dSubtable != 0 {
				buf >>= distBits
				nbits -= distBits
				e = dt[(e>>16)&0xfff+uint32(buf)&(1<<((e>>8)&63)-1)]
			}
			if int32(e) < 0 {
				br.in, br.buf, br.nbits = in, buf, nbits
				return out, br.corrupt("invalid distance symbol")
			}
		}
		t = e & 63
		dist := int(e>>16) + int((buf&(1<<t-1))>>((e>>8)&63))
		buf >>= t
		nbits -= uint(t)
		if dist > out {
			br.in, br.buf, br.nbits = in, buf, nbits
			return out, br.corrupt("distance too far back")
		}
		// Copy the match. Five unconditional words cover most matches
		// without a loop whose exit the CPU would mispredict (the loop
		// condition left room for 258+8 bytes).
		from := out - dist
		if dist >= 8 {
			w := dst[out : out+40]
			r := dst[from : from+40]
			binary.LittleEndian.PutUint64(w[0:], binary.LittleEndian.Uint64(r[0:]))
			binary.LittleEndian.PutUint64(w[8:], binary.LittleEndian.Uint64(r[8:]))
			binary.LittleEndian.PutUint64(w[16:], binary.LittleEndian.Uint64(r[16:]))
			binary.LittleEndian.PutUint64(w[24:], binary.LittleEndian.Uint64(r[24:]))
			binary.LittleEndian.PutUint64(w[32:], binary.LittleEndian.Uint64(r[32:]))
			if length > 40 {
				end := out + length
				for o, f := out+40, from+40; o < end; o, f = o+16, f+16 {
					binary.LittleEndian.PutUint64(dst[o:], binary.LittleEndian.Uint64(dst[f:]))
					binary.LittleEndian.PutUint64(dst[o+8:], binary.LittleEndian.Uint64(dst[f+8:]))
				}
			}
			out += length
			continue
		}
		// Period 1..7 (runs of one byte are the commonest): store one
		// word of the pattern every patternStep[dist] bytes.
		s := uint(dist) * 8
		w := binary.LittleEndian.Uint64(dst[from:]) & (1<<s - 1)
		w |= w << s
		w |= w << (2 * s)
		w |= w << (4 * s)
		step := patternStep[dist&7]
		p := dst[out : out+16]
		binary.LittleEndian.PutUint64(p, w)
		binary.LittleEndian.PutUint64(p[step&15:], w)
		if length > 2*step {
			end := out + length
			for o := out + 2*step; o < end; o += 2 * step {
				binary.LittleEndian.PutUint64(dst[o:], w)
				binary.LittleEndian.PutUint64(dst[o+step:], w)
			}
		}
		out += length
	}

	// Slow loop, near the end of src or dst: refill byte by byte (with
	// zero bytes past the end of src, which must not be consumed), stop
	// when dst is full, cut the last match short.
	overrun := br.overrun
	for out < len(dst) {
		if in+8 <= len(src) {
			buf |= binary.LittleEndian.Uint64(src[in:]) << (nbits & 63)
			in += int(63-nbits) >> 3
			nbits |= 56
		} else {
			for ; nbits <= 56; nbits += 8 {
				if in < len(src) {
					buf |= uint64(src[in]) << (nbits & 63)
					in++
				} else {
					overrun++
				}
			}
		}
		e := ll[buf&litlenMask]
		if e&(llExceptional|llSubtable) == llExceptional|llSubtable {
			buf >>= litlenBits
			nbits -= litlenBits
			e = ll[(e>>16)&0xfff+uint32(buf)&(1<<((e>>8)&63)-1)]
		}
		if int32(e) < 0 {
			buf >>= e & 63
			nbits -= uint(e & 63)
			if overrun*8 > nbits {
				return out, ErrShortInput
			}
			dst[out] = byte(e >> 16)
			out++
			continue
		}
		if e&llExceptional != 0 {
			buf >>= e & 63
			nbits -= uint(e & 63)
			br.in, br.buf, br.nbits, br.overrun = in, buf, nbits, overrun
			if e&llEndOfBlock != 0 && overrun*8 <= nbits {
				return out, nil
			}
			return out, br.corrupt("invalid literal/length symbol")
		}
		t := e & 63
		length := int(e>>16) + int((buf&(1<<t-1))>>((e>>8)&63))
		buf >>= t
		nbits -= uint(t)

		if in+8 <= len(src) {
			buf |= binary.LittleEndian.Uint64(src[in:]) << (nbits & 63)
			in += int(63-nbits) >> 3
			nbits |= 56
		} else {
			for ; nbits <= 56; nbits += 8 {
				if in < len(src) {
					buf |= uint64(src[in]) << (nbits & 63)
					in++
				} else {
					overrun++
				}
			}
		}
		e = dt[buf&distMask]
		if e&(dExceptional|dSubtable) == dExceptional|dSubtable {
			buf >>= distBits
			nbits -= distBits
			e = dt[(e>>16)&0xfff+uint32(buf)&(1<<((e>>8)&63)-1)]
		}
		t = e & 63
		dist := int(e>>16) + int((buf&(1<<t-1))>>((e>>8)&63))
		buf >>= t
		nbits -= uint(t)
		if int32(e) < 0 || dist > out || overrun*8 > nbits {
			br.in, br.buf, br.nbits, br.overrun = in, buf, nbits, overrun
			if int32(e) < 0 {
				return out, br.corrupt("invalid distance symbol")
			}
			return out, br.corrupt("distance too far back")
		}
		if out+length+8 <= len(dst) {
			out = copyMatch(dst, out, dist, length)
			continue
		}
		// Near the end of dst: byte by byte, stopping when dst is full.
		end := min(out+length, len(dst))
		for ; out < end; out++ {
			dst[out] = dst[out-dist]
		}
	}
	br.in, br.buf, br.nbits, br.overrun = in, buf, nbits, overrun
	if br.short() {
		return out, ErrShortInput
	}
	return out, nil
}

// patternStep[d] is the largest multiple of d that is at most 8: the step
// by which an 8-byte word holding a pattern of period d can be stored
// again and again.
var patternStep = [8]int{8, 8, 8, 6, 8, 5, 6, 7} // [0] is never used

// copyMatch copies length bytes from dist bytes back to dst[out:] and
// returns the new out. It needs 1 <= dist <= out and
// out+length+8 <= len(dst): it stores whole 8-byte words and may write up
// to 7 bytes past the match.
func copyMatch(dst []byte, out, dist, length int) int {
	end := out + length
	from := out - dist
	switch {
	case dist >= 8:
		// Each word read lies at least 8 bytes behind the write position,
		// so it is final even when the match overlaps itself.
		for out < end {
			binary.LittleEndian.PutUint64(dst[out:], binary.LittleEndian.Uint64(dst[from:]))
			out += 8
			from += 8
		}
	case dist == 1:
		w := uint64(dst[from]) * 0x0101010101010101
		for out < end {
			binary.LittleEndian.PutUint64(dst[out:], w)
			out += 8
		}
	default:
		// Period 2..7: build one word of the repeating pattern, then store
		// it every patternStep[dist] bytes.
		s := uint(dist) * 8
		w := binary.LittleEndian.Uint64(dst[from:]) & (1<<s - 1)
		w |= w << s
		w |= w << (2 * s)
		w |= w << (4 * s)
		step := patternStep[dist&7]
		for out < end {
			binary.LittleEndian.PutUint64(dst[out:], w)
			out += step
		}
	}
	return end
}
