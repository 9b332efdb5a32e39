package inflate

import (
	"bytes"
	stdflate "compress/flate"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	kpflate "github.com/klauspost/compress/flate"
)

// stdInflate decodes src with the standard library (the reference).
func stdInflate(src []byte, limit int) ([]byte, error) {
	r := stdflate.NewReader(bytes.NewReader(src))
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, int64(limit)))
}

func stdDeflate(t testing.TB, data []byte, level int) []byte {
	var b bytes.Buffer
	w, err := stdflate.NewWriter(&b, level)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	w.Close()
	return b.Bytes()
}

func kpDeflate(t testing.TB, data []byte, level int) []byte {
	var b bytes.Buffer
	w, err := kpflate.NewWriter(&b, level)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	w.Close()
	return b.Bytes()
}

// corpus returns named test inputs: random, zeros, runs, short periods,
// text, mixed disk-like clusters and tiny or odd sizes.
func corpus() map[string][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	m := map[string][]byte{}
	rnd := make([]byte, 70000)
	for i := range rnd {
		rnd[i] = byte(rng.Uint32())
	}
	m["random"] = rnd
	m["zeros"] = make([]byte, 1<<16)
	runs := make([]byte, 0, 1<<16)
	for len(runs) < 1<<16 {
		runs = append(runs, bytes.Repeat([]byte{byte(rng.Uint32())}, 1+rng.IntN(600))...)
	}
	m["runs"] = runs[:1<<16]
	for p := 1; p <= 17; p++ {
		b := make([]byte, 5000+p)
		for i := range b {
			b[i] = byte('a' + i%p)
		}
		m[fmt.Sprintf("period%d", p)] = b
	}
	m["text"] = englishText(rng, 100000)
	m["mixed"] = mixedCluster(rng, 1<<16)
	m["mixed2"] = mixedCluster(rng, 3<<16)
	for _, n := range []int{0, 1, 2, 7, 8, 9, 15, 16, 17, 255, 1023, 4097, 65535} {
		m[fmt.Sprintf("tiny%d", n)] = englishText(rng, n)
		m[fmt.Sprintf("rtiny%d", n)] = rnd[:n]
	}
	return m
}

// streams compresses every corpus input with every encoder and level.
func streams(t testing.TB) []stream {
	var ss []stream
	for name, data := range corpus() {
		for _, lvl := range []int{-2, 0, 1, 5, 9} {
			ss = append(ss, stream{fmt.Sprintf("%s/std%d", name, lvl), data, stdDeflate(t, data, lvl)})
		}
		for lvl := 1; lvl <= 9; lvl++ {
			ss = append(ss, stream{fmt.Sprintf("%s/kp%d", name, lvl), data, kpDeflate(t, data, lvl)})
		}
	}
	return ss
}

type stream struct {
	name      string
	data, enc []byte
}

