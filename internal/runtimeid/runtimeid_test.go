package runtimeid

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Real executables of this machine, and programs built here.
func TestOf(t *testing.T) {
	dir := t.TempDir()
	goBin := filepath.Join(dir, "gohello")
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\nfunc main() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("go", "build", "-o", goBin, src).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	script := filepath.Join(dir, "tool")
	if err := os.WriteFile(script, []byte("#!/usr/bin/env python3\nprint(1)\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		argv  []string
		shell bool
		want  string
	}{
		{[]string{"/usr/bin/python3", "-c", "pass"}, false, Python},
		{[]string{"FOO=1 nice -n 5 python3 x.py"}, true, Python},
		{[]string{script}, false, Python},
		{[]string{goBin}, false, Go},
		{[]string{"env", "A=1", goBin}, false, Go},
		{[]string{"/bin/true"}, false, Native},
		{[]string{"no-such-program-xyz"}, false, ""},
	} {
		if got := Of(tt.argv, tt.shell); got != tt.want {
			t.Errorf("Of(%q, %v) = %q, want %q", tt.argv, tt.shell, got, tt.want)
		}
	}
	if rustc, err := exec.LookPath("rustc"); err == nil {
		rs := filepath.Join(dir, "hello.rs")
		bin := filepath.Join(dir, "rusthello")
		os.WriteFile(rs, []byte("fn main() { let v: Vec<u8> = Vec::with_capacity(10); println!(\"{}\", v.len()); }\n"), 0o644)
		if out, err := exec.Command(rustc, "-O", "-o", bin, rs).CombinedOutput(); err != nil {
			t.Fatalf("rustc: %v\n%s", err, out)
		}
		if got := Of([]string{bin}, false); got != Rust {
			t.Errorf("a Rust binary: %q", got)
		}
	}
}
