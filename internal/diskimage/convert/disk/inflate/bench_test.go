package inflate

import (
	"bytes"
	stdflate "compress/flate"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"testing"

	kpflate "github.com/klauspost/compress/flate"
)

var words = []string{
	"the", "of", "and", "to", "a", "in", "is", "that", "for", "it", "as", "was", "with", "be", "by",
	"on", "not", "he", "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "had",
	"they", "you", "were", "their", "one", "all", "we", "can", "her", "has", "there", "been", "if",
	"more", "when", "will", "would", "who", "so", "no", "disk", "image", "cluster", "kernel", "file",
	"system", "memory", "process", "network", "server", "storage", "volume", "snapshot", "block",
	"device", "driver", "through", "between", "however", "government", "important", "development",
	"information", "different", "following", "something", "without", "another", "because", "before",
	"should", "between", "under", "never", "always", "people", "little", "world", "country", "house",
	"number", "water", "question", "problem", "company", "program", "children", "example", "during",
}

// englishText returns n bytes of deterministic English-like prose.
func englishText(rng *rand.Rand, n int) []byte {
	z := rand.NewZipf(rng, 1.2, 2, uint64(len(words)-1))
	var b bytes.Buffer
	for b.Len() < n {
		sl := 5 + rng.IntN(20)
		for i := range sl {
			w := words[z.Uint64()]
			if i == 0 {
				b.WriteByte(w[0] - 'a' + 'A')
				b.WriteString(w[1:])
			} else {
				b.WriteString(w)
			}
			if i < sl-1 {
				if rng.IntN(12) == 0 {
					b.WriteByte(',')
				}
				b.WriteByte(' ')
			}
		}
		b.WriteString(". ")
		if rng.IntN(6) == 0 {
			b.WriteString("\n\n")
		}
	}
	return b.Bytes()[:n]
}

// mixedCluster returns n bytes resembling a used disk: pieces of text,
// zero runs inside structured binary records, code-like byte sequences
// and some incompressible data.
func mixedCluster(rng *rand.Rand, n int) []byte {
	b := make([]byte, 0, n+8192)
	ops := [][]byte{
		{0x48, 0x89, 0xe5}, {0x48, 0x83, 0xec}, {0x55}, {0xc3}, {0x48, 0x8b, 0x45}, {0xe8},
		{0x0f, 0x1f, 0x44, 0x00, 0x00}, {0x31, 0xc0}, {0x48, 0x85, 0xc0}, {0x74}, {0x75}, {0x41, 0x57},
	}
	for len(b) < n {
		size := 256 + rng.IntN(4096)
		switch rng.IntN(6) {
		case 0:
			b = append(b, englishText(rng, size)...)
		case 1:
			b = append(b, make([]byte, size)...)
		case 2: // records: small counters, ids, padding zeros
			for range size / 32 {
				var r [32]byte
				binary.LittleEndian.PutUint32(r[0:], uint32(rng.IntN(1000)))
				binary.LittleEndian.PutUint64(r[8:], 0x10000+uint64(rng.IntN(1<<16)))
				binary.LittleEndian.PutUint16(r[20:], 0x81a4)
				b = append(b, r[:]...)
			}
		case 3, 4: // code: common opcodes with small immediates
			for end := len(b) + size; len(b) < end; {
				b = append(b, ops[rng.IntN(len(ops))]...)
				if rng.IntN(3) == 0 {
					b = binary.LittleEndian.AppendUint32(b, uint32(rng.IntN(4096)))
				}
			}
		case 5:
			for range size {
				b = append(b, byte(rng.Uint32()))
			}
		}
	}
	return b[:n]
}

const benchClusters = 16

// benchSet returns benchClusters 64 KiB clusters of one kind, each
// compressed on its own as raw deflate.
func benchSet(b *testing.B, kind string) (enc [][]byte, size int) {
	rng := rand.New(rand.NewPCG(7, 8))
	for range benchClusters {
		var data []byte
		switch kind {
		case "text":
			data = englishText(rng, 1<<16)
		case "mixed", "mixed-kp3":
			data = mixedCluster(rng, 1<<16)
		case "random":
			data = make([]byte, 1<<16)
			for i := range data {
				data[i] = byte(rng.Uint32())
			}
		}
		if kind == "mixed-kp3" {
			enc = append(enc, kpDeflate(b, data, 3)) // what the converter writes
		} else {
			enc = append(enc, stdDeflate(b, data, 6)) // zlib's default level, as qemu-img
		}
	}
	return enc, 1 << 16
}

var benchKinds = []string{"text", "mixed", "mixed-kp3", "random"}

func BenchmarkDecode(b *testing.B) {
	for _, kind := range benchKinds {
		b.Run(kind, func(b *testing.B) {
			enc, size := benchSet(b, kind)
			dst := make([]byte, size)
			var d Decoder
			b.SetBytes(int64(size * len(enc)))
			for b.Loop() {
				for _, e := range enc {
					if n, err := d.Decode(dst, e); n != size || err != nil {
						b.Fatal(n, err)
					}
				}
			}
		})
	}
}

// BenchmarkKlauspost decodes as disk.InflateRaw did before this package:
// a pooled klauspost flate reader over a bytes.Reader.
func BenchmarkKlauspost(b *testing.B) {
	for _, kind := range benchKinds {
		b.Run(kind, func(b *testing.B) {
			enc, size := benchSet(b, kind)
			dst := make([]byte, size)
			br := bytes.NewReader(nil)
			fr := kpflate.NewReader(br)
			b.SetBytes(int64(size * len(enc)))
			for b.Loop() {
				for _, e := range enc {
					br.Reset(e)
					fr.(kpflate.Resetter).Reset(br, nil)
					if _, err := io.ReadFull(fr, dst); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

func BenchmarkStdlib(b *testing.B) {
	for _, kind := range benchKinds {
		b.Run(kind, func(b *testing.B) {
			enc, size := benchSet(b, kind)
			dst := make([]byte, size)
			br := bytes.NewReader(nil)
			fr := stdflate.NewReader(br)
			b.SetBytes(int64(size * len(enc)))
			for b.Loop() {
				for _, e := range enc {
					br.Reset(e)
					fr.(stdflate.Resetter).Reset(br, nil)
					if _, err := io.ReadFull(fr, dst); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
