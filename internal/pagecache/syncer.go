package pagecache

import (
	"sync"
	"sync/atomic"
)

// SyncStep is how much a large write lets through between the background
// fdatasyncs a Syncer starts. On the project's VMs the disk acknowledges
// writes into the host's cache and pays for them at the next flush: a
// 1 GiB write fed at 700 MB/s and fsynced once at the end took 2.1-2.4 s
// (the last fsync alone ~0.85 s, however slowly the bytes came), and
// 1.6 s with an fdatasync started every 64 MiB (675 MB/s; 651 at 128 MiB,
// 611 at 256; docs/decisions.md). Swift's object server does the same
// with mb_per_sync.
const SyncStep = 64 << 20

// Syncer starts an fdatasync of a file on its own goroutine each time
// Every more bytes were written, at most one at a time, so the disk
// flushes while the writer goes on and the fsync that ends the write finds
// little left. Wait must be called before the file is closed: it waits
// for the running fdatasync and returns the first error one of them got.
// (An error a background fdatasync reports is not reported again by a
// later fsync of the same descriptor, so it must not be lost.) The zero
// Syncer with an Every is ready to use; Every 0 never syncs.
type Syncer struct {
	Every   int64
	next    int64 // start the next sync once the stream reaches this offset
	running atomic.Bool
	wg      sync.WaitGroup
	mu      sync.Mutex
	err     error
}

// datasync is Datasync; tests replace it.
var datasync = Datasync

// Wrote reports that the file behind fd now holds bytes up to end.
func (s *Syncer) Wrote(fd uintptr, end int64) {
	if s.Every <= 0 {
		return
	}
	if s.next == 0 {
		s.next = s.Every
	}
	if end < s.next || !s.running.CompareAndSwap(false, true) {
		return
	}
	s.next = end + s.Every
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer s.running.Store(false)
		if err := datasync(fd); err != nil {
			s.mu.Lock()
			if s.err == nil {
				s.err = err
			}
			s.mu.Unlock()
		}
	}()
}

// Wait waits for the running fdatasync, if any, and returns the first
// error any of them got.
func (s *Syncer) Wait() error {
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}
