package pagecache

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
)

func TestSyncerSteps(t *testing.T) {
	var calls atomic.Int32
	release := make(chan struct{})
	datasync = func(fd uintptr) error { calls.Add(1); <-release; return nil }
	defer func() { datasync = Datasync }()

	s := &Syncer{Every: 100}
	s.Wrote(3, 99) // below the first step
	if calls.Load() != 0 {
		t.Fatal("synced before Every bytes")
	}
	s.Wrote(3, 100) // starts one
	for calls.Load() == 0 {
		runtime.Gosched()
	}
	s.Wrote(3, 250) // one is running: none more
	close(release)
	if err := s.Wait(); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 1 {
		t.Fatalf("%d syncs while one was running, want 1", calls.Load())
	}
	s.Wrote(3, 199) // the next step is 100 past where the last one started
	if err := s.Wait(); err != nil || calls.Load() != 1 {
		t.Fatalf("synced before the next step: %d", calls.Load())
	}
	s.Wrote(3, 200)
	if err := s.Wait(); err != nil || calls.Load() != 2 {
		t.Fatalf("no sync at the next step: %d", calls.Load())
	}

	var z Syncer // Every 0: never
	z.Wrote(3, 1<<40)
	if err := z.Wait(); err != nil || calls.Load() != 2 {
		t.Fatalf("zero Syncer synced: %d", calls.Load())
	}
}

// An error of a background fdatasync is returned by Wait: a later fsync of
// the same descriptor would not report it again.
func TestSyncerKeepsError(t *testing.T) {
	boom := errors.New("EIO")
	datasync = func(fd uintptr) error { return boom }
	defer func() { datasync = Datasync }()
	s := &Syncer{Every: 1}
	s.Wrote(3, 1)
	if err := s.Wait(); !errors.Is(err, boom) {
		t.Fatalf("Wait = %v, want the sync's error", err)
	}
}

func TestSyncerRealFile(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := &Syncer{Every: 4096}
	buf := make([]byte, 4096)
	for off := int64(0); off < 64<<10; off += 4096 {
		if _, err := f.Write(buf); err != nil {
			t.Fatal(err)
		}
		s.Wrote(f.Fd(), off+4096)
	}
	if err := s.Wait(); err != nil {
		t.Fatal(err)
	}
}
