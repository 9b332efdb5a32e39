package convert

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stratus-iaas/stratus/internal/diskimage"
)

// TestStreamSource converts a streamOptimized vmdk read through a plain
// io.Reader (as an import does while downloading) and checks the
// checksums of the stream and of the output.
func TestStreamSource(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "base.raw")
	writeRaw(t, base, mixed, 11)
	src := filepath.Join(dir, "src.vmdk")
	qemuImg(t, "convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", base, src)
	img, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(filepath.Join(dir, "out.raw"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	var last, total int64
	res, err := Convert(context.Background(), Source{Reader: onlyReader{bytes.NewReader(img)}, Size: int64(len(img))}, out,
		Options{SrcFormat: "vmdk", DstFormat: "raw", Hashes: []string{"md5", "sha512"},
			Progress: func(done, tot int64) {
				if done < last {
					t.Errorf("progress went back from %d to %d", last, done)
				}
				last, total = done, tot
			}})
	if err != nil {
		t.Fatal(err)
	}
	if last != total || total != res.VirtualSize {
		t.Errorf("progress ended at %d/%d, virtual size %d", last, total, res.VirtualSize)
	}
	m := md5.Sum(img)
	if res.SrcSums["md5"] != hex.EncodeToString(m[:]) || res.SrcBytes != int64(len(img)) {
		t.Errorf("source md5 %s over %d bytes, want %x over %d", res.SrcSums["md5"], res.SrcBytes, m, len(img))
	}
	got, _ := os.ReadFile(out.Name())
	s := sha512.Sum512(got)
	if res.OutSums["sha512"] != hex.EncodeToString(s[:]) {
		t.Errorf("output sha512 mismatch")
	}
	want, _ := os.ReadFile(base)
	want = append(want, make([]byte, len(got)-len(want))...) // sector padding
	if !bytes.Equal(got, want) {
		t.Error("stream conversion changed the data")
	}
}

type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestCancel(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "base.raw")
	writeRaw(t, base, []region{{'r', 16 << 20}}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	_, err := ConvertFile(ctx, base, filepath.Join(dir, "out.qcow2"), Options{SrcFormat: "raw", DstFormat: "qcow2",
		Compress: true, Progress: func(done, total int64) {
			if done > 0 {
				cancel()
			}
		}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "out.qcow2")); !os.IsNotExist(err) {
		t.Error("a cancelled conversion left its output behind")
	}
}

func TestRefusals(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "base.raw")
	writeRaw(t, base, []region{{'r', 1 << 20}}, 1)
	back := filepath.Join(dir, "child.qcow2")
	qemuImg(t, "create", "-f", "qcow2", "-b", base, "-F", "raw", back)
	out := filepath.Join(dir, "out.raw")
	if _, err := ConvertFile(context.Background(), back, out, Options{SrcFormat: "qcow2", DstFormat: "raw"}); diskimage.KindOf(err) != diskimage.KindUnsafe {
		t.Errorf("qcow2 with a backing file: %v, want an unsafe error", err)
	}
	// Even with the inspector skipped the reader refuses it.
	if _, err := ConvertFile(context.Background(), back, out, Options{SrcFormat: "qcow2", DstFormat: "raw", SkipInspect: true}); diskimage.KindOf(err) != diskimage.KindUnsafe {
		t.Errorf("qcow2 with a backing file, no inspector: %v, want an unsafe error", err)
	}
	if _, err := ConvertFile(context.Background(), base, out, Options{SrcFormat: "qcow2", DstFormat: "raw"}); err == nil {
		t.Error("raw declared as qcow2 was converted")
	}
	if _, err := ConvertFile(context.Background(), base, out, Options{DstFormat: "raw", Hashes: []string{"crc32"}}); diskimage.KindOf(err) != diskimage.KindUnsupported {
		t.Errorf("unknown hash: %v", err)
	}
	if _, err := ConvertFile(context.Background(), base, base, Options{DstFormat: "raw"}); err == nil {
		t.Error("converting a file onto itself was accepted")
	} else if fi, _ := os.Stat(base); fi.Size() != 1<<20 {
		t.Error("converting a file onto itself truncated it")
	}
	if _, err := ConvertFile(context.Background(), base, out, Options{DstFormat: "vdi"}); diskimage.KindOf(err) != diskimage.KindUnsupported {
		t.Errorf("unknown output format: %v", err)
	}
}
