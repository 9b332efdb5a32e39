package convert

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestDeclaredRawKinds converts ISOs and partitioned disks declared as
// what they are (or not declared): they are raw disks to the readers, for
// both a file and a stream.
func TestDeclaredRawKinds(t *testing.T) {
	iso := make([]byte, 64<<10)
	copy(iso[32768:], "\x01CD001")
	mbr := make([]byte, 64<<10)
	mbr[510], mbr[511] = 0x55, 0xaa
	mbr[446+4] = 0x83 // one Linux partition
	gpt := bytes.Clone(mbr)
	gpt[446+4] = 0xee // protective
	copy(gpt[512:], "EFI PART")
	for _, c := range []struct {
		declared string
		image    []byte
	}{
		{"iso", iso}, {"", iso},
		{"mbr", mbr}, {"", mbr},
		{"gpt", gpt}, {"", gpt},
	} {
		t.Run(c.declared+"/"+detectName(c.image), func(t *testing.T) {
			dir := t.TempDir()
			src := filepath.Join(dir, "src")
			if err := os.WriteFile(src, c.image, 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out.raw")
			res, err := ConvertFile(context.Background(), src, out, Options{SrcFormat: c.declared, DstFormat: "raw"})
			if err != nil {
				t.Fatalf("file: %v", err)
			}
			if got, _ := os.ReadFile(out); !bytes.Equal(got, c.image) || res.SrcFormat != "raw" {
				t.Errorf("file: read as %q, output differs: %v", res.SrcFormat, !bytes.Equal(got, c.image))
			}
			if _, err := ConvertFile(context.Background(), src, out, Options{SrcFormat: c.declared, DstFormat: "raw", SkipInspect: true}); err != nil {
				t.Fatalf("file, not inspected: %v", err)
			}
			f, err := os.Create(filepath.Join(dir, "stream.raw"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			src2 := Source{Reader: bytes.NewReader(c.image), Size: int64(len(c.image))}
			if res, err := Convert(context.Background(), src2, f, Options{SrcFormat: c.declared, DstFormat: "raw"}); err != nil || res.SrcFormat != "raw" {
				t.Fatalf("stream: %v %+v", err, res)
			}
		})
	}
}

func detectName(b []byte) string {
	switch {
	case bytes.Contains(b, []byte("EFI PART")):
		return "gpt"
	case bytes.Contains(b, []byte("CD001")):
		return "iso"
	}
	return "mbr"
}
