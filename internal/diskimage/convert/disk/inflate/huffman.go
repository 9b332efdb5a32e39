package inflate

import "math/bits"

// Decode tables
//
// A Huffman code is decoded with one lookup in a main table indexed by the
// next tableBits bits of input (deflate codes are sent LSB first, so the
// table is indexed by bit-reversed codewords). A codeword longer than
// tableBits leads, through a subtable-pointer entry, to a second lookup in a
// subtable indexed by the bits after the first tableBits.
//
// Every entry is a uint32 that says at once how many bits to consume and
// what to do:
//
//	bits  0..7   total bits to consume: codeword length + extra bits
//	             (for a subtable pointer: the main table's index width)
//	bits  8..15  codeword length, i.e. where the extra bits start
//	             (for a subtable pointer: the subtable's index width)
//	bits 16..    value: literal byte, length or distance base,
//	             code-length symbol, or subtable start
//
// and flags in the high bits, which differ between tables (see below).
// Entries are made as tmpl[sym] + len<<8 + len, where tmpl[sym] holds the
// symbol's flags, value and extra-bit count (in bits 0..7).

const (
	litlenBits  = 11   // main litlen table index width (as libdeflate)
	distBits    = 8    // main distance table index width
	precodeBits = 7    // precode codewords are at most 7 bits: no subtables
	litlenSize  = 2342 // worst case for 288 symbols, 11 bits, max length 15 (zlib's "enough 288 11 15")
	distSize    = 402  // "enough 32 8 15"
	precodeSize = 1 << precodeBits

	maxLitlenSyms = 288
	maxDistSyms   = 32
	maxCodeLen    = 15
)

// Literal/length table flags.
const (
	llLiteral     = 1 << 31 // value is a literal byte (so int32(entry) < 0)
	llExceptional = 1 << 30 // subtable pointer, end of block, or invalid code
	llSubtable    = 1 << 29
	llEndOfBlock  = 1 << 28
	// llExceptional alone: a symbol that may not occur (286, 287) or a
	// codeword missing from an incomplete code.
	llInvalid = llExceptional
)

// Distance table flags: a normal entry has bit 31 clear and a base of up to
// 24577 in bits 16..30.
const (
	dExceptional = 1 << 31 // subtable pointer or invalid
	dSubtable    = 1 << 29
	dInvalid     = dExceptional // distance symbol 30, 31 or a missing codeword
)

// Precode (code-length code) entries: symbol in bits 16..; invalid entries
// have bit 31 set.
const pInvalid = 1 << 31

