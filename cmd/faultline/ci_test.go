package main

import (
	"os/exec"
	"testing"

	"github.com/faultline/faultline/internal/alloc"
	"github.com/faultline/faultline/internal/testenv"
)

// TestCIHasWhatTestShInstalls: the testscripts skip a check whose tool is
// missing ([!exec:hyperfine] skip), as a developer's machine may lack it;
// in CI, where test.sh installs every one, a missing tool fails here, so
// no script passes by skipping.
func TestCIHasWhatTestShInstalls(t *testing.T) {
	if !testenv.InCI() {
		t.Skip("outside CI a missing tool skips the tests that need it")
	}
	for _, tool := range []string{"hyperfine", "jq", "strace", "gcc", "benchstat", "chromium"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Errorf("%s: %v (test.sh installs it)", tool, err)
		}
	}
	for _, mod := range []string{"numpy", "IPython", "ipykernel", "nbclient", "nbconvert", "nbformat", "pytest", "pip", "setuptools", "wheel"} {
		if err := exec.Command("/usr/bin/python3", "-c", "import "+mod).Run(); err != nil {
			t.Errorf("/usr/bin/python3 cannot import %s: %v (test.sh installs it)", mod, err)
		}
	}
	for _, lib := range []string{"tcmalloc", "jemalloc", "mimalloc"} {
		if alloc.FindNamed(lib) == "" {
			t.Errorf("%s: no library found (test.sh installs it)", lib)
		}
	}
}
