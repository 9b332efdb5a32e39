package testutil

import (
	"testing"
)

// fakeTB records Skipf/Fatalf instead of stopping the goroutine, so the
// three outcomes of RequireTool can be observed from one test. The rest
// of testing.TB comes from the embedded real one.
type fakeTB struct {
	testing.TB
	skipped, failed bool
}

func (f *fakeTB) Helper()               {}
func (f *fakeTB) Skipf(string, ...any)  { f.skipped = true }
func (f *fakeTB) Fatalf(string, ...any) { f.failed = true }

func TestRequireTool(t *testing.T) {
	if p := RequireTool(t, "sh"); p == "" {
		t.Fatal("sh not found")
	}
	const missing = "stratus-no-such-tool-7f3a"

	t.Setenv(RequireToolsEnv, "")
	f := &fakeTB{TB: t}
	if p := RequireTool(f, missing); p != "" || !f.skipped || f.failed {
		t.Errorf("missing tool without %s: path %q skipped %v failed %v", RequireToolsEnv, p, f.skipped, f.failed)
	}

	t.Setenv(RequireToolsEnv, "1")
	f = &fakeTB{TB: t}
	if p := RequireTool(f, missing); p != "" || !f.failed || f.skipped {
		t.Errorf("missing tool with %s=1: path %q skipped %v failed %v", RequireToolsEnv, p, f.skipped, f.failed)
	}
}
