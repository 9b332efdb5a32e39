package compute

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/stratus-iaas/stratus/internal/blob"
	"github.com/stratus-iaas/stratus/internal/fault"
	"github.com/stratus-iaas/stratus/internal/image"
	"github.com/stratus-iaas/stratus/internal/policy"
)

// fakeImages is an image service in memory whose bytes are files.
type fakeImages struct {
	dir   string
	blobs *blob.FS
	mu    sync.Mutex
	m     map[string]*image.Image
}

// Test images: a 1 MiB raw image everyone may use, one still queued, one
// that needs 4 GiB of disk, and another project's private one.
const (
	imgRaw     = "11111111-1111-1111-1111-111111111111"
	imgQueued  = "22222222-2222-2222-2222-222222222222"
	imgBig     = "33333333-3333-3333-3333-333333333333"
	imgPrivate = "44444444-4444-4444-4444-444444444444"
)

func newFakeImages(t testing.TB) *fakeImages {
	f := &fakeImages{dir: t.TempDir(), m: map[string]*image.Image{}}
	data := make([]byte, 1<<20)
	copy(data, "stratus test image")
	if err := os.WriteFile(filepath.Join(f.dir, imgRaw), data, 0o600); err != nil {
		t.Fatal(err)
	}
	size, raw := int64(len(data)), "raw"
	add := func(id, owner string, st image.Status, minDisk int64, props map[string]string) {
		f.m[id] = &image.Image{ID: id, Owner: owner, Status: st, Visibility: "public", DiskFormat: &raw, Size: &size,
			VirtualSize: &size, MinDisk: minDisk, BlobKey: imgRaw, Properties: props, CreatedAt: time.Now()}
	}
	add(imgRaw, "p-admin", image.StatusActive, 0, map[string]string{"os_distro": "debian"})
	add(imgQueued, "p-admin", image.StatusQueued, 0, nil)
	add(imgBig, "p-admin", image.StatusActive, 4, nil)
	add(imgPrivate, "p-bob", image.StatusActive, 0, nil)
	f.m[imgPrivate].Visibility = "private"
	return f
}

func (f *fakeImages) path(key string) (string, error) {
	if key == imgRaw {
		return filepath.Join(f.dir, key), nil
	}
	return f.blobs.Path(key)
}

func (f *fakeImages) Image(ctx context.Context, p *policy.Principal, id string) (*image.Image, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	im, ok := f.m[id]
	if !ok || (im.Visibility == "private" && im.Owner != p.ProjectID && !p.IsAdmin()) {
		return nil, fault.NotFoundf("No image found with ID %s", id)
	}
	c := *im
	return &c, nil
}

func (f *fakeImages) CreateImage(ctx context.Context, p *policy.Principal, fl image.Fields) (*image.Image, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	im := &image.Image{ID: uuid.NewString(), Name: fl.Name, Status: image.StatusQueued, Owner: p.ProjectID, Visibility: "private",
		DiskFormat: fl.DiskFormat, ContainerFormat: fl.ContainerFormat, Properties: fl.Properties, CreatedAt: time.Now()}
	if fl.MinDisk != nil {
		im.MinDisk = *fl.MinDisk
	}
	if fl.MinRAM != nil {
		im.MinRAM = *fl.MinRAM
	}
	f.m[im.ID] = im
	c := *im
	return &c, nil
}

func (f *fakeImages) SetStatus(ctx context.Context, id string, from, to image.Status) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	im, ok := f.m[id]
	if !ok {
		return fault.NotFoundf("No image found with ID %s", id)
	}
	if im.Status != from {
		return fault.Conflictf("Image status transition from %s to %s is not allowed", from, to)
	}
	im.Status = to
	return nil
}

func (f *fakeImages) PublishData(ctx context.Context, id, key string, d image.Data) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	im, ok := f.m[id]
	if !ok {
		return fault.NotFoundf("No image found with ID %s", id)
	}
	im.Status, im.BlobKey, im.Size, im.VirtualSize, im.Checksum = image.StatusActive, key, &d.Size, d.VirtualSize, &d.MD5
	return nil
}

func (f *fakeImages) DeleteImage(ctx context.Context, p *policy.Principal, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.m[id]; !ok {
		return fault.NotFoundf("No image found with ID %s", id)
	}
	delete(f.m, id)
	return nil
}

func (f *fakeImages) get(id string) *image.Image {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.m[id]
}

// ListImages filters by properties only, newest first.
func (f *fakeImages) ListImages(ctx context.Context, p *policy.Principal, o image.ListOptions) ([]*image.Image, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*image.Image
	for _, im := range f.m {
		ok := true
		for k, v := range o.Properties {
			ok = ok && im.Properties[k] == v
		}
		if ok {
			c := *im
			out = append(out, &c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, false, nil
}
