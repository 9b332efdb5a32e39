package diskimage

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestOnlyInspectFileOpensFiles proves by construction that inspection
// cannot open anything but the file it was given: in the package's
// non-test sources the only call into package os that touches the file
// system is the os.Open in InspectFile, and no package that could reach
// other files, processes or the network is imported. Every other read goes
// through the io.ReaderAt passed to Inspect (see recordingReaderAt).
func TestOnlyInspectFileOpensFiles(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	forbiddenImports := map[string]bool{
		"os/exec": true, "syscall": true, "net": true, "net/http": true, "plugin": true,
		"io/ioutil": true, "path/filepath": true, "io/fs": true, "unsafe": true,
		"golang.org/x/sys/unix": true,
	}
	fset := token.NewFileSet()
	var osCalls []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			if path := strings.Trim(imp.Path.Value, `"`); forbiddenImports[path] {
				t.Errorf("%s imports %s", name, path)
			}
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			ast.Inspect(decl, func(n ast.Node) bool {
				sel, isSel := n.(*ast.SelectorExpr)
				if !isSel {
					return true
				}
				if id, isID := sel.X.(*ast.Ident); isID && id.Name == "os" {
					where := "package scope"
					if ok {
						where = fn.Name.Name
					}
					osCalls = append(osCalls, where+": os."+sel.Sel.Name)
				}
				return true
			})
		}
	}
	want := map[string]bool{"InspectFile: os.Open": true}
	seen := map[string]bool{}
	for _, c := range osCalls {
		seen[c] = true
		if !want[c] {
			t.Errorf("unexpected use of package os: %s", c)
		}
	}
	for c := range want {
		if !seen[c] {
			t.Errorf("expected %s (test out of date?)", c)
		}
	}
}
