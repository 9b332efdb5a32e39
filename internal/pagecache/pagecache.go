// Package pagecache tells the kernel how stratus uses the files it writes
// front to back (blobs, converted images): start writing them to disk
// early, so the fsync that ends a write finds little left to do, and free
// their pages once written, so a large write keeps reusing a few tens of
// MiB of page cache instead of filling hundreds of MiB with fresh pages
// (which on the project's VMs cost 1.3-2.2 s of system CPU per GiB;
// docs/decisions.md). Elsewhere than Linux the calls do nothing.
package pagecache

// Lag is how far behind the point where writeback was started written
// pages are dropped: far enough for that writeback to have finished, so
// the drop frees them (dirty pages are never dropped).
const Lag = 32 << 20

// Trail follows a file written front to back: each time Step more bytes
// were written it starts their writeback, and drops what was written back
// Lag earlier. The zero Trail with a Step is ready to use.
type Trail struct {
	Step int64
	// Sync, with an Every, also fdatasyncs the file in the background
	// (Syncer); call Sync.Wait before closing the file.
	Sync    Syncer
	flushed int64 // writeback was started below this offset
	dropped int64 // pages below this offset were dropped
}

// Wrote reports that the file behind fd now holds bytes up to end.
func (t *Trail) Wrote(fd uintptr, end int64) {
	t.Sync.Wrote(fd, end)
	if end-t.flushed < t.Step {
		return
	}
	StartWriteback(fd, t.flushed, end-t.flushed)
	if drop := t.flushed - Lag; drop > t.dropped {
		Drop(fd, t.dropped, drop-t.dropped)
		t.dropped = drop
	}
	t.flushed = end
}

// Dropped is the offset below which pages were dropped.
func (t *Trail) Dropped() int64 { return t.dropped }
