package qemu

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"sync"

	"github.com/stratus-iaas/stratus/internal/hypervisor"
)

// baseCache keeps one raw copy of each image servers boot from
// (base/IMAGE.raw), made by hypervisor.MakeRootDisk: a reflink or sparse
// copy of a raw image, else the disk-image engine's conversion, which
// inspects the image first. Images are immutable once active, so a copy
// made once serves every later server of that image; it is read-only and
// removed when no server reads through to it any more.
type baseCache struct {
	dir  string
	mu   sync.Mutex
	busy map[string]*sync.Mutex // one builder per image
}

var imageIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

func (c *baseCache) path(imageID string) string { return filepath.Join(c.dir, imageID+".raw") }

func (c *baseCache) lock(imageID string) func() {
	c.mu.Lock()
	m := c.busy[imageID]
	if m == nil {
		m = &sync.Mutex{}
		c.busy[imageID] = m
	}
	c.mu.Unlock()
	m.Lock()
	return m.Unlock
}

// get returns the raw copy of img, making it if needed.
func (c *baseCache) get(ctx context.Context, img hypervisor.Image) (string, error) {
	if !imageIDRE.MatchString(img.ID) || img.ID == "." || img.ID == ".." {
		return "", fmt.Errorf("qemu driver: image id %q", img.ID)
	}
	defer c.lock(img.ID)()
	p := c.path(img.ID)
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	if err := hypervisor.MakeRootDisk(ctx, img, p, 0); err != nil {
		return "", err
	}
	// QEMU needs a disk of whole sectors.
	if st, err := os.Stat(p); err == nil && st.Size()%512 != 0 {
		os.Truncate(p, (st.Size()+511)/512*512)
	}
	if err := os.Chmod(p, 0o400); err != nil {
		return "", err
	}
	return p, syncDir(c.dir)
}

// release removes the copy of imageID unless inUse says a server still
// reads through to it.
func (c *baseCache) release(imageID string, inUse func(string) bool) {
	if imageID == "" {
		return
	}
	defer c.lock(imageID)()
	if !inUse(imageID) {
		os.Remove(c.path(imageID))
	}
}

func (d *Driver) baseInUse(imageID string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.claims {
		if c.image == imageID {
			return true
		}
	}
	return false
}

// claim is what a server holds that others must not take: its VNC
// display, SSH port and base image. Guarded by d.mu (not the server's
// lock), so that allocation sees every server at once.
type claim struct {
	vnc, ssh int
	image    string
}

// allocate gives m a VNC display and (when wanted) an SSH port that no
// other server holds and that are free now, keeping the ones it has when
// they still are.
func (d *Driver) allocate(id string, m *Machine, wantSSH bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	usedVNC, usedSSH := map[int]bool{}, map[int]bool{}
	for other, c := range d.claims {
		if other != id {
			usedVNC[c.vnc], usedSSH[c.ssh] = true, true
		}
	}
	if m.VNCDisplay < vncFirst || usedVNC[m.VNCDisplay] || !portFree(5900+m.VNCDisplay) {
		start := m.VNCDisplay + 1
		if m.VNCDisplay < vncFirst {
			// A new server starts anywhere: drivers of other processes
			// (nodes, test binaries) would otherwise all try one display first.
			start = vncFirst + rand.IntN(vncCount)
		}
		n, err := pickVNCDisplay(usedVNC, start)
		if err != nil {
			return err
		}
		m.VNCDisplay = n
	}
	if wantSSH && (m.SSHPort == 0 || usedSSH[m.SSHPort] || !portFree(m.SSHPort)) {
		p, err := pickPort(usedSSH)
		if err != nil {
			return err
		}
		m.SSHPort = p
	}
	c := d.claims[id]
	c.vnc, c.ssh = m.VNCDisplay, m.SSHPort
	d.claims[id] = c
	return nil
}

func (d *Driver) claimImage(id, image string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c := d.claims[id]
	c.image = image
	d.claims[id] = c
}

func (d *Driver) unclaim(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.claims, id)
}
