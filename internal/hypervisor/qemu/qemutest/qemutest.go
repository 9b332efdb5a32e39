// Package qemutest holds what the QEMU driver's tests and the end-to-end
// tests share: a tiny guest they assemble themselves, and a look at /proc
// for the QEMU processes a test left.
package qemutest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stratus-iaas/stratus/internal/testutil"
)

// TinyLine is what the tiny guest writes to its serial port (COM1).
const TinyLine = "stratus tiny guest says hello"

// TinyAsm is a BIOS boot sector (nasm) that sets up COM1 at 115200 8N1,
// writes TinyLine and halts.
const TinyAsm = `bits 16
org 0x7c00
  cli
  xor ax, ax
  mov ds, ax
  mov dx, 0x3f9
  xor al, al
  out dx, al
  mov dx, 0x3fb
  mov al, 0x80
  out dx, al
  mov dx, 0x3f8
  mov al, 1
  out dx, al
  mov dx, 0x3f9
  xor al, al
  out dx, al
  mov dx, 0x3fb
  mov al, 3
  out dx, al
  mov si, msg
next:
  lodsb
  test al, al
  jz halt
  mov ah, al
  mov dx, 0x3fd
wait_tx:
  in al, dx
  test al, 0x20
  jz wait_tx
  mov dx, 0x3f8
  mov al, ah
  out dx, al
  jmp next
halt:
  hlt
  jmp halt
msg: db "` + TinyLine + `", 13, 10, 0
times 510-($-$$) db 0
dw 0xaa55
`

// TinyDisk assembles the boot sector with nasm and returns a raw disk of
// size bytes that holds it.
func TinyDisk(t testing.TB, size int64) string {
	t.Helper()
	nasm := testutil.RequireTool(t, "nasm")
	dir := t.TempDir()
	src, bin, disk := filepath.Join(dir, "boot.asm"), filepath.Join(dir, "boot.bin"), filepath.Join(dir, "tiny.raw")
	if err := os.WriteFile(src, []byte(TinyAsm), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(nasm, "-f", "bin", "-o", bin, src).CombinedOutput(); err != nil {
		t.Fatalf("nasm: %v\n%s", err, out)
	}
	b, err := os.ReadFile(bin)
	if err != nil || len(b) != 512 {
		t.Fatalf("boot sector: %d bytes, %v", len(b), err)
	}
	if err := os.WriteFile(disk, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(disk, size); err != nil {
		t.Fatal(err)
	}
	return disk
}

// Pids lists the live QEMU processes whose command line holds s (a
// server id, a test's directory).
func Pids(s string) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		st, _ := os.ReadFile("/proc/" + e.Name() + "/stat")
		if bytes.Contains(b, []byte("qemu-system")) && bytes.Contains(b, []byte(s)) && !bytes.Contains(st, []byte(") Z ")) {
			out = append(out, pid)
		}
	}
	return out
}
