// Package testutil holds helpers shared by tests across stratus packages.
package testutil

import (
	"os"
	"os/exec"
	"testing"
)

// RequireToolsEnv is the environment variable that turns a missing external
// tool from a skip into a failure. CI sets it to "1" so that golden tests
// against qemu-img and friends can never silently stop running there.
const RequireToolsEnv = "STRATUS_REQUIRE_TOOLS"

// RequireTool returns the absolute path of the executable name (looked up in
// PATH, then in /usr/bin and /usr/sbin, where Debian puts qemu-img and
// friends even when PATH is minimal). When it cannot be found the test is
// skipped, unless STRATUS_REQUIRE_TOOLS=1, in which case it fails.
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/bin", "/usr/sbin", "/usr/local/bin"} {
		p := dir + "/" + name
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	if os.Getenv(RequireToolsEnv) == "1" {
		t.Fatalf("required tool %q not found and %s=1", name, RequireToolsEnv)
		return ""
	}
	t.Skipf("tool %q not found; skipping (set %s=1 to make this a failure)", name, RequireToolsEnv)
	return ""
}
