package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/faultline/faultline/internal/probe"
	"github.com/faultline/faultline/internal/reexec"
	"github.com/faultline/faultline/internal/result"
)

func TestMain(m *testing.M) {
	// The reliability tests run this test binary as the faultline CLI.
	if os.Getenv("FAULTLINE_TEST_AS_CLI") == "1" {
		// __ulimit_nofile N ARGS... and __ulimit_fsize N ARGS...: the CLI
		// with at most N descriptors, or files of at most N bytes (the
		// fault runs, hostile_test.go).
		if lim, ok := map[string]int{"__ulimit_nofile": syscall.RLIMIT_NOFILE, "__ulimit_fsize": syscall.RLIMIT_FSIZE}[os.Args[min(1, len(os.Args)-1)]]; ok && len(os.Args) > 2 {
			n, _ := strconv.ParseUint(os.Args[2], 10, 64)
			if err := syscall.Setrlimit(lim, &syscall.Rlimit{Cur: n, Max: n}); err != nil {
				fmt.Fprintln(os.Stderr, "setrlimit:", err)
				os.Exit(4)
			}
			os.Args = append(os.Args[:1], os.Args[3:]...)
		}
		if os.Getenv(envDenyPtrace) == "1" {
			if err := denyPtrace(); err != nil {
				fmt.Fprintln(os.Stderr, "deny ptrace:", err)
				os.Exit(4)
			}
		}
		reexec.Main()
		os.Exit(run(os.Args[1:]))
	}
	// The test binary is also the supervisor of the targets it starts.
	reexec.Main()
	testscript.Main(m, map[string]func(){
		"faultline": func() { os.Exit(run(os.Args[1:])) },
	})
}

// TestScripts runs the CLI end to end: each testdata/script/*.txtar runs
// the real binary against real interpreters and processes.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			py, ok := probe.FindNumPy(context.Background())
			if !ok {
				return errors.New("no Python with NumPy on this machine: apt-get install python3-numpy (test.sh does)")
			}
			env.Setenv("PYTHON", py.Path)
			// testscript's HOME does not exist: keep the fault-cost
			// cache inside the script's work directory.
			env.Setenv("XDG_CACHE_HOME", filepath.Join(env.WorkDir, ".cache"))
			// The repository's C headers and workloads, for scripts that
			// compile them: gcc -I$INCLUDE -I$CSRC $CSRC/batch.c.
			root, err := filepath.Abs(filepath.Join("..", ".."))
			if err != nil {
				return err
			}
			env.Setenv("INCLUDE", filepath.Join(root, "include"))
			env.Setenv("CSRC", filepath.Join(root, "testdata", "c"))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode":     cmdExitCode,
			"checkresult":  cmdCheckResult,
			"configstatus": cmdConfigStatus,
			"firstcause":   cmdFirstCause,
			"checksweep":   cmdCheckSweep,
			"taxof":        cmdTaxOf,
		},
	})
}

// exitcode N prog args... runs prog and fails unless it exits with N.
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: exitcode N prog args...")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exitcode: %v", err)
		}
		got = ee.ExitCode()
	}
	if (got == want) == neg {
		ts.Fatalf("exit code %d, want %d", got, want)
	}
}

// configstatus FILE CONFIG STATUS checks a configuration's status in a
// result (ok, failed, skipped); a failed one must carry its reason.
func cmdConfigStatus(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: configstatus FILE CONFIG STATUS")
	}
	r, err := result.Load(ts.MkAbs(args[0]))
	if err != nil {
		ts.Fatalf("%v", err)
	}
	c := r.Config(args[1])
	if c == nil {
		ts.Fatalf("no configuration %q in %s", args[1], args[0])
	}
	ok := c.Status == args[2] && (c.Status != result.StatusFailed || c.Reason != "")
	if ok == neg {
		ts.Fatalf("configuration %s: status %q (reason %q), want %q", c.Name, c.Status, c.Reason, args[2])
	}
}

// checkresult FILE [partial] validates a result document: schema, candidates,
// runs with positive medians inside their intervals, comparisons that point
// at existing runs.
func cmdCheckResult(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 {
		ts.Fatalf("usage: checkresult FILE [partial]")
	}
	r, err := result.Load(ts.MkAbs(args[0]))
	if err != nil {
		ts.Fatalf("%v", err)
	}
	wantPartial := len(args) > 1 && args[1] == "partial"
	if err := validate(r, wantPartial); (err != nil) != neg {
		ts.Fatalf("checkresult: %v", err)
	}
}

// firstcause FILE CAUSE [CANDIDATE] fails unless the result's first finding
// (the primary cause) is CAUSE, about CANDIDATE when given. It logs every
// finding, so a failure shows what the diagnosis said instead.
func cmdFirstCause(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: firstcause FILE CAUSE [CANDIDATE]")
	}
	r, err := result.Load(ts.MkAbs(args[0]))
	if err != nil {
		ts.Fatalf("%v", err)
	}
	for i, f := range r.Findings {
		ts.Logf("finding %d: %s about %s under %s, explains %.2f, confidence %s: %s",
			i+1, f.Cause, f.Candidate, f.Config, f.Explains, f.Confidence, f.Summary)
	}
	var got, cand string
	if len(r.Findings) > 0 {
		got, cand = r.Findings[0].Cause, r.Findings[0].Candidate
	}
	ok := got == args[1] && (len(args) < 3 || cand == args[2])
	if ok == neg {
		want := args[1]
		if len(args) == 3 {
			want += " about " + args[2]
		}
		ts.Fatalf("first finding is %q about %q, want %s%s", got, cand, map[bool]string{true: "not "}[neg], want)
	}
}

