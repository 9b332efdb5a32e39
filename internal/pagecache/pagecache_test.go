package pagecache

import (
	"os"
	"path/filepath"
	"testing"
)

func TestTrail(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const mib = 1 << 20
	tr := &Trail{Step: 8 * mib}
	steps := []struct {
		end, flushed, dropped int64
	}{
		{4 * mib, 0, 0},               // less than a step: nothing
		{8 * mib, 8 * mib, 0},         // a step: writeback started
		{40 * mib, 40 * mib, 0},       // writeback from 8 MiB; 8 - Lag < 0: nothing to drop
		{48 * mib, 48 * mib, 8 * mib}, // drop below 40 - 32
		{50 * mib, 48 * mib, 8 * mib}, // less than a step again
		{100 * mib, 100 * mib, 16 * mib},
	}
	for _, s := range steps {
		tr.Wrote(f.Fd(), s.end)
		if tr.flushed != s.flushed || tr.Dropped() != s.dropped {
			t.Fatalf("after %d: flushed %d dropped %d, want %d %d", s.end, tr.flushed, tr.Dropped(), s.flushed, s.dropped)
		}
	}
}
