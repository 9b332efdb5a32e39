package convert

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"io"
	"strings"
	"sync"

	"github.com/stratus-iaas/stratus/internal/diskimage"
)

// hashSet is the checksums a caller asked for, by name.
type hashSet map[string]hash.Hash

func newHashSet(names []string) (hashSet, error) {
	hs := hashSet{}
	for _, n := range names {
		n = strings.ToLower(n)
		switch n {
		case "md5":
			hs[n] = md5.New()
		case "sha1":
			hs[n] = sha1.New()
		case "sha256":
			hs[n] = sha256.New()
		case "sha512":
			hs[n] = sha512.New()
		default:
			return nil, diskimage.Errorf(diskimage.KindUnsupported, "", "unknown checksum %q", n)
		}
	}
	return hs, nil
}

func (hs hashSet) writer() io.Writer {
	if len(hs) == 0 {
		return io.Discard
	}
	ws := make([]io.Writer, 0, len(hs))
	for _, h := range hs {
		ws = append(ws, h)
	}
	if len(ws) == 1 {
		return ws[0]
	}
	return parallelWriter(ws)
}

// parallelWriter feeds every write to each hash on a goroutine of its own
// and returns when all have taken it: md5 and sha512 of a raw output are
// each one sequential chain, so on two cores they cost the slower of the
// two instead of their sum.
type parallelWriter []io.Writer

func (pw parallelWriter) Write(p []byte) (int, error) {
	var wg sync.WaitGroup
	for _, w := range pw[1:] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.Write(p)
		}()
	}
	pw[0].Write(p)
	wg.Wait()
	return len(p), nil
}

func (hs hashSet) sums() map[string]string {
	if len(hs) == 0 {
		return nil
	}
	m := make(map[string]string, len(hs))
	for n, h := range hs {
		m[n] = hex.EncodeToString(h.Sum(nil))
	}
	return m
}

var zeroBlock [1 << 20]byte

func writeZeros(w io.Writer, n int64) {
	for n > 0 {
		k := min(n, int64(len(zeroBlock)))
		w.Write(zeroBlock[:k])
		n -= k
	}
}

// hashReaderAt feeds the size bytes of r, in order, to w. A reader
// goroutine keeps the next chunks coming while w hashes the current one,
// so a read that goes to the disk (a converted output whose pages were
// dropped behind the writer) overlaps the hashing instead of adding to it.
func hashReaderAt(ctx context.Context, r io.ReaderAt, size int64, w io.Writer) error {
	const chunk, ahead = 1 << 20, 4
	type block struct {
		b   []byte
		err error
	}
	full := make(chan block, ahead)
	free := make(chan []byte, ahead+1)
	for range ahead + 1 {
		free <- make([]byte, chunk)
	}
	go func() {
		defer close(full)
		for off := int64(0); off < size; {
			buf := <-free // the consumer returns early only after the error block this goroutine sends last
			if err := ctx.Err(); err != nil {
				full <- block{err: err}
				return
			}
			n, err := r.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
			off += int64(n)
			if err != nil && !(err == io.EOF && off == size) {
				full <- block{b: buf[:n], err: &diskimage.Error{Kind: diskimage.KindIO, Reason: "reading for checksum", Err: err}}
				return
			}
			if n == 0 {
				full <- block{err: &diskimage.Error{Kind: diskimage.KindIO, Reason: "reading for checksum", Err: io.ErrUnexpectedEOF}}
				return
			}
			full <- block{b: buf[:n]}
		}
	}()
	for blk := range full {
		if len(blk.b) > 0 {
			w.Write(blk.b)
		}
		if blk.err != nil {
			return blk.err
		}
		free <- blk.b[:cap(blk.b)]
	}
	return nil
}
