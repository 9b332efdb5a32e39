package main

import (
	"runtime"
	"runtime/debug"
)

// serveGCPercent is the GC target of `stratus serve` unless GOGC is set.
//
// The server's live heap is small (tens of MiB) and its garbage
// short-lived, so at Go's default (GC when the heap doubles) a busy server
// collects hundreds of times a second. At 400 it collects a quarter as
// often for a heap that stays in the tens of MiB: 4 KiB GETs went from 9,800
// to 11,200 per second (docs/decisions.md).
const serveGCPercent = 400

// serveProcsPerCPU is how many Go schedulers (Ps) `stratus serve` runs per
// CPU it may use, unless GOMAXPROCS is set.
//
// stratus mostly runs beside its clients: a developer's tests, a CI job,
// tempest, a load generator. When those take a core, the OS preempts the
// thread that holds one of only NumCPU Ps, and every goroutine queued on that
// P waits out the preemption (3-6 ms under CFS) although another thread could
// run it. With twice as many Ps a runnable goroutine nearly always finds a
// running thread: image GET p99 with wrk on the same two cores fell from
// 12-15 ms to 4.5-5 ms for 5% fewer requests per second (docs/decisions.md).
const serveProcsPerCPU = 2

// tuneServeRuntime applies the server's GC target and scheduler count,
// leaving alone whatever the environment (GOGC, GOMAXPROCS) decides.
func tuneServeRuntime(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
	if getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(serveProcs(runtime.GOMAXPROCS(0)))
	}
}

// serveProcs is the scheduler count for a process that Go's default would
// give procs Ps (the CPUs it may use, cgroup limits included).
func serveProcs(procs int) int {
	return max(procs, 1) * serveProcsPerCPU
}
