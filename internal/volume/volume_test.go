package volume

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stratus-iaas/stratus/internal/diskimage/convert"
	"github.com/stratus-iaas/stratus/internal/image"
)

func openForWrite(path string) (*os.File, error) { return os.OpenFile(path, os.O_RDWR, 0) }

func TestVolumeLifecycle(t *testing.T) {
	e := newEnv(t)
	v := e.createVolume("alice", map[string]any{"size": 1, "name": " vol-1 ", "metadata": map[string]string{"k": "v"}})
	id := v["id"].(string)
	for k, want := range map[string]any{"name": "vol-1", "size": float64(1), "bootable": "false", "volume_type": DefaultTypeName,
		"availability_zone": "nova", "os-vol-tenant-attr:tenant_id": projAlice, "os-vol-host-attr:host": "n1@local#local",
		"encrypted": false, "multiattach": false} {
		if v[k] != want {
			t.Errorf("%s = %v, want %v", k, v[k], want)
		}
	}
	if st, err := os.Stat(e.store.Path(volumeKey(id))); err != nil || st.Size() != GiB {
		t.Fatalf("volume file: %v %v", st, err)
	}
	// Summary and detailed lists, project isolation.
	l := e.must(e.do("GET", "volumes", "alice", nil), 200).JSON(t)["volumes"].([]any)
	if len(l) != 1 || len(l[0].(map[string]any)) != 3 {
		t.Fatalf("summary list %v", l)
	}
	if l := e.must(e.do("GET", "volumes/detail", "bob", nil), 200).JSON(t)["volumes"].([]any); len(l) != 0 {
		t.Fatalf("bob sees %v", l)
	}
	e.fault(e.do("GET", "volumes/"+id, "bob", nil), 404, "itemNotFound", "Volume "+id+" could not be found.")
	e.fault(e.do("GET", "/volume/v3/"+projAlice+"/volumes/"+id, "bob", nil), 403, "forbidden", "")
	// Update.
	u := e.must(e.do("PUT", "volumes/"+id, "alice", map[string]any{"volume": map[string]any{"name": "vol-2", "description": "d"}}), 200).JSON(t)["volume"].(map[string]any)
	if u["name"] != "vol-2" || u["description"] != "d" || u["metadata"].(map[string]any)["k"] != "v" {
		t.Fatalf("update: %v", u)
	}
	e.fault(e.do("PUT", "volumes/"+id, "alice", map[string]any{"volume": map[string]any{"size": 3}}), 400, "badRequest", "")
	// Extend grows the file; shrinking is refused.
	e.writeVolume(id, 4096, []byte("guest data"))
	e.must(e.do("POST", "volumes/"+id+"/action", "alice", map[string]any{"os-extend": map[string]any{"new_size": 2}}), 202)
	if v := e.waitVolume("alice", id, "available"); v["size"] != float64(2) {
		t.Fatalf("size after extend %v", v["size"])
	}
	if st, _ := os.Stat(e.store.Path(volumeKey(id))); st.Size() != 2*GiB {
		t.Fatalf("file not grown: %d", st.Size())
	}
	e.fault(e.do("POST", "volumes/"+id+"/action", "alice", map[string]any{"os-extend": map[string]any{"new_size": 1}}), 400, "badRequest",
		"Invalid input received: New size for extend must be greater than current size. (current: 2, extended: 1).")
	// Snapshot, then a volume from it and a clone: same bytes.
	sr := e.must(e.do("POST", "snapshots", "alice", map[string]any{"snapshot": map[string]any{"volume_id": id, "name": "s1"}}), 202)
	sid := sr.JSON(t)["snapshot"].(map[string]any)["id"].(string)
	sn := e.waitSnapshot("alice", sid, "available")
	if sn["os-extended-snapshot-attributes:progress"] != "100%" || sn["size"] != float64(2) {
		t.Fatalf("snapshot %v", sn)
	}
	want := e.volumeDigest(id)
	fromSnap := e.createVolume("alice", map[string]any{"snapshot_id": sid})
	clone := e.createVolume("alice", map[string]any{"source_volid": id, "size": 2})
	if got := e.volumeDigest(fromSnap["id"].(string)); got != want || fromSnap["snapshot_id"] != sid {
		t.Fatal("volume from snapshot differs")
	}
	if got := e.volumeDigest(clone["id"].(string)); got != want || clone["source_volid"] != id {
		t.Fatal("clone differs")
	}
	// Deleting a volume with snapshots is refused; the snapshot goes first.
	e.fault(e.do("DELETE", "volumes/"+id, "alice", nil), 400, "badRequest", "")
	// fcx-restore: the volume gets the snapshot's bytes back.
	e.writeVolume(id, 4096, []byte("overwritten"))
	e.must(e.do("POST", "snapshots/"+sid+"/action", "alice", map[string]any{"fcx-restore": map[string]any{}}), 202)
	e.waitVolume("alice", id, "available")
	if e.volumeDigest(id) != want {
		t.Fatal("fcx-restore did not restore the bytes")
	}
	e.must(e.do("DELETE", "snapshots/"+sid, "alice", nil), 202)
	e.must(e.do("DELETE", "volumes/"+id, "alice", nil), 202)
	e.fault(e.do("GET", "volumes/"+id, "alice", nil), 404, "itemNotFound", "")
	if _, err := os.Stat(e.store.Path(volumeKey(id))); !os.IsNotExist(err) {
		t.Fatal("volume file left after delete")
	}
}

