package main

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestServeProcs(t *testing.T) {
	for _, tc := range []struct{ procs, want int }{
		{0, 2}, {1, 2}, {2, 4}, {16, 32},
	} {
		if got := serveProcs(tc.procs); got != tc.want {
			t.Errorf("serveProcs(%d) = %d, want %d", tc.procs, got, tc.want)
		}
	}
}

func TestTuneServeRuntimeHonoursEnvironment(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	gc := debug.SetGCPercent(100)
	t.Cleanup(func() { runtime.GOMAXPROCS(procs); debug.SetGCPercent(gc) })

	env := map[string]string{"GOGC": "100", "GOMAXPROCS": "3"}
	runtime.GOMAXPROCS(3)
	tuneServeRuntime(func(k string) string { return env[k] })
	if got := runtime.GOMAXPROCS(0); got != 3 {
		t.Errorf("GOMAXPROCS set: got %d Ps, want 3", got)
	}
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC set: GC percent %d, want 100", got)
	}

	tuneServeRuntime(func(string) string { return "" })
	if got := runtime.GOMAXPROCS(0); got != 6 {
		t.Errorf("GOMAXPROCS unset: got %d Ps, want 6", got)
	}
	if got := debug.SetGCPercent(100); got != serveGCPercent {
		t.Errorf("GOGC unset: GC percent %d, want %d", got, serveGCPercent)
	}
}
