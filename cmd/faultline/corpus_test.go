package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCorpusQuick runs the diagnosis corpus's quick subset (bench/corpus,
// "quick": true: a heap trim, a program's own mallopt, one mapping per
// value, an arithmetic-only control, a NumPy temporary) the way
// bench/corpus.sh scores it: every primary cause right, no confident
// wrong cause.
func TestCorpusQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: five real comparisons of about 20 s each")
	}
	out := t.TempDir()
	cmd := exec.Command("bash", filepath.Join("..", "..", "bench", "corpus.sh"), "--quick", "--out", out)
	// The suite runs one timing-sensitive job at a time already.
	cmd.Env = append(os.Environ(), "CORPUS_LOCK=")
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("corpus.sh: %v\n%s", err, b)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "corpus: 5/5 primary cause right, 0 confident wrong") {
		t.Errorf("the quick corpus scored %q:\n%s", last, b)
	}
}
