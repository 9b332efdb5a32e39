package convert

import (
	"context"
	"io"
	"sync"

	"github.com/stratus-iaas/stratus/internal/diskimage"
	"github.com/stratus-iaas/stratus/internal/diskimage/convert/disk"
)

// job is one chunk (or a run of chunks without data) of the virtual disk.
type job struct {
	off, n int64
	pieces []disk.Extent // nil: the whole range reads as zeros
	buf    []byte
	enc    any
	err    error
	done   chan struct{}
}

type pipeline struct {
	rd       disk.Reader
	wr       disk.Writer
	format   string // source format, for errors
	workers  int
	onCommit func(off, n int64, p []byte) error
	bufs     chan []byte // free chunk buffers (a sync.Pool would drop them at each GC)
	spans    sync.Pool
}

func (pl *pipeline) getBuf() []byte {
	select {
	case b := <-pl.bufs:
		return b
	default:
		return make([]byte, disk.ChunkSize)
	}
}

func (pl *pipeline) putBuf(b []byte) {
	select {
	case pl.bufs <- b[:cap(b)]:
	default:
	}
}

// run moves every extent of rd through the workers into wr, in order.
func (pl *pipeline) run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pl.bufs = make(chan []byte, 2*pl.workers+4)
	work := make(chan *job, pl.workers)
	ordered := make(chan *job, pl.workers+2)
	var wg sync.WaitGroup
	for range pl.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				pl.encode(j)
				close(j.done)
			}
		}()
	}
	prodErr := make(chan error, 1)
	go func() {
		err := pl.produce(ctx, work, ordered)
		close(work)
		close(ordered)
		prodErr <- err
	}()
	var err error
	for j := range ordered {
		if err != nil {
			continue // drain
		}
		select {
		case <-j.done:
		case <-ctx.Done():
			err = ctx.Err()
			cancel()
			continue
		}
		if j.err != nil {
			err = j.err
		} else if err = pl.wr.Commit(j.off, j.n, j.buf, j.enc); err == nil && pl.onCommit != nil {
			err = pl.onCommit(j.off, j.n, j.buf)
		}
		if j.buf != nil {
			pl.putBuf(j.buf)
		}
		if err != nil {
			cancel()
		}
	}
	wg.Wait()
	if perr := <-prodErr; err == nil {
		err = perr
	}
	return err
}

func (pl *pipeline) encode(j *job) {
	j.buf = pl.getBuf()[:j.n]
	var covered int64
	for _, x := range j.pieces {
		covered += x.Len
	}
	if covered != j.n {
		clear(j.buf)
	}
	for i := 0; i < len(j.pieces); {
		x := &j.pieces[i]
		if x.Decode != nil {
			n, err := pl.fetchCompressed(j, i)
			if err != nil {
				j.err = err
				return
			}
			i += n
			continue
		}
		rel := x.Off - j.off
		if err := x.Fetch(j.buf[rel:rel+x.Len], pl.format); err != nil {
			j.err = err
			return
		}
		i++
	}
	j.pieces = nil
	j.enc, j.err = pl.wr.Encode(j.off, j.buf)
}

// maxSpan bounds one read of adjacent compressed extents.
const maxSpan = 4 << 20