func TestDifferential(t *testing.T) {
	var d Decoder
	for _, s := range streams(t) {
		want, err := stdInflate(s.enc, 1<<30)
		if err != nil || !bytes.Equal(want, s.data) {
			t.Fatalf("%s: stdlib round trip failed: %v", s.name, err)
		}
		// Exact size, larger, and smaller destinations.
		for _, size := range []int{len(want), len(want) + 1, len(want) + 1000, len(want) - 1, len(want) / 2, len(want) - 300, 1, 0} {
			if size < 0 {
				continue
			}
			dst := make([]byte, size)
			n, err := d.Decode(dst, s.enc)
			wn := min(size, len(want))
			if err != nil || n != wn || !bytes.Equal(dst[:n], want[:wn]) {
				t.Fatalf("%s: dst %d: got n=%d err=%v, want n=%d (mismatch at %d)", s.name, size, n, err, wn, firstDiff(dst[:n], want))
			}
		}
		// The pooled function and trailing garbage after the stream.
		dst := make([]byte, len(want)+8)
		n, err := Decode(dst, append(s.enc[:len(s.enc):len(s.enc)], 0xff, 0x13, 0x77))
		if err != nil || n != len(want) || !bytes.Equal(dst[:n], want) {
			t.Fatalf("%s: with trailing bytes: n=%d err=%v", s.name, n, err)
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestZlib(t *testing.T) {
	data := englishText(rand.New(rand.NewPCG(3, 4)), 50000)
	for _, lvl := range []int{0, 1, 6, 9} {
		var b bytes.Buffer
		w, _ := zlib.NewWriterLevel(&b, lvl)
		w.Write(data)
		w.Close()
		dst := make([]byte, len(data))
		n, err := DecodeZlib(dst, b.Bytes())
		if err != nil || n != len(data) || !bytes.Equal(dst, data) {
			t.Fatalf("level %d: n=%d err=%v", lvl, n, err)
		}
	}
	enc := stdDeflate(t, data, 6)
	var ce *CorruptError
	for _, hdr := range [][2]byte{
		{0x77, 0x9c}, // CM 7
		{0x88, 0x1c}, // CINFO 8
		{0x78, 0x9d}, // bad FCHECK
		{0x78, 0xbb}, // FDICT
	} {
		if _, err := DecodeZlib(make([]byte, 10), append(hdr[:], enc...)); !errors.As(err, &ce) {
			t.Errorf("header %x: err %v, want CorruptError", hdr, err)
		}
	}
	if _, err := DecodeZlib(make([]byte, 10), []byte{0x78}); err != ErrShortInput {
		t.Errorf("1-byte zlib: %v", err)
	}
}

// TestAllocs checks steady-state decoding does not allocate.
func TestAllocs(t *testing.T) {
	data := mixedCluster(rand.New(rand.NewPCG(5, 6)), 1<<16)
	enc := stdDeflate(t, data, 6)
	dst := make([]byte, len(data))
	var d Decoder
	if a := testing.AllocsPerRun(20, func() { d.Decode(dst, enc) }); a != 0 {
		t.Errorf("Decoder.Decode allocates %v times", a)
	}
	Decode(dst, enc)
	if a := testing.AllocsPerRun(20, func() { Decode(dst, enc) }); a != 0 {
		t.Errorf("Decode allocates %v times", a)
	}
}

// bitWriter builds hand-made deflate streams.
type bitWriter struct {
	b   []byte
	acc uint64
	n   uint
}

// bits writes the n low bits of v, LSB first.
func (w *bitWriter) bits(v uint64, n uint) *bitWriter {
	w.acc |= v << w.n
	for w.n += n; w.n >= 8; w.n -= 8 {
		w.b = append(w.b, byte(w.acc))
		w.acc >>= 8
	}
	return w
}

// code writes a Huffman codeword, MSB first.
func (w *bitWriter) code(c uint32, n uint8) *bitWriter {
	for i := int(n) - 1; i >= 0; i-- {
		w.bits(uint64(c>>i)&1, 1)
	}
	return w
}

func (w *bitWriter) bytes() []byte {
	if w.n > 0 {
		return append(w.b, byte(w.acc))
	}
	return w.b
}

// canon returns the canonical codewords for code lengths lens.
func canon(lens []uint8) []uint32 {
	var count [16]uint32
	for _, l := range lens {
		count[l]++
	}
	count[0] = 0
	var next [16]uint32
	code := uint32(0)
	for l := 1; l <= 15; l++ {
		code = (code + count[l-1]) << 1
		next[l] = code
	}
	codes := make([]uint32, len(lens))
	for s, l := range lens {
		if l != 0 {
			codes[s] = next[l]
			next[l]++
		}
	}
	return codes
}

// A complete precode: symbols 0..15 get 5 bits, 16 and 17 3 bits, 18 2.
var testPre = [19]uint8{5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 3, 3, 2}

// dynamic writes a dynamic block header: HLIT/HDIST from the sizes of
// ll and dl, precode lengths pre (by symbol), then ops: precode symbols
// with their extra bits ({sym, extra}). If ops is nil every length of ll
// and dl is written as a literal length.
func dynamic(w *bitWriter, final bool, ll, dl []uint8, pre [19]uint8, ops [][2]int) {
	f := uint64(0)
	if final {
		f = 1
	}
	w.bits(f|2<<1, 3).bits(uint64(len(ll)-257), 5).bits(uint64(len(dl)-1), 5).bits(19-4, 4)
	for _, s := range precodeOrder {
		w.bits(uint64(pre[s]), 3)
	}
	if ops == nil {
		for _, l := range append(append([]uint8{}, ll...), dl...) {
			ops = append(ops, [2]int{int(l), 0})
		}
	}
	pc := canon(pre[:])
	extra := [19]uint{16: 2, 17: 3, 18: 7}
	for _, op := range ops {
		w.code(pc[op[0]], pre[op[0]]).bits(uint64(op[1]), extra[op[0]])
	}
}

// testLitlen returns a complete litlen code: literals 9 bits, end of
// block and length 3 (symbol 257) 2 bits.
func testLitlen() []uint8 {
	l := make([]uint8, 258)
	for i := range 256 {
		l[i] = 9
	}
	l[256], l[257] = 2, 2
	return l
}

func TestMalformed(t *testing.T) {
	var ce *CorruptError

	// dyn writes a final dynamic block with code lengths ll, dl (and
	// precode pre, ops as in dynamic) then "ab", a match of 3 at distance
	// 2 and end of block if the codes allow.
	dyn := func(ll, dl []uint8, pre [19]uint8, ops [][2]int) []byte {
		w := new(bitWriter)
		dynamic(w, true, ll, dl, pre, ops)
		lc, dc := canon(ll), canon(dl)
		if ll[256] != 0 && ll['a'] != 0 && ll['b'] != 0 && ll[257] != 0 && len(dl) > 1 && dl[1] != 0 {
			w.code(lc['a'], ll['a']).code(lc['b'], ll['b']).code(lc[257], ll[257]).code(dc[1], dl[1]).code(lc[256], ll[256])
		}
		return w.bytes()
	}
	ll := testLitlen()
	without := func(l []uint8, s int) []uint8 { l = append([]uint8{}, l...); l[s] = 0; return l }
	with := func(l []uint8, s int, v uint8) []uint8 { l = append([]uint8{}, l...); l[s] = v; return l }

	// 286 litlen and 5 distance lengths with repeat codes 16, 17, 18.
	repeats := [][2]int{{9, 0}}
	for range 42 {
		repeats = append(repeats, [2]int{16, 3})
	}
	repeats = append(repeats, [2]int{16, 0}, [2]int{2, 0}, [2]int{2, 0}, [2]int{18, 17}, [2]int{1, 0}, [2]int{1, 0}, [2]int{17, 0})
	past16 := [][2]int{{9, 0}}
	for range 44 {
		past16 = append(past16, [2]int{16, 3})
	}

	// The valid forms must decode to "ababa" (or nothing).
	for _, c := range []struct {
		name string
		src  []byte
		want string
	}{
		{"dynamic", dyn(ll, []uint8{1, 1}, testPre, nil), "ababa"},
		{"single distance code of length 1", dyn(ll, []uint8{0, 1}, testPre, nil), "ababa"},
		{"only end of block, empty distance code", dyn(with(make([]uint8, 257), 256, 1), []uint8{0}, testPre, nil), ""},
		{"repeat codes", dyn(append(ll, make([]uint8, 28)...), []uint8{1, 1, 0, 0, 0}, testPre, repeats), "ababa"},
	} {
		want, err := stdInflate(c.src, 1000)
		if err != nil || string(want) != c.want {
			t.Fatalf("%s: bad test stream: stdlib gives %q, %v", c.name, want, err)
		}
		dst := make([]byte, 100)
		if n, err := Decode(dst, c.src); err != nil || string(dst[:n]) != c.want {
			t.Errorf("%s: got %q, %v", c.name, dst[:n], err)
		}
	}

	missing := new(bitWriter) // then codeword 1 of a code with only 0
	dynamic(missing, true, with(make([]uint8, 257), 256, 1), []uint8{0}, testPre, nil)
	noDist := new(bitWriter) // then 'a' and a length, with no distance code
	dynamic(noDist, true, ll, []uint8{0}, testPre, nil)
	noDist.code(canon(ll)['a'], 9).code(canon(ll)[257], 2)
	over := testPre
	over[0], over[1], over[2] = 1, 1, 1
	incomplete := testPre
	incomplete[18] = 0
	for _, c := range []struct {
		name string
		src  []byte
		want string // "short" or part of the CorruptError's reason
	}{
		{"block type 3", []byte{0x07}, "block type 3"},
		{"stored LEN/NLEN mismatch", []byte{0x01, 0x05, 0x00, 0xfa, 0xfe, 'a', 'b', 'c', 'd', 'e'}, "complement"},
		{"stored truncated", []byte{0x01, 0x05, 0x00, 0xfa, 0xff, 'a', 'b'}, "short"},
		{"stored header truncated", []byte{0x01, 0x05, 0x00}, "short"},
		{"HLIT 287", new(bitWriter).bits(1|2<<1, 3).bits(30, 5).bits(0, 5).bits(15, 4).bytes(), "too many"},
		{"HDIST 31", new(bitWriter).bits(1|2<<1, 3).bits(0, 5).bits(30, 5).bits(15, 4).bytes(), "too many"},
		{"precode over-subscribed", dyn(ll, []uint8{1, 1}, over, nil), "code-length code"},
		{"precode incomplete", dyn(ll, []uint8{1, 1}, incomplete, [][2]int{{0, 0}}), "code-length code"},
		{"repeat with no previous length", dyn(ll, []uint8{1, 1}, testPre, [][2]int{{16, 0}}), "no previous"},
		{"repeat 16 past the count", dyn(ll, []uint8{1, 1}, testPre, past16), "past the last"},
		{"repeat 17 past the count", dyn(ll, []uint8{1, 1}, testPre, [][2]int{{18, 127}, {18, 110}, {17, 2}}), "past the last"},
		{"repeat 18 past the count", dyn(ll, []uint8{1, 1}, testPre, [][2]int{{18, 127}, {18, 110}, {18, 10}}), "past the last"},
		{"litlen over-subscribed", dyn(with(ll, 256, 1), []uint8{1, 1}, testPre, nil), "literal/length code"},
		{"litlen incomplete", dyn(without(ll, 257), []uint8{1, 1}, testPre, nil), "literal/length code"},
		{"litlen single code of length 2", dyn(with(make([]uint8, 257), 256, 2), []uint8{0}, testPre, nil), "literal/length code"},
		{"distance over-subscribed", dyn(ll, []uint8{1, 1, 1}, testPre, nil), "distance code"},
		{"distance single code of length 2", dyn(ll, []uint8{0, 2}, testPre, nil), "distance code"},
		{"distance incomplete", dyn(ll, []uint8{1, 2}, testPre, nil), "distance code"},
		{"missing codeword of a single code", missing.bits(1, 1).bytes(), "literal/length symbol"},
		{"match with an empty distance code", noDist.bits(0, 16).bytes(), "distance symbol"},
		{"fixed: symbol 286", new(bitWriter).bits(1|1<<1, 3).code(0xc6, 8).bytes(), "literal/length symbol"},
		{"fixed: symbol 287", new(bitWriter).bits(1|1<<1, 3).code(0xc7, 8).bytes(), "literal/length symbol"},
		// literal 'a', length 3 (symbol 257: 0000001), distance code 30, 31
		{"fixed: distance 30", new(bitWriter).bits(1|1<<1, 3).code(0x30+'a', 8).code(1, 7).code(30, 5).bytes(), "distance symbol"},
		{"fixed: distance 31", new(bitWriter).bits(1|1<<1, 3).code(0x30+'a', 8).code(1, 7).code(31, 5).bytes(), "distance symbol"},
		{"fixed: distance too far", new(bitWriter).bits(1|1<<1, 3).code(0x30+'a', 8).code(1, 7).code(1, 5).code(0, 7).bytes(), "too far"},
		{"fixed: distance at start", new(bitWriter).bits(1|1<<1, 3).code(1, 7).code(0, 5).code(0, 7).bytes(), "too far"},
		{"fixed: no end of block", new(bitWriter).bits(1|1<<1, 3).code(0x30+'a', 8).bytes(), "short"},
		{"dynamic header truncated", dyn(ll, []uint8{1, 1}, testPre, nil)[:20], "short"},
		{"empty", nil, "short"},
	} {
		if _, err := stdInflate(c.src, 1000); err == nil {
			t.Errorf("%s: the stdlib accepts the test stream", c.name)
		}
		n, err := Decode(make([]byte, 100), c.src)
		if c.want == "short" && err != ErrShortInput ||
			c.want != "short" && !(errors.As(err, &ce) && strings.Contains(ce.Reason, c.want)) {
			t.Errorf("%s: n=%d err=%v, want %q", c.name, n, err, c.want)
		}
	}
}
