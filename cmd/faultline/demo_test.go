package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/faultline/faultline/internal/result"
)

// TestDemoWithoutCgo builds faultline as `go run` does on a machine
// without a C compiler (CGO_ENABLED=0) and runs the demo's native
// reproduction with it: the purego engine must reach the same verdict as
// the cgo one, so the README's first command works on a fresh machine
// with neither gcc nor NumPy.
func TestDemoWithoutCgo(t *testing.T) {
	if runtime.GOOS != "linux" || (runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64") {
		t.Skip("the purego engine is for linux/amd64 and linux/arm64")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not on PATH: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "faultline")
	build := exec.Command(goBin, "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build: %v\n%s", err, out)
	}
	js := filepath.Join(t.TempDir(), "native.json")
	cmd := exec.Command(bin, "demo", "--native", "-q", "--budget", "40s", "--configs", "glibc-tuned", "--json", js)
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "XDG_CACHE_HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	r, err := result.Load(js)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) == 0 || r.Findings[0].Cause != "heap-trim-refault" || r.Findings[0].Candidate != "B" {
		t.Fatalf("first finding %+v, want heap-trim-refault about B\n%s", r.Findings, out)
	}
	c := r.Comparison(result.DefaultConfig, result.ModeInterleaved, "B")
	tuned := r.Comparison("glibc-tuned", result.ModeInterleaved, "B")
	if c == nil || !c.Significant || tuned == nil || tuned.Ratio >= c.Ratio {
		t.Errorf("B/A %+v under glibc, %+v under glibc-tuned: want a significant gap that the tuning closes", c, tuned)
	}
	t.Logf("without cgo: B/A %.2f under glibc, %.2f under glibc-tuned", c.Ratio, tuned.Ratio)
}
