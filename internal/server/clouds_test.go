package server

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenRC: the openrc sources in sh to exactly the admin's values,
// whatever characters the password holds, and is private.
func TestOpenRC(t *testing.T) {
	dir := t.TempDir()
	s := &Server{cfg: Config{DataDir: dir, Region: "RegionOne"}, publicURL: "http://127.0.0.1:5000"}
	for _, pw := range []string{"plain", `it's "$HOME" \ ; rm -rf / ` + "`x`", "línea\tdos"} {
		t.Run(pw, func(t *testing.T) {
			if err := s.writeCloudsYAML(pw); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "openrc")
			if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("openrc mode: %v %v", fi, err)
			}
			out, err := exec.Command("sh", "-c", `. "$1" && printf '%s\n%s\n%s\n%s' "$OS_PASSWORD" "$OS_AUTH_URL" "$OS_PROJECT_NAME" "$OS_AUTH_VERSION"`, "sh", path).Output()
			if err != nil {
				t.Fatal(err)
			}
			want := strings.Join([]string{pw, "http://127.0.0.1:5000/identity/v3", "admin", "3"}, "\n")
			if string(out) != want {
				t.Fatalf("sourced %q, want %q", out, want)
			}
		})
	}
}
