package inflate

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

// maxCheck caps the output compared with the standard library, so that a
// few fuzz bytes expanding to megabytes do not slow the fuzzer down.
const maxCheck = 1 << 17

// checkAgainstStd decodes src with the standard library and with Decode,
// and fails if they disagree:
//   - if the standard library decodes src to O, Decode into len(O) or more
//     bytes must give exactly O and no error;
//   - if it reports an error after producing O, Decode into room for more
//     than O plus one match must fail, its output agreeing with O, and
//     Decode into exactly len(O) bytes must give O (the bad data lies
//     beyond). The standard library may stop up to one symbol earlier than
//     Decode on a truncated stream: it wants as many bits for any
//     literal/length codeword as the end-of-block codeword has, so Decode
//     into len(O)+k bytes for a small k may legitimately fill dst.
func checkAgainstStd(t *testing.T, d *Decoder, src []byte) {
	t.Helper()
	want, stdErr := stdInflate(src, maxCheck+1)
	if len(want) > maxCheck {
		// Only check that nothing goes wrong.
		d.Decode(make([]byte, 4096), src)
		return
	}
	dst := make([]byte, len(want)+1024)
	if stdErr == nil {
		for _, size := range []int{len(want), len(want) + 100} {
			n, err := d.Decode(dst[:size], src)
			if err != nil || n != len(want) || !bytes.Equal(dst[:n], want) {
				t.Fatalf("stdlib decodes %d bytes; Decode into %d: n=%d err=%v, first difference at %d\ninput %x",
					len(want), size, n, err, firstDiff(dst[:n], want), src)
			}
		}
		return
	}
	n, err := d.Decode(dst, src)
	if err == nil {
		t.Fatalf("stdlib fails after %d bytes (%v); Decode gives n=%d and no error\ninput %x", len(want), stdErr, n, src)
	}
	var ce *CorruptError
	if err != ErrShortInput && !errors.As(err, &ce) {
		t.Fatalf("error of unexpected type %T: %v", err, err)
	}
	if m := min(n, len(want)); !bytes.Equal(dst[:m], want[:m]) {
		t.Fatalf("output before the error differs at %d\ninput %x", firstDiff(dst[:m], want[:m]), src)
	}
	if len(want) > 0 {
		n, err = d.Decode(dst[:len(want)], src)
		if err != nil || n != len(want) || !bytes.Equal(dst[:n], want) {
			t.Fatalf("stdlib decodes %d bytes before failing (%v); Decode into that many: n=%d err=%v\ninput %x",
				len(want), stdErr, n, err, src)
		}
	}
}

func FuzzDecode(f *testing.F) {
	rng := rand.New(rand.NewPCG(9, 10))
	text := englishText(rng, 3000)
	for _, lvl := range []int{-2, 0, 1, 6, 9} {
		f.Add(stdDeflate(f, text[:300+lvl*100], lvl))
	}
	f.Add(kpDeflate(f, mixedCluster(rng, 2000), 3))
	f.Add(kpDeflate(f, make([]byte, 5000), 1))
	f.Add(stdDeflate(f, []byte("abcabcabcabcabcabcabcabc"), 6)) // fixed block
	f.Add(stdDeflate(f, nil, 6))
	f.Add([]byte{0x03, 0x00})                        // empty fixed block
	f.Add([]byte{0x01, 0x01, 0x00, 0xfe, 0xff, 'x'}) // stored block
	var d Decoder
	f.Fuzz(func(t *testing.T, src []byte) {
		checkAgainstStd(t, &d, src)
	})
}

// TestTruncated decodes every prefix of a few streams.
func TestTruncated(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	text := englishText(rng, 20000)
	mixed := mixedCluster(rng, 20000)
	var d Decoder
	for i, enc := range [][]byte{
		stdDeflate(t, text, 6), stdDeflate(t, text[:500], 6), stdDeflate(t, mixed, 0),
		kpDeflate(t, mixed, 1), kpDeflate(t, mixed, 9), stdDeflate(t, mixed[:3000], -2),
	} {
		want, _ := stdInflate(enc, 1<<30)
		dst := make([]byte, len(want)+1)
		for k := range len(enc) {
			n, err := d.Decode(dst, enc[:k])
			if err == nil {
				t.Fatalf("stream %d cut to %d of %d bytes: n=%d and no error", i, k, len(enc), n)
			}
			if !bytes.Equal(dst[:n], want[:n]) {
				t.Fatalf("stream %d cut to %d: wrong output before the error", i, k)
			}
			// Into exactly the full size: an error, or all of it (only
			// the end of the stream was cut).
			n, err = d.Decode(dst[:len(want)], enc[:k])
			if err == nil && (n != len(want) || !bytes.Equal(dst[:n], want)) {
				t.Fatalf("stream %d cut to %d: n=%d of %d and no error", i, k, n, len(want))
			}
		}
		if k := len(enc) - 8; k > 0 && stdErrOf(enc[:k]) != nil {
			checkAgainstStd(t, &d, enc[:k])
		}
	}
}

func stdErrOf(src []byte) error {
	_, err := stdInflate(src, 1<<30)
	return err
}

// TestBitFlips flips single bits and bytes of a few streams and compares
// with the standard library.
func TestBitFlips(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	text := englishText(rng, 3000)
	var d Decoder
	for _, enc := range [][]byte{
		stdDeflate(t, text, 6), kpDeflate(t, mixedCluster(rng, 3000), 2),
		stdDeflate(t, text[:100], 1), stdDeflate(t, text[:200], 0),
	} {
		buf := make([]byte, len(enc))
		for bit := range len(enc) * 8 {
			copy(buf, enc)
			buf[bit/8] ^= 1 << (bit % 8)
			checkAgainstStd(t, &d, buf)
		}
		for range 300 {
			copy(buf, enc)
			buf[rng.IntN(len(buf))] = byte(rng.Uint32())
			checkAgainstStd(t, &d, buf)
		}
	}
}
