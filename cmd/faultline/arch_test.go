package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestCommandIsWiring holds package main to parsing flags and wiring: no
// function here grows past 60 lines (the pipeline's policy lives in
// internal/pipeline).
func TestCommandIsWiring(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			lines := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
			if lines > 60 {
				t.Errorf("%s: %s is %d lines; package main only wires (limit 60)", name, fn.Name.Name, lines)
			}
		}
	}
}

// TestDependenciesPointOneWay checks the import rules of docs/design.md:
// plain math knows no schema, and the recorders and the process launcher
// do not depend on the ptrace tracer.
func TestDependenciesPointOneWay(t *testing.T) {
	const mod = "github.com/faultline/faultline/internal/"
	rules := []struct{ pkg, forbidden string }{
		{"stats", "result"},
		{"proc", "trace"},
		{"perftrace", "trace"},
	}
	for _, r := range rules {
		out, err := exec.Command("go", "list", "-deps", mod+r.pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", r.pkg, err)
		}
		deps := strings.Fields(string(out))
		if slices.Contains(deps, mod+r.forbidden) {
			t.Errorf("internal/%s imports internal/%s", r.pkg, r.forbidden)
		}
	}
}