// fetchCompressed reads the compressed extents j.pieces[i:] that lie next
// to each other in the source (as qemu-img and VMware write them) with one
// read, decodes them, and returns how many it handled.
func (pl *pipeline) fetchCompressed(j *job, i int) (int, error) {
	first := &j.pieces[i]
	start, end := first.SrcOff, first.SrcOff+first.SrcLen
	n := 1
	for k := i + 1; k < len(j.pieces); k++ {
		x := &j.pieces[k]
		if x.Decode == nil || x.Src != first.Src || x.SrcOff < start || x.SrcOff > end+4096 ||
			max(end, x.SrcOff+x.SrcLen)-start > maxSpan {
			break
		}
		end = max(end, x.SrcOff+x.SrcLen)
		n++
	}
	sp, _ := pl.spans.Get().(*[]byte)
	if sp == nil {
		b := make([]byte, 0, 1<<20)
		sp = &b
	}
	defer pl.spans.Put(sp)
	if int64(cap(*sp)) < end-start {
		*sp = make([]byte, end-start)
	}
	span := (*sp)[:end-start]
	if err := disk.ReadFullAt(first.Src, span, start, pl.format, "compressed data"); err != nil {
		return 0, err
	}
	for k := i; k < i+n; k++ {
		x := &j.pieces[k]
		rel := x.Off - j.off
		o := x.SrcOff - start
		if err := x.Decode(j.buf[rel:rel+x.Len], span[o:o+x.SrcLen]); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// produce cuts the extent stream into chunk jobs.
func (pl *pipeline) produce(ctx context.Context, work, ordered chan<- *job) error {
	size := pl.rd.Size()
	var cur *job  // chunk being filled
	var zero *job // pending run of zero chunks
	var pos int64 // next virtual offset expected
	var carry disk.Extent
	haveCarry := false
	send := func(j *job) error {
		select {
		case ordered <- j:
		case <-ctx.Done():
			return ctx.Err()
		}
		if j.pieces == nil {
			close(j.done)
			return nil
		}
		select {
		case work <- j:
		case <-ctx.Done():
			return ctx.Err()
		}
		return nil
	}
	flushZero := func() error {
		if zero == nil {
			return nil
		}
		z := zero
		zero = nil
		return send(z)
	}
	for pos < size {
		if err := ctx.Err(); err != nil {
			return err
		}
		var x disk.Extent
		if haveCarry {
			x, haveCarry = carry, false
		} else {
			var err error
			x, err = pl.rd.Next()
			if err == io.EOF {
				return diskimage.Errorf(diskimage.KindCorrupt, pl.format, "image ends at %d before its virtual size %d", pos, size)
			}
			if err != nil {
				return err
			}
			if x.Off != pos || x.Len <= 0 || x.Off+x.Len > size {
				return diskimage.Errorf(diskimage.KindCorrupt, pl.format, "extent [%d,+%d) out of order at %d", x.Off, x.Len, pos)
			}
		}
		cend := disk.ChunkEnd(pos, size)
		if x.Kind == disk.Data && x.Off+x.Len > cend {
			return diskimage.Errorf(diskimage.KindCorrupt, pl.format, "data extent crosses a chunk boundary at %d", cend)
		}
		if x.Kind != disk.Data && cur == nil {
			// Whole chunks of zeros join the pending zero run.
			if pos%disk.ChunkSize == 0 && x.Off+x.Len >= cend {
				end := x.Off + x.Len
				if end < size {
					end -= end % disk.ChunkSize
				}
				if zero == nil {
					zero = &job{off: pos, done: make(chan struct{})}
				}
				zero.n += end - pos
				if end < x.Off+x.Len {
					carry, haveCarry = disk.Extent{Off: end, Len: x.Off + x.Len - end, Kind: x.Kind}, true
				}
				pos = end
				continue
			}
		}
		if cur == nil {
			if err := flushZero(); err != nil {
				return err
			}
			cur = &job{off: pos, n: cend - pos, pieces: make([]disk.Extent, 0, 4), done: make(chan struct{})}
		}
		if x.Off+x.Len > cend { // a zero extent running past this chunk
			carry, haveCarry = disk.Extent{Off: cend, Len: x.Off + x.Len - cend, Kind: x.Kind}, true
			x.Len = cend - x.Off
		}
		if x.Kind == disk.Data {
			cur.pieces = append(cur.pieces, x)
		}
		pos = x.Off + x.Len
		if pos == cend {
			if len(cur.pieces) == 0 {
				cur.pieces = nil
			}
			if err := send(cur); err != nil {
				return err
			}
			cur = nil
		}
	}
	if err := flushZero(); err != nil {
		return err
	}
	// Let the reader consume and check its trailer (stream formats).
	if x, err := pl.rd.Next(); err != io.EOF {
		if err != nil {
			return err
		}
		return diskimage.Errorf(diskimage.KindCorrupt, pl.format, "data beyond the virtual size at %d", x.Off)
	}
	return nil
}
