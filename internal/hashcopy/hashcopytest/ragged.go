// Package hashcopytest has the request bodies that tests of uploads need.
package hashcopytest

import (
	"io"
	"math/rand/v2"
)

// Ragged returns Data in reads of random length (1 byte to 1 MiB), as a
// network body does. Once Off reaches Fail (-1: never) it calls OnFail
// and returns its error.
type Ragged struct {
	Data   []byte
	Off    int
	Fail   int
	OnFail func() error
	rnd    *rand.Rand
}

// NewRagged returns a Ragged reader of data that does not fail.
func NewRagged(data []byte) *Ragged {
	return &Ragged{Data: data, Fail: -1, rnd: rand.New(rand.NewPCG(1, 2))}
}

func (r *Ragged) Read(p []byte) (int, error) {
	if r.Fail >= 0 && r.Off >= r.Fail {
		return 0, r.OnFail()
	}
	if r.Off == len(r.Data) {
		return 0, io.EOF
	}
	n := min(len(p), 1+r.rnd.IntN(1<<20), len(r.Data)-r.Off)
	if r.Fail >= 0 {
		n = min(n, r.Fail-r.Off)
	}
	copy(p, r.Data[r.Off:r.Off+n])
	r.Off += n
	return n, nil
}

// RandomBytes returns n bytes of a fixed pseudo-random sequence.
func RandomBytes(n int) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{7}).Read(b)
	return b
}
