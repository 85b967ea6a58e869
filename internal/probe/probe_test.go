package probe

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/faultline/faultline/internal/testenv"
)

func python(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if path, err := LookPython(p); err == nil {
			return path
		}
	}
	testenv.Missing(t, "no python3 on this machine: install python3 (CI does)")
	return ""
}

func start(t *testing.T, setup string, cands ...Candidate) (*Session, error) {
	t.Helper()
	spec, err := PythonSpec(python(t), setup, cands)
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	spec.Stderr = &stderr
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return Start(ctx, spec)
}

func TestRunSampleAndLocalsPerIteration(t *testing.T) {
	// x is rebound in every iteration: if names survived across iterations
	// the assertion would fail on the second one.
	s, err := start(t, "import os\nN = 1000", Candidate{Name: "A", Statement: "x = []\nx.append(N)\nassert len(x) == 1"},
		Candidate{Name: "B", Statement: "sum(range(N))"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Info("impl") != "python" || s.Info("pyver") == "" {
		t.Errorf("hello facts: impl=%q pyver=%q", s.Info("impl"), s.Info("pyver"))
	}
	ctx := context.Background()
	for _, c := range []string{"A", "B"} {
		sm, err := s.Run(ctx, c, 50, 1, false)
		if err != nil {
			t.Fatalf("run %s: %v", c, err)
		}
		if sm.Loops != 50 || sm.NS <= 0 || sm.MinFlt < 0 {
			t.Errorf("sample %s = %+v", c, sm)
		}
	}
	loops, d, err := s.Autorange(ctx, "B", 5*time.Millisecond)
	if err != nil || loops < 1 || d < 5*time.Millisecond {
		t.Errorf("autorange = %d, %v, %v", loops, d, err)
	}
	its, err := s.Trace(ctx, "A", 3)
	if err != nil || len(its) != 3 {
		t.Errorf("trace = %v, %v", its, err)
	}
	exit, err := s.Close()
	if err != nil || exit.Failed() {
		t.Errorf("close: %v %v", exit, err)
	}
}

func TestAllocCountsLargeBuffers(t *testing.T) {
	s, err := start(t, "", Candidate{Name: "A", Statement: "b = bytearray(1 << 20)"},
		Candidate{Name: "B", Statement: "b = bytearray(1 << 20); c = bytearray(1 << 20)"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tc := range []struct {
		cand  string
		count float64
	}{{"A", 1}, {"B", 2}} {
		a, err := s.Alloc(context.Background(), tc.cand, 4)
		if err != nil {
			t.Fatal(err)
		}
		if a.Count != tc.count || a.PeakBytes < tc.count*(1<<20) || a.PeakBytes > (tc.count+0.5)*(1<<20) {
			t.Errorf("%s: allocations %+v, want %v large per iteration", tc.cand, a, tc.count)
		}
		if len(a.Large) != 1 || a.Large[0].Per != tc.count || a.Large[0].Bytes < 1<<20 || a.Large[0].Bytes > 1<<20+8192 {
			t.Errorf("%s: large = %+v", tc.cand, a.Large)
		}
	}
}

// Each large allocation is named by the expression in the statement that
// made it (columns from the code's positions), over several lines too.
func TestAllocSitesNameTheExpression(t *testing.T) {
	s, err := start(t, "", Candidate{Name: "A", Statement: "b = bytearray(1 << 20); c = bytes(b) + b\nd = bytearray(3 << 20)"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a, err := s.Alloc(context.Background(), "A", 3)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"bytearray(1 << 20)": 1, "bytes(b)": 1, "bytes(b) + b": 1, "bytearray(3 << 20)": 2}
	got := map[string]int{}
	for _, st := range a.Sites {
		got[st.Where] = st.Line
		if st.Per != 1 {
			t.Errorf("%q: %v per iteration, want 1", st.Where, st.Per)
		}
	}
	for w, line := range want {
		if got[w] != line {
			t.Errorf("no site %q on line %d: sites %+v", w, line, a.Sites)
		}
	}
}

func TestTargetErrors(t *testing.T) {
	tests := []struct {
		name, setup, stmt, phase, want string
		atRun                          bool
	}{
		{name: "syntax error", stmt: "x = = 1", phase: "compile", want: "SyntaxError"},
		{name: "setup raises", setup: "import no_such_module_here", stmt: "pass", phase: "setup", want: "ModuleNotFoundError"},
		{name: "statement raises", stmt: "1 / 0", phase: "run", want: "ZeroDivisionError", atRun: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := start(t, tt.setup, Candidate{Name: "A", Statement: tt.stmt})
			if tt.atRun {
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				_, err = s.Run(context.Background(), "A", 1, 0, false)
			}
			var te *TargetError
			if !errors.As(err, &te) {
				t.Fatalf("err = %v, want a TargetError", err)
			}
			if te.Phase != tt.phase || !strings.Contains(te.Traceback, tt.want) || !strings.Contains(te.Error(), tt.want) {
				t.Errorf("TargetError = %+v", te)
			}
			if strings.Contains(te.Traceback, "faultline_probe.py") {
				t.Errorf("traceback shows the probe's own frames:\n%s", te.Traceback)
			}
		})
	}
}

func TestMissingInterpreter(t *testing.T) {
	_, err := PythonSpec("/nonexistent/python9", "", nil)
	if !errors.Is(err, ErrNoInterpreter) {
		t.Fatalf("err = %v, want ErrNoInterpreter", err)
	}
}

func TestGarbageOnChannel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := Start(ctx, Spec{Argv: []string{"/bin/sh", "-c", `printf '"not a record\n' >&4; sleep 30`}})
	if !errors.Is(err, ErrGarbage) {
		t.Fatalf("err = %v, want ErrGarbage", err)
	}
}

func TestProbeExitsEarly(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := Start(ctx, Spec{Argv: []string{"/bin/sh", "-c", "exit 7"}})
	if err == nil || !strings.Contains(err.Error(), "exit status 7") {
		t.Fatalf("err = %v, want the exit status", err)
	}
}

func TestInterpreters(t *testing.T) {
	python(t)
	pys := Interpreters(context.Background())
	if len(pys) == 0 {
		t.Fatal("no interpreter found although python3 exists")
	}
	for _, p := range pys {
		if p.Path == "" || !strings.Contains(p.Version, ".") {
			t.Errorf("interpreter %+v", p)
		}
	}
}
