package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faultline/faultline/internal/alloc"
	"github.com/faultline/faultline/internal/result"
)

// allocatorsIn counts the allocators an LD_PRELOAD value loads.
func allocatorsIn(preload string) int {
	n := 0
	for _, l := range strings.FieldsFunc(preload, func(r rune) bool { return r == ':' || r == ' ' }) {
		if alloc.Known(l) != "" {
			n++
		}
	}
	return n
}

// TestBaselineIsTheUsersAllocator: started with jemalloc preloaded,
// faultline names its baseline jemalloc, every experiment that switches
// allocator replaces it (each process a candidate ran in, which logs its
// LD_PRELOAD, loaded one allocator at most), and glibc's tunables are
// skipped with the reason.
func TestBaselineIsTheUsersAllocator(t *testing.T) {
	jem := alloc.FindNamed(alloc.Jemalloc)
	if jem == "" {
		t.Fatal("jemalloc not installed: apt-get install libjemalloc2 (test.sh does)")
	}
	cmd, tmp := cliCmd(t, "run", "-q", "--shell", "sh", "--json", "out.json", "--no-trace", "-w", "0", "--runs", "3", "--budget", "30s",
		"--configs", "glibc,tcmalloc,jemalloc-nodecay,glibc-tuned,glibc-hugetlb",
		`echo "$LD_PRELOAD|$MALLOC_CONF" >> seen`, "true")
	cmd.Env = append(cmd.Env, "LD_PRELOAD="+jem)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("faultline run: %v\n%s", err, out)
	}
	// Decoded without result.Load's validation: two near-identical
	// commands in three runs may give a Mann-Whitney p a rounding error
	// above 1, which validation refuses and which is no matter here.
	data, err := os.ReadFile(filepath.Join(tmp, "out.json"))
	if err != nil {
		t.Fatal(err)
	}
	r := new(result.Result)
	if err := json.Unmarshal(data, r); err != nil {
		t.Fatal(err)
	}
	base := r.Configs[0]
	if base.Name != alloc.Jemalloc || base.Env[alloc.VarPreload] != jem || !strings.HasPrefix(base.Description, "your environment") {
		t.Errorf("baseline %+v, want jemalloc from the user's environment", base)
	}
	want := map[string]string{alloc.Glibc: result.StatusOK, alloc.Tcmalloc: result.StatusOK, alloc.JemallocNoDecay: result.StatusOK,
		alloc.GlibcTuned: result.StatusSkipped, alloc.GlibcHugeTLB: result.StatusSkipped}
	for name, status := range want {
		c := r.Config(name)
		switch {
		case c == nil:
			t.Errorf("no configuration %s", name)
		case c.Status != status:
			t.Errorf("%s: status %q (%s), want %q", name, c.Status, c.Reason, status)
		case status == result.StatusSkipped && c.Reason != "glibc malloc is not in use: LD_PRELOAD loads jemalloc":
			t.Errorf("%s skipped for %q", name, c.Reason)
		}
	}
	for _, c := range r.Configs {
		if n := allocatorsIn(c.Env[alloc.VarPreload]); n > 1 || c.Name != base.Name && c.Status == result.StatusOK && alloc.Equivalent(c.Env, base.Env) {
			t.Errorf("%s: env %v stacks %d allocators or repeats the baseline", c.Name, c.Env, n)
		}
	}
	if g := r.Config(alloc.Glibc); g != nil && g.Env[alloc.VarPreload] != "" {
		t.Errorf("glibc still preloads %s", g.Env[alloc.VarPreload])
	}
	seen, err := os.ReadFile(filepath.Join(tmp, "seen"))
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(seen)), "\n") {
		preload, conf, _ := strings.Cut(line, "|")
		if allocatorsIn(preload) > 1 {
			t.Errorf("a candidate ran with LD_PRELOAD=%s: two allocators", preload)
		}
		kinds[alloc.Parse(map[string]string{alloc.VarPreload: preload}).Allocator+"|"+conf] = true
	}
	for _, k := range []string{"jemalloc|", "glibc|", "tcmalloc|", "jemalloc|dirty_decay_ms:-1,muzzy_decay_ms:-1"} {
		if !kinds[k] {
			t.Errorf("no candidate ran as %q; ran as %v", k, kinds)
		}
	}
}