var (
	lengthBase  = [29]uint32{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [29]uint32{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = [30]uint32{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra   = [30]uint32{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}

	// precodeOrder is the order in which code-length code lengths are sent.
	precodeOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

	litlenTmpl  [maxLitlenSyms]uint32
	distTmpl    [maxDistSyms]uint32
	precodeTmpl [19]uint32

	// Tables of the fixed Huffman code (block type 1), built once.
	fixedLitlen [litlenSize]uint32
	fixedDist   [distSize]uint32
)

func init() {
	for s := range 256 {
		litlenTmpl[s] = llLiteral | uint32(s)<<16
	}
	litlenTmpl[256] = llExceptional | llEndOfBlock
	for s := 257; s < 286; s++ {
		litlenTmpl[s] = lengthBase[s-257]<<16 | lengthExtra[s-257]
	}
	litlenTmpl[286], litlenTmpl[287] = llInvalid, llInvalid
	for s := range 30 {
		distTmpl[s] = distBase[s]<<16 | distExtra[s]
	}
	distTmpl[30], distTmpl[31] = dInvalid, dInvalid
	for s := range precodeTmpl {
		precodeTmpl[s] = uint32(s) << 16
	}

	var lens [maxLitlenSyms]uint8
	var sorted [maxLitlenSyms]uint16
	for s := range lens {
		switch {
		case s < 144:
			lens[s] = 8
		case s < 256:
			lens[s] = 9
		case s < 280:
			lens[s] = 7
		default:
			lens[s] = 8
		}
	}
	if !buildTable(fixedLitlen[:], lens[:], litlenTmpl[:], litlenBits, llInvalid, llExceptional|llSubtable, sorted[:]) {
		panic("inflate: bad fixed litlen code")
	}
	for s := range maxDistSyms {
		lens[s] = 5
	}
	if !buildTable(fixedDist[:], lens[:maxDistSyms], distTmpl[:], distBits, dInvalid, dExceptional|dSubtable, sorted[:]) {
		panic("inflate: bad fixed distance code")
	}
}

// buildTable fills table with the decode table of the canonical Huffman
// code given by lens (lens[sym] is the codeword length of sym, 0 if
// unused, at most 15). tmpl[sym] is the static part of sym's entries,
// invalid the entry for codewords that do not exist, sub the flags of a
// subtable pointer. sorted is scratch space of at least len(lens).
//
// Like zlib and Go's compress/flate, it accepts complete codes, the empty
// code (every lookup then gives invalid) and a code of exactly one
// codeword of length 1; any other incomplete or over-subscribed set of
// lengths is rejected (false).
func buildTable(table []uint32, lens []uint8, tmpl []uint32, tableBits uint, invalid, sub uint32, sorted []uint16) bool {
	var count [maxCodeLen + 1]uint16
	for _, l := range lens {
		count[l&15]++
	}
	count[0] = 0

	// Kraft sum: left is the number of unused codewords at each length.
	left, maxLen := 1, 0
	for l := 1; l <= maxCodeLen; l++ {
		left = left<<1 - int(count[l])
		if left < 0 {
			return false // over-subscribed
		}
		if count[l] != 0 {
			maxLen = l
		}
	}
	mainSize := uint32(1) << tableBits
	if left != 0 {
		if maxLen != 0 && (maxLen != 1 || count[1] != 1) {
			return false // incomplete
		}
		for i := range table[:mainSize] {
			table[i] = invalid
		}
		if maxLen == 0 {
			return true
		}
	}

	// Sort symbols by (length, symbol): canonical codeword order.
	var offs [maxCodeLen + 2]uint16
	for l := 1; l <= maxCodeLen; l++ {
		offs[l+1] = offs[l] + count[l]
	}
	nsyms := int(offs[maxCodeLen+1])
	for s, l := range lens {
		if l != 0 {
			sorted[offs[l]] = uint16(s)
			offs[l]++
		}
	}
	var next [maxCodeLen + 1]uint32
	code := uint32(0)
	for l := 1; l <= maxCodeLen; l++ {
		code = (code + uint32(count[l-1])) << 1
		next[l] = code
	}

	// Codewords of up to tableBits bits, by increasing length l: store
	// each one's entry once in the first 1<<l entries, then double the
	// filled part before the next length (a codeword of length l fills
	// every 1<<l-th entry), as libdeflate does.
	i := 0
	for l, size := uint32(1), uint32(2); l <= uint32(tableBits); l++ {
		if l > 1 {
			copy(table[size:2*size], table[:size])
			size *= 2
		}
		for n := count[l]; n > 0; n-- {
			s := sorted[i]
			i++
			rev := uint32(bits.Reverse16(uint16(next[l]))) >> (16 - l)
			next[l]++
			table[rev] = tmpl[s] + l<<8 + l
		}
	}

	// Longer codewords go to subtables.
	subStart := mainSize // next free entry after the main table
	prefix := ^uint32(0) // main-table index of the current subtable
	var subBase, subBits uint32
	for _, s := range sorted[i:nsyms] {
		l := uint32(lens[s])
		rev := uint32(bits.Reverse16(uint16(next[l]))) >> (16 - l)
		next[l]++
		if p := rev & (mainSize - 1); p != prefix {
			// New subtable: grow it until the codewords that share this
			// prefix fill it (zlib's inflate_table).
			prefix = p
			sb := l - uint32(tableBits)
			room := 1 << sb
			for int(sb)+int(tableBits) < maxLen {
				room -= int(count[int(sb)+int(tableBits)])
				if room <= 0 {
					break
				}
				sb++
				room <<= 1
			}
			subBase, subBits = subStart, sb
			subStart += 1 << sb
			if subStart > uint32(len(table)) {
				return false // cannot happen for a complete code
			}
			table[p] = sub | subBase<<16 | sb<<8 | uint32(tableBits)
		}
		sl := l - uint32(tableBits)
		e := tmpl[s] + sl<<8 + sl
		for j := rev >> tableBits; j < 1<<subBits; j += 1 << sl {
			table[subBase+j] = e
		}
		count[l]--
	}
	return true
}

// readTables reads the code lengths of a dynamic block (after its 3-bit
// header) and builds d.litlen and d.dist.
func (d *Decoder) readTables(br *bitReader) error {
	br.refill()
	nlit := int(br.buf&31) + 257
	ndist := int(br.buf>>5&31) + 1
	nclen := int(br.buf>>10&15) + 4
	br.consume(14)
	if nlit > 286 || ndist > 30 {
		// As zlib and Go: HLIT > 29 and HDIST > 29 are errors even
		// though the fixed code has symbols 286, 287, 30 and 31.
		return br.corrupt("too many literal/length or distance codes")
	}

	var plens [19]uint8
	for i := range nclen {
		if br.nbits < 3 {
			br.refill()
		}
		plens[precodeOrder[i]] = uint8(br.buf & 7)
		br.consume(3)
	}
	if br.short() {
		return ErrShortInput
	}
	if !buildTable(d.precode[:], plens[:], precodeTmpl[:], precodeBits, pInvalid, pInvalid, d.sorted[:]) {
		return br.corrupt("bad code-length code")
	}

	n := nlit + ndist
	lens := d.lens[:n]
	for i := 0; i < n; {
		if br.nbits < 14 { // 7-bit codeword + 7 extra bits
			br.refill()
		}
		e := d.precode[br.buf&(precodeSize-1)]
		if int32(e) < 0 {
			return br.corrupt("invalid code-length symbol")
		}
		br.consume(uint(e & 63))
		sym := uint8(e >> 16)
		if sym < 16 {
			lens[i] = sym
			i++
			continue
		}
		var rep int
		var val uint8
		switch sym {
		case 16:
			if i == 0 {
				return br.corrupt("repeat of a code length with no previous length")
			}
			rep, val = 3+int(br.buf&3), lens[i-1]
			br.consume(2)
		case 17:
			rep = 3 + int(br.buf&7)
			br.consume(3)
		default:
			rep = 11 + int(br.buf&127)
			br.consume(7)
		}
		if i+rep > n {
			return br.corrupt("code-length repeat runs past the last code")
		}
		for j := range lens[i : i+rep] {
			lens[i+j] = val
		}
		i += rep
	}
	if br.short() {
		return ErrShortInput
	}
	if !buildTable(d.litlen[:], lens[:nlit], litlenTmpl[:], litlenBits, llInvalid, llExceptional|llSubtable, d.sorted[:]) {
		return br.corrupt("bad literal/length code")
	}
	if !buildTable(d.dist[:], lens[nlit:], distTmpl[:], distBits, dInvalid, dExceptional|dSubtable, d.sorted[:]) {
		return br.corrupt("bad distance code")
	}
	return nil
}