func TestVolumeFromImageAndUpload(t *testing.T) {
	e := newEnv(t)
	raw := make([]byte, 3<<20)
	copy(raw[512:], "bootloader")
	copy(raw[2<<20:], strings.Repeat("x", 4096))
	img := e.makeImage("alice", "raw", raw)
	v := e.createVolume("alice", map[string]any{"size": 1, "imageRef": img})
	id := v["id"].(string)
	if v["bootable"] != "true" || v["volume_image_metadata"].(map[string]any)["image_id"] != img {
		t.Fatalf("from image: %v", v)
	}
	b := e.volumeDigest(id)
	if b != rawDigest(t, raw, GiB) {
		t.Fatal("volume bytes differ from the image")
	}
	for _, format := range []string{"raw", "qcow2"} {
		r := e.must(e.do("POST", "volumes/"+id+"/action", "alice", map[string]any{
			"os-volume_upload_image": map[string]any{"image_name": "up-" + format, "disk_format": format}}), 202)
		up := r.JSON(t)["os-volume_upload_image"].(map[string]any)
		if up["status"] != "uploading" || up["disk_format"] != format || up["volume_type"].(map[string]any)["name"] != DefaultTypeName {
			t.Fatalf("upload response %v", up)
		}
		e.waitVolume("alice", id, "available")
		im := waitImage(t, e, up["image_id"].(string))
		if im.MinDisk != 1 || *im.DiskFormat != format {
			t.Fatalf("image %+v", im)
		}
		// The image's bytes, as raw, equal the volume.
		if got := imageDigest(t, e, im); got != b {
			t.Fatalf("%s image bytes differ from the volume", format)
		}
	}
	// A volume smaller than the image's min_disk, an unknown image.
	e.fault(e.do("POST", "volumes", "alice", map[string]any{"volume": map[string]any{"size": 1, "imageRef": "00000000-0000-0000-0000-000000000000"}}),
		400, "badRequest", "Invalid image identifier or unable to access requested image.")
	// Bob cannot use Alice's private image.
	e.fault(e.do("POST", "volumes", "bob", map[string]any{"volume": map[string]any{"size": 1, "imageRef": img}}), 400, "badRequest", "")
}

func waitImage(t *testing.T, e *env, id string) *image.Image {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		im, err := e.images.Image(context.Background(), principals["alice"], id)
		if err != nil {
			t.Fatal(err)
		}
		if im.Status == image.StatusActive {
			return im
		}
		if im.Status == image.StatusKilled {
			t.Fatal("image killed")
		}
	}
	t.Fatal("image not active")
	return nil
}

// rawDigest is the digest of data padded with zeros to size.
func rawDigest(t *testing.T, data []byte, size int64) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "raw")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Write(data)
	f.Truncate(size)
	return readerDigest(t, f, size)
}

// imageDigest is the digest of an image's bytes as raw.
func imageDigest(t *testing.T, e *env, im *image.Image) string {
	t.Helper()
	r, err := e.blobs.Open(context.Background(), im.BlobKey)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	f, err := os.CreateTemp(t.TempDir(), "raw")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := convert.Convert(context.Background(), convert.Source{ReaderAt: r, Size: r.Size()}, f,
		convert.Options{SrcFormat: *im.DiskFormat, DstFormat: "raw"})
	if err != nil {
		t.Fatal(err)
	}
	return readerDigest(t, f, res.VirtualSize)
}
