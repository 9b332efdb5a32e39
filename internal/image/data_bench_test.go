package image

import (
	"bytes"
	"io"
	"testing"
)

func BenchmarkCopyHashed(b *testing.B) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 16<<20/16)
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		if _, err := copyHashed(io.Discard, bytes.NewReader(data), 1<<40); err != nil {
			b.Fatal(err)
		}
	}
}
