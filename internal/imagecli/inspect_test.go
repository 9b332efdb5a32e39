package imagecli

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stratus-iaas/stratus/internal/diskimage"
)

// qcow2Header writes a minimal qcow2 v3 image (header, refcount table and
// L1 table clusters); backing adds a backing-file name.
func qcow2Header(t *testing.T, dir string, backing string) string {
	t.Helper()
	b := make([]byte, 3*65536)
	copy(b, "QFI\xfb")
	be := binary.BigEndian
	be.PutUint32(b[4:], 3)
	be.PutUint32(b[20:], 16)
	be.PutUint64(b[24:], 1<<20)
	be.PutUint32(b[36:], 1)
	be.PutUint64(b[40:], 2*65536)
	be.PutUint64(b[48:], 65536)
	be.PutUint32(b[56:], 1)
	be.PutUint32(b[96:], 4)
	be.PutUint32(b[100:], 104)
	if backing != "" {
		be.PutUint64(b[8:], 512)
		be.PutUint32(b[16:], uint32(len(backing)))
		copy(b[512:], backing)
	}
	p := filepath.Join(dir, "img.qcow2")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunInspect(t *testing.T) {
	dir := t.TempDir()
	safe := qcow2Header(t, dir, "")
	backedDir := filepath.Join(dir, "b")
	if err := os.Mkdir(backedDir, 0o700); err != nil {
		t.Fatal(err)
	}
	backed := qcow2Header(t, backedDir, "/etc/passwd")

	cases := []struct {
		name       string
		args       []string
		code       int
		stdoutJSON bool
		stderr     string
	}{
		{"safe", []string{safe}, 0, true, ""},
		{"safe declared", []string{"-f", "qcow2", safe}, 0, true, ""},
		{"mismatch", []string{"-f", "raw", safe}, 1, true, "refused: declared format raw does not match the detected format qcow2"},
		{"backing file", []string{backed}, 1, true, `refused: qcow2 image has a backing file "/etc/passwd"`},
		{"missing file", []string{filepath.Join(dir, "nope")}, 1, false, "opening image"},
		{"no args", nil, 2, false, "usage:"},
		{"two files", []string{safe, safe}, 2, false, "usage:"},
		{"bad flag", []string{"-x", safe}, 2, false, "flag provided but not defined"},
		{"bad format", []string{"-f", "floppy", safe}, 2, false, `unknown disk format "floppy"`},
		{"help", []string{"-h"}, 0, false, "usage:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Run(context.Background(), append([]string{"inspect"}, tc.args...), &out, &errb)
			if code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.code, errb.String())
			}
			if !strings.Contains(errb.String(), tc.stderr) {
				t.Errorf("stderr %q lacks %q", errb.String(), tc.stderr)
			}
			if tc.stdoutJSON {
				var info diskimage.Info
				if err := json.Unmarshal(out.Bytes(), &info); err != nil {
					t.Fatalf("stdout is not Info JSON: %v\n%s", err, out.String())
				}
				if info.Format != diskimage.FormatQCOW2 || info.VirtualSize != 1<<20 || info.Safe != (tc.code == 0) {
					t.Errorf("info %+v", info)
				}
				if !strings.Contains(out.String(), "\n  \"format\": \"qcow2\"") {
					t.Errorf("output not indented:\n%s", out.String())
				}
			} else if out.Len() != 0 {
				t.Errorf("unexpected stdout %q", out.String())
			}
		})
	}
}

func TestRunInspectCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	if code := runInspect(ctx, []string{"/dev/null"}, &out, &errb); code != 1 {
		t.Errorf("exit %d", code)
	}
}
