package blob

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
)

// Group is an FS whose Commits are batched: concurrent writers hand their
// files to one committer, which fsyncs the batch's files in parallel,
// renames them into place and fsyncs each directory touched once, then
// acknowledges every writer. Each Commit keeps FS's promise (durable and
// visible when it returns); a batch of N small writes costs one round of
// fsyncs instead of N rounds of file+directory fsyncs.
type Group struct {
	*FS
	ch   chan *groupReq
	dirs sync.Map // directories known to exist
}

type groupReq struct {
	w    *fsWriter
	done chan error
}

// maxGroup bounds a batch.
const maxGroup = 256

// NewGroup wraps fs. Its committer goroutine lives as long as the process.
func NewGroup(fs *FS) *Group {
	g := &Group{FS: fs, ch: make(chan *groupReq, maxGroup)}
	go g.loop()
	return g
}

// Create implements Store.
func (g *Group) Create(ctx context.Context, key string) (Writer, error) {
	w, err := g.FS.Create(ctx, key)
	if err != nil {
		return nil, err
	}
	return &groupWriter{fsWriter: w.(*fsWriter), g: g}, nil
}

type groupWriter struct {
	*fsWriter
	g *Group
}

func (w *groupWriter) Commit() error {
	if w.done {
		return errors.New("blob: writer already finished")
	}
	w.done = true
	req := &groupReq{w: w.fsWriter, done: make(chan error, 1)}
	w.g.ch <- req
	return <-req.done
}

func (g *Group) loop() {
	for first := range g.ch {
		batch := []*groupReq{first}
	drain:
		for len(batch) < maxGroup {
			select {
			case r := <-g.ch:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		g.commit(batch)
	}
}

func (g *Group) commit(batch []*groupReq) {
	errs := make([]error, len(batch))
	// 1. File data: fsync every file, in parallel so the filesystem can
	// put them in one journal commit.
	var wg sync.WaitGroup
	for i, r := range batch {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.w.f.Sync(); err != nil {
				errs[i] = err
			}
			if err := r.w.f.Close(); err != nil && errs[i] == nil {
				errs[i] = err
			}
		}()
	}
	wg.Wait()
	// 2. Rename into place.
	dirs := map[string]bool{}
	for i, r := range batch {
		tmp := r.w.f.Name()
		if errs[i] != nil {
			os.Remove(tmp)
			continue
		}
		dir := filepath.Dir(r.w.dst)
		if _, ok := g.dirs.Load(dir); !ok {
			if _, err := os.Stat(dir); err != nil {
				if err := os.MkdirAll(dir, 0o700); err != nil {
					errs[i] = err
					os.Remove(tmp)
					continue
				}
				dirs[filepath.Dir(dir)] = true // the new entry in its parent
			}
			g.dirs.Store(dir, true)
		}
		if err := os.Rename(tmp, r.w.dst); err != nil {
			errs[i] = err
			os.Remove(tmp)
			continue
		}
		dirs[dir] = true
	}
	// 3. One fsync per directory touched.
	dirErr := map[string]error{}
	for d := range dirs {
		dirErr[d] = syncDir(d)
	}
	for i, r := range batch {
		if errs[i] == nil {
			errs[i] = dirErr[filepath.Dir(r.w.dst)]
		}
		r.done <- errs[i]
	}
}
