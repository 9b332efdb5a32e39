package objectstore

import (
	"hash"
	"io"
	"sync"
)

const pipeChunk = 1 << 20

var chunkPool = sync.Pool{New: func() any { b := make([]byte, pipeChunk); return &b }}

// hashCopy copies src to dst while hashing, with reading, hashing and
// writing running concurrently on 1 MiB chunks: a large PUT then costs
// about the slowest of the three instead of their sum. It stops after
// limit bytes (returning limit+1 when src has more).
func hashCopy(dst io.Writer, h hash.Hash, src io.Reader, limit int64) (int64, error) {
	type chunk struct {
		b   *[]byte
		n   int
		err error
	}
	full := make(chan chunk, 2)
	stop := make(chan struct{})
	go func() {
		defer close(full)
		var read int64
		for read <= limit {
			bp := chunkPool.Get().(*[]byte)
			n, err := io.ReadFull(src, *bp)
			read += int64(n)
			if err == io.ErrUnexpectedEOF {
				err = io.EOF
			}
			select {
			case full <- chunk{bp, n, err}:
			case <-stop:
				chunkPool.Put(bp)
				return
			}
			if err != nil {
				return
			}
		}
	}()
	defer func() {
		close(stop)
		for c := range full {
			chunkPool.Put(c.b)
		}
	}()
	var total int64
	for c := range full {
		if c.n > 0 {
			b := (*c.b)[:c.n]
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { h.Write(b); wg.Done() }()
			_, werr := dst.Write(b)
			wg.Wait()
			total += int64(c.n)
			if werr != nil {
				chunkPool.Put(c.b)
				return total, werr
			}
		}
		chunkPool.Put(c.b)
		if c.err == io.EOF {
			return total, nil
		}
		if c.err != nil {
			return total, c.err
		}
		if total > limit {
			return total, nil
		}
	}
	return total, nil
}
