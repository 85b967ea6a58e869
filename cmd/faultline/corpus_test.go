package main

import (
	"encoding/json"

	"github.com/faultline/faultline/internal/result"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCorpusQuick runs the diagnosis corpus's quick subset (bench/corpus,
// "quick": true: a heap trim, a program's own mallopt, one mapping per
// value, an arithmetic-only control, a NumPy temporary, a file mapped
// per request, a fork from a large heap) the way bench/corpus.sh scores
// it: every primary cause right, no confident wrong cause, and no claim
// that does not add up.
func TestCorpusQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: seven real comparisons of about 20 s each")
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
	if !strings.HasPrefix(last, "corpus: 7/7 primary cause right, 0 confident wrong") {
		t.Errorf("the quick corpus scored %q:\n%s", last, b)
	}
	checkClaims(t, out)
	// Tunables are sized from what the target holds, never from the
	// volumes, and every verified fix shows its memory cost.
	for _, l := range lines {
		if strings.HasPrefix(l, "tunables: ") && (!strings.Contains(l, " derived, 0 above 4x") || !strings.Contains(l, " verified, 0 without")) {
			t.Errorf("the quick corpus: %s", l)
		}
	}
}

// checkClaims walks every finding of every result in dir: none claims
// more faults than its mechanism's bytes can produce, and the claims of
// one pair's findings add up to no more than its fault difference.
func checkClaims(t *testing.T, dir string) {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(paths) == 0 {
		t.Fatalf("no results in %s", dir)
	}
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var r result.Result
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		sum := map[string]float64{}
		for _, f := range r.Findings {
			if f.Claim == nil {
				continue
			}
			if f.Claim.Faults > f.Claim.MaxFaults {
				t.Errorf("%s: %s claims %v faults, its bytes produce at most %v", filepath.Base(path), f.Cause, f.Claim.Faults, f.Claim.MaxFaults)
			}
			k := f.Candidate + "|" + f.Config
			sum[k] += f.Claim.Faults
			if sum[k] > f.Claim.Of*1.01+1 {
				t.Errorf("%s: the findings about %s claim %v faults of a difference of %v", filepath.Base(path), k, sum[k], f.Claim.Of)
			}
		}
	}
}
