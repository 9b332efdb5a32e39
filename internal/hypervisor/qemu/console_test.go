package qemu

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTailLinesAsNova(t *testing.T) {
	// Nova: b'\n'.join(log.split(b'\n')[-n:])
	nova := func(s string, n int) string {
		if n <= 0 {
			return s
		}
		p := strings.Split(s, "\n")
		if len(p) > n {
			p = p[len(p)-n:]
		}
		return strings.Join(p, "\n")
	}
	for _, s := range []string{"", "a", "a\n", "a\nb", "a\nb\n", "\n\n\n", "x\r\ny\r\nz\r\n", "one\ntwo\nthree\nfour\n"} {
		for n := -1; n <= 6; n++ {
			if got, want := string(tailLines([]byte(s), n)), nova(s, n); got != want {
				t.Errorf("tailLines(%q, %d) = %q, want %q", s, n, got, want)
			}
		}
	}
	// tempest's test_get_console_output: length=10 gives exactly 10 pieces.
	var b strings.Builder
	for i := 0; i < 50; i++ {
		b.WriteString("line\n")
	}
	if got := strings.Split(string(tailLines([]byte(b.String()), 10)), "\n"); len(got) != 10 {
		t.Fatalf("got %d pieces", len(got))
	}
}

func TestReadTailAndRotate(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "console.log")
	if b, err := readTail(100, p+".0", p); err != nil || len(b) != 0 {
		t.Fatalf("missing files: %q %v", b, err)
	}
	os.WriteFile(p, []byte(strings.Repeat("0123456789", 30)), 0o600)
	if err := rotateConsole(p, 1000); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(p); st.Size() != 300 {
		t.Fatal("rotated below the limit")
	}
	if err := rotateConsole(p, 100); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(p); st.Size() != 0 {
		t.Fatalf("not emptied: %d", st.Size())
	}
	if b, _ := os.ReadFile(p + ".0"); len(b) != 100 {
		t.Fatalf("kept %d bytes", len(b))
	}
	// QEMU appends to the emptied file; reads span both.
	f, _ := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString("abc\n")
	f.Close()
	b, err := readTail(10, p+".0", p)
	if err != nil || string(b) != "456789abc\n" {
		t.Fatalf("readTail = %q, %v", b, err)
	}
	b, _ = readTail(1000, p+".0", p)
	if len(b) != 104 {
		t.Fatalf("readTail whole = %d bytes", len(b))
	}
}
