package probe

import (
	"context"
	"testing"
)

func TestMissingModule(t *testing.T) {
	for tb, want := range map[string]string{
		"Traceback (most recent call last):\n  File \"<setup>\", line 1, in <module>\nModuleNotFoundError: No module named 'numpy'\n": "numpy",
		"ModuleNotFoundError: No module named 'scipy.linalg'":                                                                         "scipy",
		"ImportError: cannot import name 'x' from 'y'":                                                                                "",
		"ModuleNotFoundError: No module named 'os; import x'":                                                                         "",
	} {
		if got := MissingModule(tb); got != want {
			t.Errorf("MissingModule(%q) = %q, want %q", tb, got, want)
		}
	}
}

// The interpreter suggested for a module imports it, and is never the one
// that lacked it.
func TestWithModule(t *testing.T) {
	ctx := context.Background()
	pys := Interpreters(ctx)
	if len(pys) == 0 {
		t.Skip("no Python interpreter")
	}
	// Every interpreter has json: another one is suggested when there are
	// two, none when there is one.
	got, ok := WithModule(ctx, "json", pys[0].Path)
	if ok != (len(pys) > 1) || ok && got.Path == pys[0].Path {
		t.Errorf("WithModule(json, except %s) = %v, %v with interpreters %v", pys[0].Path, got, ok, pys)
	}
	if _, ok := WithModule(ctx, "no_such_module_anywhere", ""); ok {
		t.Error("WithModule found an interpreter with a module that does not exist")
	}
	for _, py := range pys {
		if py.NumPy == "" {
			continue
		}
		got, ok := WithModule(ctx, "numpy", "/nonexistent/python")
		if !ok || got.NumPy == "" {
			t.Errorf("WithModule(numpy) = %v, %v; %s has NumPy %s", got, ok, py.Path, py.NumPy)
		}
		break
	}
}
