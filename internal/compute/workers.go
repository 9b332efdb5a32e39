package compute

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/stratus-iaas/stratus/internal/fault"
)

// workers run driver operations in the background: at most n at once,
// and one at a time per server, in the order they were queued (Nova's
// compute manager serializes an instance's operations the same way).
type workers struct {
	ctx    context.Context
	cancel context.CancelFunc
	sem    chan struct{}
	log    *slog.Logger
	wg     sync.WaitGroup

	mu     sync.Mutex
	queues map[string][]func(context.Context) // per server; the head is running
}

func newWorkers(n int, log *slog.Logger) *workers {
	ctx, cancel := context.WithCancel(context.Background())
	return &workers{ctx: ctx, cancel: cancel, sem: make(chan struct{}, n), log: log, queues: map[string][]func(context.Context){}}
}

// run queues fn for server id. fn gets a context that ends at shutdown.
func (w *workers) run(id string, fn func(ctx context.Context)) {
	w.mu.Lock()
	if w.ctx.Err() != nil {
		w.mu.Unlock()
		return
	}
	q := w.queues[id]
	w.queues[id] = append(q, fn)
	first := len(q) == 0
	w.mu.Unlock()
	if first {
		w.wg.Add(1)
		go w.drain(id)
	}
}

func (w *workers) drain(id string) {
	defer w.wg.Done()
	for {
		w.mu.Lock()
		q := w.queues[id]
		if len(q) == 0 {
			delete(w.queues, id)
			w.mu.Unlock()
			return
		}
		fn := q[0]
		w.mu.Unlock()
		select {
		case w.sem <- struct{}{}:
			w.call(id, fn)
			<-w.sem
		case <-w.ctx.Done():
		}
		w.mu.Lock()
		if q := w.queues[id]; len(q) > 0 {
			w.queues[id] = q[1:]
		}
		w.mu.Unlock()
	}
}

// call runs fn; a panic fails that operation only.
func (w *workers) call(id string, fn func(context.Context)) {
	defer func() {
		if v := recover(); v != nil {
			w.log.Error("compute operation panicked", "server", id, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		}
	}()
	if w.ctx.Err() == nil {
		fn(w.ctx)
	}
}

// busy reports whether operations are queued or running for server id.
func (w *workers) busy(id string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.queues[id]) > 0
}

// idle waits until no operation is queued or running (tests).
func (w *workers) idle() {
	for {
		w.mu.Lock()
		n := len(w.queues)
		w.mu.Unlock()
		if n == 0 {
			return
		}
		waitTick()
	}
}

func (w *workers) close() {
	w.mu.Lock()
	w.cancel()
	w.mu.Unlock()
	w.wg.Wait()
}

func waitTick() { time.Sleep(time.Millisecond) }

// do runs fn on server id's queue and waits for it (an operation the API
// answers with its outcome, such as an interface attach).
func (w *workers) do(ctx context.Context, id string, fn func(ctx context.Context) error) error {
	done := make(chan error, 1)
	w.run(id, func(wctx context.Context) { done <- fn(wctx) })
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-w.ctx.Done():
		return fault.New(fault.Unavailable, "The compute service is shutting down.")
	}
}
