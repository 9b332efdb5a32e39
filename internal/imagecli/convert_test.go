package imagecli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConvertCLI(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.raw")
	data := make([]byte, 3<<20+512)
	rand.New(rand.NewSource(1)).Read(data[:1<<20])
	copy(data[2<<20:], bytes.Repeat([]byte("stratus "), 1000))
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Run(context.Background(), append([]string{"convert"}, args...), &out, &errb)
		return code, out.String(), errb.String()
	}
	q := filepath.Join(dir, "out.qcow2")
	if code, _, e := run("-f", "raw", "-O", "qcow2", "-o", "compression=on", "-p", src, q); code != 0 {
		t.Fatalf("raw->qcow2: exit %d: %s", code, e)
	} else if !strings.Contains(e, "100.00%") {
		t.Errorf("-p printed no progress: %q", e)
	}
	back := filepath.Join(dir, "back.raw")
	code, out, e := run(q, back, "-O", "raw", "-f", "qcow2", "--checksum", "sha256")
	if code != 0 {
		t.Fatalf("qcow2->raw: exit %d: %s", code, e)
	}
	if e != "" {
		t.Errorf("progress printed without a TTY or -p: %q", e)
	}
	got, err := os.ReadFile(back)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("round trip through compressed qcow2 changed the data")
	}
	sum := sha256.Sum256(data)
	if !strings.Contains(out, "output sha256 "+hex.EncodeToString(sum[:])) {
		t.Errorf("checksum output %q lacks the raw sha256", out)
	}
	v := filepath.Join(dir, "out.vmdk")
	if code, _, e := run("-O", "vmdk", "-q", back, v); code != 0 {
		t.Fatalf("probed raw->vmdk: exit %d: %s", code, e)
	}
	iso := filepath.Join(dir, "cd.iso")
	isoData := make([]byte, 64<<10)
	copy(isoData[32768:], "\x01CD001")
	os.WriteFile(iso, isoData, 0o644)
	if code, _, e := run("-f", "iso", "-O", "raw", iso, back); code != 0 {
		t.Errorf("-f iso: exit %d: %s", code, e)
	}
	// Errors: usage, unknown format, corrupt input.
	if code, _, _ := run("-O", "qcow2", src); code != 2 {
		t.Errorf("one file name: exit %d, want 2", code)
	}
	if code, _, _ := run("-O", "nope", src, q); code != 2 {
		t.Errorf("unknown format: exit %d, want 2", code)
	}
	bad := filepath.Join(dir, "bad.qcow2")
	os.WriteFile(bad, []byte("QFI\xfb\x00\x00\x00\x09garbage"), 0o644)
	if code, _, e := run("-f", "qcow2", "-O", "raw", bad, back); code != 3 || !strings.Contains(e, "qcow2") {
		t.Errorf("corrupt qcow2: exit %d (%s), want 3", code, e)
	}
}

// TestConvertCLISideChecksums: --src-checksum and --out-checksum pick the
// sums of each side (what an import computes), and --sync is accepted.
func TestConvertCLISideChecksums(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.raw")
	data := bytes.Repeat([]byte("side sums "), 52429)[:512<<10]
	os.WriteFile(src, data, 0o644)
	var out, errb bytes.Buffer
	code := Run(context.Background(), []string{"convert", "-f", "raw", "-O", "raw", "--src-checksum", "sha256", "--out-checksum", "md5,sha256",
		"--sync", src, filepath.Join(dir, "out.raw")}, &out, &errb)
	if code != 0 {
		t.Fatalf("code %d: %s", code, errb.String())
	}
	sum := sha256.Sum256(data)
	want := hex.EncodeToString(sum[:])
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || lines[0] != "source sha256 "+want || !strings.HasPrefix(lines[1], "output md5 ") || lines[2] != "output sha256 "+want {
		t.Fatalf("sums:\n%s", out.String())
	}
}
