package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
		{"proc", "ptrace"},
		{"perftrace", "ptrace"},
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

// The rules of docs/design.md, "Derived facts": a result's derived facts
// (comparisons, verdict, findings, the carry-over split) are set by the
// pipeline when it assembles the result, from the summary (summary.Store)
// and the diagnosis; the renderers and the Python package compute no
// statistic.

// derivedFields are the fields of result.Result and result.Run that hold
// derived facts.
var derivedFields = map[string][]string{
	"Result": {"Comparisons", "Verdict", "Rule", "Findings"},
	"Run":    {"After", "Time"},
}

// TestDerivedFactsHaveOneWriter type-checks every package and fails on an
// assignment to a derived field outside the packages that own it: the
// pipeline (which assembles), summary (Store), and measure for a run's
// Time estimate (it summarizes the samples it records).
func TestDerivedFactsHaveOneWriter(t *testing.T) {
	owners := map[string][]string{
		"Comparisons": {"pipeline", "summary"}, "Verdict": {"pipeline", "summary"}, "Rule": {"summary"},
		"Findings": {"pipeline"}, "After": {"summary"}, "Time": {"measure", "pipeline"},
	}
	for _, p := range typedPackages(t) {
		for _, file := range p.files {
			ast.Inspect(file, func(n ast.Node) bool {
				as, ok := n.(*ast.AssignStmt)
				if !ok {
					return true
				}
				for _, lhs := range as.Lhs {
					field, typ := derivedField(p.info, lhs)
					if field == "" || slices.Contains(owners[field], p.name) {
						continue
					}
					t.Errorf("%s: %s assigns result.%s.%s, a derived fact only %s sets",
						p.fset.Position(lhs.Pos()), p.name, typ, field, strings.Join(owners[field], " and "))
				}
				return true
			})
		}
	}
}

// TestRenderersComputeNoStatistic fails when a renderer imports the
// statistics or the summary, or calls a function that computes a
// statistic, and when the Python package does: they read what the result
// stores.
func TestRenderersComputeNoStatistic(t *testing.T) {
	const mod = "github.com/faultline/faultline/internal/"
	banned := []string{mod + "stats", mod + "summary", mod + "diagnose", "golang.org/x/perf/benchmath", "github.com/aclements/go-moremath/stats"}
	statistic := regexp.MustCompile(`^(Median|Mean|Stddev|Summarize|Percentile|Quantile|MannWhitneyP|Infer|Compare|Decide)$`)
	for _, p := range typedPackages(t) {
		if p.name != "report" && p.name != "svg" {
			continue
		}
		for _, file := range p.files {
			for _, imp := range file.Imports {
				if path := strings.Trim(imp.Path.Value, `"`); slices.Contains(banned, path) {
					t.Errorf("%s: the renderer imports %s", p.fset.Position(imp.Pos()), path)
				}
			}
			ast.Inspect(file, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				var id *ast.Ident
				switch fn := call.Fun.(type) {
				case *ast.Ident:
					id = fn
				case *ast.SelectorExpr:
					id = fn.Sel
				}
				if id != nil && statistic.MatchString(id.Name) {
					// The standard library's orderings (cmp.Compare) are not
					// statistics.
					if obj := p.info.Uses[id]; obj != nil && obj.Pkg() != nil && strings.Contains(obj.Pkg().Path(), ".") {
						t.Errorf("%s: the renderer calls %s, a statistic", p.fset.Position(call.Pos()), obj.Name())
					}
				}
				return true
			})
		}
	}
	py, err := filepath.Glob("../../python/faultline/*.py")
	if err != nil || len(py) == 0 {
		t.Fatalf("no Python package files: %v", err)
	}
	pyStat := regexp.MustCompile(`\bimport statistics\b|\bstatistics\.|(^|[^.\w])(median|mean)\(|\bsum\([^)]*\)\s*/\s*len\(`)
	for _, name := range py {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range strings.Split(string(data), "\n") {
			if pyStat.MatchString(l) {
				t.Errorf("%s:%d: the Python package computes a statistic: %s", name, i+1, strings.TrimSpace(l))
			}
		}
	}
}

// derivedField returns the derived field (and its type's name) that expr
// selects, "" when it selects none.
func derivedField(info *types.Info, expr ast.Expr) (string, string) {
	sel, ok := expr.(*ast.SelectorExpr)
	if !ok {
		return "", ""
	}
	s := info.Selections[sel]
	if s == nil || s.Kind() != types.FieldVal {
		return "", ""
	}
	recv := s.Recv()
	if p, ok := recv.(*types.Pointer); ok {
		recv = p.Elem()
	}
	named, ok := recv.(*types.Named)
	if !ok || named.Obj().Pkg() == nil || named.Obj().Pkg().Path() != "github.com/faultline/faultline/internal/result" {
		return "", ""
	}
	if slices.Contains(derivedFields[named.Obj().Name()], sel.Sel.Name) {
		return sel.Sel.Name, named.Obj().Name()
	}
	return "", ""
}

// typedPackage is one package of the module, type-checked from its
// non-test sources against its dependencies' export data.
type typedPackage struct {
	name  string
	fset  *token.FileSet
	files []*ast.File
	info  *types.Info
}

func typedPackages(t *testing.T) []typedPackage {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-export", "-json=ImportPath,Name,Dir,GoFiles,CgoFiles,Export,Module", "../../...").Output()
	if err != nil {
		t.Fatalf("go list -export: %v", err)
	}
	type listed struct {
		ImportPath, Name, Dir, Export string
		GoFiles, CgoFiles             []string
		Module                        *struct{ Path string }
	}
	exports := map[string]string{}
	var ours []listed
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p listed
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		exports[p.ImportPath] = p.Export
		if p.Module != nil && p.Module.Path == "github.com/faultline/faultline" {
			ours = append(ours, p)
		}
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		if e := exports[path]; e != "" {
			return os.Open(e)
		}
		return nil, fmt.Errorf("no export data for %s", path)
	})
	var pkgs []typedPackage
	for _, p := range ours {
		tp := typedPackage{name: p.Name, fset: fset, info: &types.Info{Selections: map[*ast.SelectorExpr]*types.Selection{}, Uses: map[*ast.Ident]types.Object{}}}
		for _, f := range append(p.GoFiles, p.CgoFiles...) {
			file, err := parser.ParseFile(fset, filepath.Join(p.Dir, f), nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			tp.files = append(tp.files, file)
		}
		// cgo's C names are not this check's business.
		conf := types.Config{Importer: imp, FakeImportC: true, Error: func(error) {}}
		if _, err := conf.Check(p.ImportPath, fset, tp.files, tp.info); err != nil && len(p.CgoFiles) == 0 {
			t.Fatalf("type-check %s: %v", p.ImportPath, err)
		}
		pkgs = append(pkgs, tp)
	}
	return pkgs
}
