package blob

import (
	"context"
	"sync"

	"github.com/stratus-iaas/stratus/internal/pagecache"
)

// Group is an FS whose directory fsyncs are group-committed: each writer
// fsyncs its own file and renames it into place (concurrent writers do
// this in parallel, and the filesystem folds their fsyncs into shared
// journal commits), then waits for a directory fsync that began after its
// rename. One directory fsync thus acknowledges every rename that came
// before it, instead of one fsync per write. Commit keeps FS's promise:
// when it returns, the bytes are durable and visible under the key.
type Group struct {
	*FS
	dirs sync.Map // dir -> *dirSync
}

// NewGroup wraps fs.
func NewGroup(fs *FS) *Group { return &Group{FS: fs} }

// Create implements Store.
func (g *Group) Create(ctx context.Context, key string) (Writer, error) {
	w, err := g.FS.Create(ctx, key)
	if err != nil {
		return nil, err
	}
	fw := w.(*fsWriter)
	fw.dir = g.prepare
	fw.trail = &pagecache.Trail{Step: writebackChunk, Sync: pagecache.Syncer{Every: pagecache.SyncStep}}
	return fw, nil
}

// prepare is the fsWriter hook: the rename into dir is made durable by a
// group-committed directory fsync.
func (g *Group) prepare(dir string) (func() error, error) {
	ds, err := g.dir(dir)
	if err != nil {
		return nil, err
	}
	return ds.sync, nil
}

// dir returns the syncer of dir, creating the directory (and making its
// entry durable) the first time.
func (g *Group) dir(dir string) (*dirSync, error) {
	if v, ok := g.dirs.Load(dir); ok {
		return v.(*dirSync), nil
	}
	if err := ensureDir(dir); err != nil {
		return nil, err
	}
	v, _ := g.dirs.LoadOrStore(dir, &dirSync{path: dir})
	return v.(*dirSync), nil
}

// dirSync group-commits fsyncs of one directory.
type dirSync struct {
	path    string
	mu      sync.Mutex
	cond    *sync.Cond
	seq     uint64 // renames announced
	synced  uint64 // renames covered by a finished fsync
	running bool
	errAt   uint64 // last round that failed covers renames <= errAt
	err     error
}

// sync returns once a directory fsync that started after the caller's
// rename has finished.
func (d *dirSync) sync() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cond == nil {
		d.cond = sync.NewCond(&d.mu)
	}
	d.seq++
	my := d.seq
	for d.synced < my {
		if d.running {
			d.cond.Wait()
			continue
		}
		d.running = true
		target := d.seq
		d.mu.Unlock()
		err := syncDir(d.path)
		d.mu.Lock()
		d.running = false
		d.synced = target
		if err != nil {
			d.err, d.errAt = err, target
		}
		d.cond.Broadcast()
	}
	if d.err != nil && my <= d.errAt {
		return d.err
	}
	return nil
}
