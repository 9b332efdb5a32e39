package qemu

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
)

// qcow2 layout constants for the overlays stratus writes (QEMU's
// docs/interop/qcow2.rst).
const (
	ovClusterBits   = 16 // QEMU's default
	copyClusterBits = 16 // larger clusters made snapshot copies no faster, only larger
	ovHeaderLen     = 104
	extBackingFmt   = 0xE2792ACA
	maxBackingLen   = 1023 // QEMU refuses longer backing file names
)

// CreateOverlay writes an empty qcow2 (v3) image of size bytes at path
// whose reads fall through to backing, a file of format backingFmt ("raw"
// or "qcow2"), and whose writes stay in the overlay. The image is the
// server's root disk; it is internal (never user content), so the backing
// file name — which the disk-image engine rightly refuses in uploads — is
// written here by stratus itself and always names a file stratus owns.
//
// Layout: cluster 0 holds the header, the backing-format extension and the
// backing file name; cluster 1 the refcount table; cluster 2 its one
// refcount block; clusters 3… the (empty) L1 table. QEMU allocates
// everything else as the guest writes.
func CreateOverlay(path, backing, backingFmt string, size int64) error {
	if backing == "" {
		return fmt.Errorf("overlay: no backing file")
	}
	return createQcow2(path, backing, backingFmt, size, ovClusterBits)
}

// CreateEmpty writes an empty qcow2 (v3) image of size bytes at path, for
// QEMU to copy into: its unwritten clusters read as zeros and cost no
// space.
func CreateEmpty(path string, size int64) error {
	return createQcow2(path, "", "", size, copyClusterBits)
}

func createQcow2(path, backing, backingFmt string, size int64, clusterBits int) error {
	if backing != "" && !filepath.IsAbs(backing) {
		return fmt.Errorf("overlay: backing file %q is not an absolute path", backing)
	}
	if len(backing) > maxBackingLen {
		return fmt.Errorf("overlay: backing file name longer than %d bytes", maxBackingLen)
	}
	if backing != "" && backingFmt != "raw" && backingFmt != "qcow2" {
		return fmt.Errorf("overlay: backing format %q", backingFmt)
	}
	if size <= 0 || size%512 != 0 {
		return fmt.Errorf("overlay: size %d is not a positive multiple of 512", size)
	}
	img, err := overlayBytes(backing, backingFmt, size, clusterBits)
	if err != nil {
		return err
	}
	if err := writeFileSync(path, img); err != nil {
		return fmt.Errorf("overlay: %w", err)
	}
	return nil
}

// writeFileSync writes b to path through a temporary file that is
// fsynced, renamed over path, and its directory fsynced: path holds the
// old bytes or all the new ones, durably.
func writeFileSync(path string, b []byte) error {
	tmp := path + ".part"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(path))
}

// overlayBytes is the whole overlay file (it is small: 4 clusters for any
// disk up to 4 TiB).
func overlayBytes(backing, backingFmt string, size int64, clusterBits int) ([]byte, error) {
	cs := int64(1) << clusterBits
	perL1 := cs * (cs / 8) // guest bytes one L1 entry maps
	l1Entries := (size + perL1 - 1) / perL1
	l1Clusters := (l1Entries*8 + cs - 1) / cs
	total := 3 + l1Clusters
	if total > cs/2 { // one refcount block (16-bit entries) covers cs/2 clusters
		return nil, fmt.Errorf("overlay: size %d too large", size)
	}
	b := make([]byte, total*cs)
	be := binary.BigEndian

	// Header extensions, then the backing file name, all in cluster 0.
	off := int64(ovHeaderLen)
	if backing != "" {
		be.PutUint32(b[off:], extBackingFmt)
		be.PutUint32(b[off+4:], uint32(len(backingFmt)))
		copy(b[off+8:], backingFmt)
		off += 8 + (int64(len(backingFmt))+7)/8*8
	}
	off += 8 // end-of-extensions: type 0, length 0
	nameOff := off
	copy(b[nameOff:], backing)
	if backing == "" {
		nameOff = 0
	}

	be.PutUint32(b[0:], 0x514649fb) // "QFI\xfb"
	be.PutUint32(b[4:], 3)          // version
	be.PutUint64(b[8:], uint64(nameOff))
	be.PutUint32(b[16:], uint32(len(backing)))
	be.PutUint32(b[20:], uint32(clusterBits))
	be.PutUint64(b[24:], uint64(size))
	be.PutUint32(b[32:], 0) // no encryption
	be.PutUint32(b[36:], uint32(l1Entries))
	be.PutUint64(b[40:], uint64(3*cs)) // L1 table
	be.PutUint64(b[48:], uint64(cs))   // refcount table
	be.PutUint32(b[56:], 1)            // refcount table clusters
	// nb_snapshots, snapshots_offset, incompatible, compatible and
	// autoclear features stay 0.
	be.PutUint32(b[96:], 4) // refcount_order: 16-bit refcounts
	be.PutUint32(b[100:], ovHeaderLen)

	be.PutUint64(b[cs:], uint64(2*cs)) // refcount table → block at cluster 2
	for i := int64(0); i < total; i++ {
		be.PutUint16(b[2*cs+2*i:], 1)
	}
	return b, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