// checksweep FILE N validates a sweep document: its schema, N points,
// each with the values of every parameter and a valid result.
func cmdCheckSweep(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: checksweep FILE N")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	var sw result.Sweep
	if err := json.Unmarshal(data, &sw); err != nil {
		ts.Fatalf("decode sweep: %v", err)
	}
	if err := validateSweep(&sw, n); (err != nil) != neg {
		ts.Fatalf("checksweep: %v", err)
	}
}

func validateSweep(sw *result.Sweep, n int) error {
	if sw.Schema != result.SweepSchema || len(sw.Parameters) == 0 {
		return fmt.Errorf("schema %q with %d parameters", sw.Schema, len(sw.Parameters))
	}
	if len(sw.Points) != n {
		return fmt.Errorf("%d points, want %d", len(sw.Points), n)
	}
	for i, pt := range sw.Points {
		for _, p := range sw.Parameters {
			if _, ok := pt.Values[p.Name]; !ok {
				return fmt.Errorf("point %d has no value of %s", i, p.Name)
			}
		}
		if pt.Result == nil {
			return fmt.Errorf("point %d has no result", i)
		}
		if err := validate(pt.Result, false); err != nil {
			return fmt.Errorf("point %d: %v", i, err)
		}
	}
	return nil
}

func validate(r *result.Result, wantPartial bool) error {
	if r.Partial != wantPartial {
		return fmt.Errorf("partial = %v, want %v", r.Partial, wantPartial)
	}
	if len(r.Candidates) == 0 || len(r.Configs) == 0 {
		return errors.New("no candidates or configs")
	}
	if r.Configs[0].Name != result.DefaultConfig {
		return fmt.Errorf("first config is %q, want %q", r.Configs[0].Name, result.DefaultConfig)
	}
	ok := 0
	for _, run := range r.Results {
		if r.Candidate(run.Candidate) == nil || r.Config(run.Config) == nil {
			return fmt.Errorf("run %s/%s names an unknown candidate or config", run.Candidate, run.Config)
		}
		if run.Status != result.StatusOK {
			continue
		}
		ok++
		t := run.Time
		if t.Unit != "s" || t.N <= 0 || t.Median <= 0 || t.Low > t.Median || t.High < t.Median {
			return fmt.Errorf("run %s/%s/%s: bad time %+v", run.Candidate, run.Config, run.Mode, t)
		}
		if run.Sources["time"] != result.PassTiming {
			return fmt.Errorf("run %s: time not from a timing pass", run.Candidate)
		}
	}
	if ok == 0 && !wantPartial {
		return errors.New("no successful run")
	}
	for _, c := range r.Comparisons {
		if r.Run(c.Baseline, c.Config, c.Mode) == nil || r.Run(c.Other, c.Config, c.Mode) == nil {
			return fmt.Errorf("comparison %s/%s points at a missing run", c.Other, c.Baseline)
		}
		if c.Ratio <= 0 || c.P < 0 || c.P > 1 {
			return fmt.Errorf("comparison %+v out of range", c)
		}
	}
	// A tax is a user candidate's, paid only when measurably so, and its
	// fix was measured.
	for _, t := range r.Taxes {
		if c := r.Candidate(t.Candidate); c == nil || c.IsFix() || r.Run(t.Candidate, t.Config, r.PrimaryMode()) == nil {
			return fmt.Errorf("tax of %q: not a measured user candidate", t.Candidate)
		}
		if t.Paid && (t.Ratio < 1.1 || t.Best == "" || len(t.Summary) == 0) || t.Fix != nil && (!t.Fix.Verified || !t.Paid) {
			return fmt.Errorf("tax of %s inconsistent: %+v", t.Candidate, t)
		}
	}
	return nil
}

// taxof FILE CANDIDATE CAUSE|none checks a candidate's memory tax: paid,
// made of CAUSE first, with a verified fix whose memory cost was
// measured; or, with none, not paid, with the bound it stays under said.
func cmdTaxOf(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: taxof FILE CANDIDATE CAUSE|none")
	}
	r, err := result.Load(ts.MkAbs(args[0]))
	if err != nil {
		ts.Fatalf("%v", err)
	}
	var tax *result.Tax
	for i := range r.Taxes {
		if r.Taxes[i].Candidate == args[1] {
			tax = &r.Taxes[i]
		}
	}
	if tax == nil {
		ts.Fatalf("no tax for %s in %s", args[1], args[0])
	}
	ts.Logf("tax of %s: paid %v, %s %.3gx, causes %v, bound %.3g: %s", tax.Candidate, tax.Paid, tax.Best, tax.Ratio, tax.Causes, tax.Bound, tax.Summary)
	var ok bool
	if args[2] == "none" {
		ok = !tax.Paid && tax.Bound >= 0 && tax.Fix == nil && strings.Contains(tax.Summary, "no memory-management cost above")
	} else {
		ok = tax.Paid && len(tax.Causes) > 0 && tax.Causes[0] == args[2] && tax.Fix != nil && tax.Fix.Verified &&
			tax.Fix.PeakRSSBytes > 0 && tax.Fix.BaselinePeakRSSBytes > 0
	}
	if ok == neg {
		ts.Fatalf("tax of %s is not %s%s", args[1], map[bool]string{true: "not "}[neg], args[2])
	}
}
