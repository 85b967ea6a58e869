package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/faultline/faultline/internal/result"
)

// The hostile-input and fault runs (docs/reliability.md, "What the suite
// tries"): every bad input gets one line and a documented exit code in
// about a second, never a goroutine dump or a wait without end; every
// fault (a signal at any moment, a failing environment) ends faultline
// with its documented exit code, what was measured kept, no process left.

// hostile is one invocation of the CLI and what handling it means.
type hostile struct {
	name string
	args []string
	env  []string
	// setup prepares the case's directory (files, FIFOs, links) and may
	// rewrite args ("DIR" is replaced by the directory).
	setup func(t *testing.T, dir string)
	want  []int         // acceptable exit codes
	limit time.Duration // 0: 3 s
	// signal, when set, is sent after delay; the run must then end
	// within 3 s.
	signal os.Signal
	delay  time.Duration
	// stdoutClosed runs with standard output a pipe whose reader is gone.
	stdoutClosed bool
	// keep, when set, is a --json path that must hold a valid result
	// afterwards (what was measured is kept).
	keep string
}

// outcomeOf runs c in its own directory and says whether it was handled,
// and why not.
func (c hostile) run(t *testing.T) error {
	dir := t.TempDir()
	if c.setup != nil {
		c.setup(t, dir)
	}
	args := make([]string, len(c.args))
	for i, a := range c.args {
		args[i] = strings.ReplaceAll(a, "DIR", dir)
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "FAULTLINE_TEST_AS_CLI=1", "NO_COLOR=1", "TMPDIR="+dir, "XDG_CACHE_HOME="+filepath.Join(dir, ".cache")), c.env...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if c.stdoutClosed {
		r, w, err := os.Pipe()
		if err != nil {
			return err
		}
		r.Close()
		cmd.Stdout = w
		defer w.Close()
	}
	limit := c.limit
	if limit == 0 {
		limit = 3 * time.Second
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	if c.signal != nil {
		select {
		case err = <-done:
		case <-time.After(c.delay):
			cmd.Process.Signal(c.signal)
			start = time.Now()
			limit = 3 * time.Second
			err = wait(cmd, done, limit+2*time.Second)
		}
	} else {
		err = wait(cmd, done, limit+2*time.Second)
	}
	took := time.Since(start)
	code := exitCode(err)
	text := stderr.String()
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "faultline:") {
			lines = append(lines, l)
		}
	}
	switch {
	case !slices.Contains(c.want, code):
		return fmt.Errorf("exit %d, want one of %v: %s", code, c.want, lastLines(text))
	case took > limit:
		return fmt.Errorf("took %s (limit %s)", took.Round(time.Millisecond), limit)
	case strings.Contains(text, "goroutine ") || strings.Contains(text, "panic:") || strings.Contains(text, "fatal error:"):
		return fmt.Errorf("a crash: %s", lastLines(text))
	case code != 0 && len(lines) == 0:
		return fmt.Errorf("exit %d without a line saying why: %s", code, lastLines(text))
	}
	if c.keep != "" {
		b, rerr := os.ReadFile(filepath.Join(dir, c.keep))
		var doc map[string]any
		if rerr != nil || json.Unmarshal(b, &doc) != nil {
			return fmt.Errorf("the result %s was not kept (%v)", c.keep, rerr)
		}
	}
	if leftover := survivorsIn(dir); len(leftover) > 0 {
		return fmt.Errorf("processes outlived faultline: %v", leftover)
	}
	return nil
}

// wait waits for the process at most d, then kills it.
func wait(cmd *exec.Cmd, done chan error, d time.Duration) error {
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		cmd.Process.Kill()
		<-done
		return fmt.Errorf("killed after %s", d)
	}
}

// survivorsIn lists live processes whose working directory is in dir,
// after giving them a second to go.
func survivorsIn(dir string) []string {
	var out []string
	for range 20 {
		out = out[:0]
		procs, cwds := liveProcesses()
		for i, cwd := range cwds {
			if strings.HasPrefix(cwd, dir) {
				out = append(out, procs[i])
			}
		}
		if len(out) == 0 {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return out
}

func lastLines(s string) string {
	ls := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(ls[max(0, len(ls)-3):], " | ")
}

// runAll runs the cases, a few at a time, and reports each one that was
// not handled; it returns how many were tried.
func runAll(t *testing.T, cases []hostile, parallel int) int {
	var mu sync.Mutex
	var failed []string
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for _, c := range cases {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := c.run(t); err != nil {
				mu.Lock()
				failed = append(failed, c.name+": "+err.Error())
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	slices.Sort(failed)
	for _, f := range failed {
		t.Error(f)
	}
	t.Logf("%d tried, %d handled", len(cases), len(cases)-len(failed))
	return len(cases)
}

// seedDoc is a valid result document, as the report tests have it.
func seedDoc(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "internal", "report", "testdata", "seed.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// seedJSON is seedDoc encoded again.
func seedJSON(t *testing.T) []byte {
	t.Helper()
	b, err := json.Marshal(seedDoc(t))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeFile is a setup that writes data to DIR/name.
func writeFile(name string, data []byte) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func mkfifo(name string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		if err := syscall.Mkfifo(filepath.Join(dir, name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// both runs several setups.
func both(fs ...func(*testing.T, string)) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		for _, f := range fs {
			if f != nil {
				f(t, dir)
			}
		}
	}
}

// badDocuments are result documents that must be refused, by name: a
// valid document broken in one place, and things that are no document.
func badDocuments(t *testing.T) map[string][]byte {
	t.Helper()
	good := seedJSON(t)
	out := map[string][]byte{}
	for i, at := range []int{1, 10, 100, 1000, len(good) / 3, len(good) / 2, len(good) - 2} {
		out[fmt.Sprintf("cut at %d", i)] = good[:at]
	}
	mutate := func(name string, f func(doc map[string]any)) {
		doc := seedDoc(t)
		f(doc)
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = b
	}
	first := func(doc map[string]any, key string) map[string]any {
		return doc[key].([]any)[0].(map[string]any)
	}
	mutate("schema", func(d map[string]any) { d["schema"] = "faultline/v0" })
	mutate("no schema", func(d map[string]any) { delete(d, "schema") })
	mutate("results [null]", func(d map[string]any) { d["results"] = []any{nil} })
	mutate("results a number", func(d map[string]any) { d["results"] = 3 })
	mutate("unknown candidate", func(d map[string]any) { first(d, "results")["candidate"] = "Z" })
	mutate("unknown config", func(d map[string]any) { first(d, "results")["config"] = "nowhere" })
	mutate("unknown mode", func(d map[string]any) { first(d, "results")["mode"] = "sideways" })
	mutate("negative wall", func(d map[string]any) { d["wall_seconds"] = -5 })
	mutate("negative cpus", func(d map[string]any) { d["host"].(map[string]any)["cpus"] = -3 })
	mutate("negative page size", func(d map[string]any) { d["host"].(map[string]any)["page_size"] = -4096 })
	mutate("huge sample", func(d map[string]any) {
		first(d, "results")["samples"].([]any)[0].(map[string]any)["s"] = 1e308
	})
	mutate("negative faults", func(d map[string]any) {
		first(d, "results")["per_iteration"].(map[string]any)["minor_faults"] = -7
	})
	mutate("median a string", func(d map[string]any) {
		first(d, "results")["time"].(map[string]any)["median"] = "fast"
	})
	mutate("no candidates", func(d map[string]any) { d["candidates"] = []any{} })
	mutate("candidates null", func(d map[string]any) { d["candidates"] = nil })
	mutate("configs empty", func(d map[string]any) { d["configs"] = []any{} })
	for name, b := range map[string]string{
		"empty":         "",
		"an array":      "[]",
		"a string":      `"faultline"`,
		"null":          "null",
		"binary":        "\x00\x01\x02\xff\xfe",
		"deep nesting":  strings.Repeat("[", 100000),
		"a sweep of 1":  `{"schema":"faultline-sweep/v1","points":[1]}`,
		"trailing junk": string(good) + "}}}",
	} {
		out[name] = []byte(b)
	}
	return out
}

// badFiles are paths that are not documents: devices, a directory, a
// FIFO nobody writes, a link to /dev/zero, nothing, a file past the size
// limit.
func badFiles() map[string]struct {
	path  string
	setup func(*testing.T, string)
} {
	return map[string]struct {
		path  string
		setup func(*testing.T, string)
	}{
		"/dev/zero":    {"/dev/zero", nil},
		"/dev/urandom": {"/dev/urandom", nil},
		"a directory":  {"DIR", nil},
		"a FIFO":       {"DIR/fifo.json", mkfifo("fifo.json")},
		"a link to /dev/zero": {"DIR/zero.json", func(t *testing.T, dir string) {
			if err := os.Symlink("/dev/zero", filepath.Join(dir, "zero.json")); err != nil {
				t.Fatal(err)
			}
		}},
		"missing": {"DIR/none.json", nil},
		"over the size limit": {"DIR/huge.json", func(t *testing.T, dir string) {
			f, err := os.Create(filepath.Join(dir, "huge.json"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := f.Truncate(1<<30 + 1); err != nil {
				t.Fatal(err)
			}
		}},
	}
}

// TestHostileInputs tries every bad input of docs/reliability.md: each is
// one line, a documented exit code and an end within seconds.
func TestHostileInputs(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: some three hundred CLI runs")
	}
	py := plainPython(t)
	seed := writeFile("seed.json", seedJSON(t))
	var cases []hostile
	add := func(name string, want []int, setup func(*testing.T, string), args ...string) {
		cases = append(cases, hostile{name: name, args: args, want: want, setup: setup})
	}
	usage := []int{exitUsage}
	// Flag values that cannot mean anything, on run and timeit.
	type flagCase struct{ flag, value string }
	common := []flagCase{
		{"--budget", "-1s"}, {"--budget", "0"}, {"--budget", "soon"}, {"--budget", ""},
		{"--warmup", "-1"}, {"--warmup", "x"},
		{"--configs", ""}, {"--configs", ",,,"}, {"--configs", "glibc,,tcmalloc"}, {"--configs", "nosuch"},
		{"--config", "bad"}, {"--config", "x:"}, {"--config", ":A=B"}, {"--config", "x:LD_PRELOAD=/nonexistent.so"}, {"--config", "x:LD_PRELOAD=/etc/passwd"},
		{"--json", ""}, {"--markdown", ""}, {"--html", ""}, {"--benchstat", ""}, {"--export-json", ""}, {"--export-csv", ""}, {"--export-markdown", ""},
		{"--json", "DIR"}, {"--html", "DIR"}, {"--markdown", "/nonexistent/dir/r.md"}, {"--json", "/proc/self/status"},
		{"--fail-if", ""}, {"--fail-if", "time>5%"}, {"--baseline", "DIR/none.json"}, {"--refine", "NaN"}, {"--refine", "0"}, {"--refine", "1"},
		{"--refine", "-0.5"}, {"--refine", "Inf"},
	}
	runFlags := append(slices.Clone(common), []flagCase{
		{"--timeout", "-1s"}, {"--timeout", "1ns"}, {"--timeout", "later"}, {"-m", "0"}, {"-m", "-1"}, {"-M", "0"}, {"--runs", "-2"},
		{"--input", "DIR/none"}, {"--input", "DIR"}, {"--input", "DIR/fifo"}, {"--prepare", ""}, {"--shell", ""}, {"-L", "n a,,b"}, {"-L", "n"},
		{"-P", "n 5 1"}, {"-P", "n a b"}, {"-L", "1bad x"},
	}...)
	for _, f := range runFlags {
		args := []string{"run", "--budget", "5s", f.flag, f.value, "true"}
		if f.flag == "--budget" {
			args = []string{"run", f.flag, f.value, "true"}
		}
		if f.flag == "--refine" {
			args = append(args, "-L", "n", "1,2")
		}
		add("run "+f.flag+" "+f.value, usage, both(mkfifo("fifo"), seed), args...)
	}
	timeitFlags := append(slices.Clone(common), []flagCase{
		{"-n", "-1"}, {"-n", "many"}, {"-r", "-1"}, {"-r", "x"}, {"--sample-time", "0"}, {"--sample-time", "-1s"}, {"--sample-time", "10m"},
		{"--python", "/bin/true"}, {"--python", "/nonexistent/python"}, {"--python", "DIR"}, {"-s", "x = = 1"},
	}...)
	for _, f := range timeitFlags {
		args := []string{"timeit", "--python", py, "--budget", "5s", f.flag, f.value, "1"}
		switch f.flag {
		case "--budget":
			args = []string{"timeit", "--python", py, f.flag, f.value, "1"}
		case "--python":
			args = []string{"timeit", "--budget", "5s", f.flag, f.value, "1"}
		case "--refine":
			args = append(args[:len(args)-1], "-L", "n", "1,2", "{n}")
		}
		add("timeit "+f.flag+" "+f.value, usage, both(mkfifo("fifo"), seed), args...)
	}
	// Two outputs naming one file.
	for _, pair := range [][2]string{{"--json", "--html"}, {"--json", "--markdown"}, {"--html", "--benchstat"}, {"--export-json", "--export-csv"}, {"--json", "--export-markdown"}} {
		add("run "+pair[0]+" and "+pair[1]+" on one file", usage, nil, "run", "--budget", "5s", pair[0], "x.out", pair[1], "./x.out", "true")
		add("report "+pair[0]+" and "+pair[1]+" on one file", usage, seed, "report", "seed.json", pair[0], "x.out", pair[1], "DIR/x.out")
	}
	// Documents that are not results, everywhere a result is read.
	for name, b := range badDocuments(t) {
		add("report: "+name, usage, writeFile("bad.json", b), "report", "bad.json")
		add("compare new: "+name, usage, both(seed, writeFile("bad.json", b)), "compare", "seed.json", "bad.json")
		add("compare old: "+name, usage, both(seed, writeFile("bad.json", b)), "compare", "bad.json", "seed.json")
		add("--baseline: "+name, usage, writeFile("bad.json", b), "run", "--budget", "5s", "--baseline", "bad.json", "true")
	}
	for name, f := range badFiles() {
		add("report: "+name, usage, f.setup, "report", f.path)
		add("compare: "+name, usage, both(seed, f.setup), "compare", "seed.json", f.path)
		add("--baseline: "+name, usage, f.setup, "timeit", "--python", py, "--budget", "5s", "--baseline", f.path, "1")
	}
	// Outputs that cannot be written.
	add("report --json to a FIFO nobody reads", []int{exitInternal}, both(seed, mkfifo("out")), "report", "seed.json", "--json", "out")
	add("report --json /dev/full", []int{exitInternal}, seed, "report", "seed.json", "--json", "/dev/full")
	add("compare --html /dev/full", []int{exitInternal}, seed, "compare", "seed.json", "seed.json", "--html", "/dev/full")
	add("compare --fail-if ''", usage, seed, "compare", "--fail-if", "", "seed.json", "seed.json")
	add("compare --fail-if junk", usage, seed, "compare", "--fail-if", "junk", "seed.json", "seed.json")
	// Nothing measured is never exit 0 with an empty result.
	add("run --budget 1ms false false", []int{exitTargetFail}, nil, "run", "--budget", "1ms", "false", "false")
	add("run --budget 3s with a --prepare that never ends", []int{exitTargetFail}, nil, "run", "--budget", "3s", "-p", "sleep 1000", "true", "true")
	cases[len(cases)-1].limit = 6 * time.Second
	// A gate that cannot judge fails, also when an output cannot be
	// written.
	relabelled := func(t *testing.T, dir string) {
		doc := seedDoc(t)
		for _, c := range doc["candidates"].([]any) {
			c := c.(map[string]any)
			if c["name"] == "B" {
				c["label"], c["statement"] = "", "t = a.astype(np.float64); t / 256.0"
			}
		}
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		writeFile("changed.json", b)(t, dir)
	}
	add("compare --fail-if, a candidate that pairs with nothing", []int{exitGate}, both(seed, relabelled), "compare", "--fail-if", "faults>+10%", "seed.json", "changed.json")
	add("compare --fail-if, unpaired, the output unwritable", []int{exitGate}, both(seed, relabelled), "compare", "--fail-if", "faults>+10%", "--json", "/dev/full", "seed.json", "changed.json")
	if os.Geteuid() == 0 {
		planted := func(t *testing.T, dir string) {
			seed(t, dir)
			sticky := filepath.Join(dir, "tmp")
			if err := os.Mkdir(sticky, os.ModeSticky|0o777); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(sticky, os.ModeSticky|0o777); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "victim"), []byte("precious"), 0o600); err != nil {
				t.Fatal(err)
			}
			link := filepath.Join(sticky, "r.json")
			if err := os.Symlink(filepath.Join(dir, "victim"), link); err != nil {
				t.Fatal(err)
			}
			if err := os.Lchown(link, 65534, 65534); err != nil {
				t.Fatal(err)
			}
		}
		for _, flag := range []string{"--json", "--html", "--markdown", "--benchstat"} {
			add("report "+flag+" through another user's link", usage, planted, "report", "seed.json", flag, "tmp/r.json")
			add("run "+flag+" through another user's link", usage, planted, "run", "--budget", "5s", flag, "tmp/r.json", "true")
		}
		add("compare --json through another user's link", usage, planted, "compare", "seed.json", "seed.json", "--json", "tmp/r.json")
	}
	n := runAll(t, cases, 3)
	if n < 250 {
		t.Errorf("%d bad inputs tried, docs/reliability.md promises 250 or more", n)
	}
}

// TestFaults sends every stop signal at several moments to commands that
// measure and to those that do not, and runs faultline where the
// environment fails: each ends with its documented exit code, keeps what
// it measured and leaves no process.
func TestFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: some hundred and sixty CLI runs")
	}
	py := plainPython(t)
	seed := writeFile("seed.json", seedJSON(t))
	// A FIFO with a writer that never writes: a read of it blocks for as
	// long as the test wants.
	stuck := func(t *testing.T, dir string) {
		p := filepath.Join(dir, "stuck.json")
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Fatal(err)
		}
		// Held open for writing (and reading, so the open does not
		// wait) by the test: faultline's read waits for data.
		w, err := os.OpenFile(p, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.Close() })
	}
	var cases []hostile
	sigs := []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}
	waiting := []struct {
		name  string
		setup func(*testing.T, string)
		args  []string
	}{
		{"report reading a stalled pipe", stuck, []string{"report", "stuck.json"}},
		{"compare reading a stalled pipe", both(seed, stuck), []string{"compare", "seed.json", "stuck.json"}},
		{"--baseline reading a stalled pipe", stuck, []string{"run", "--budget", "5s", "--baseline", "stuck.json", "true"}},
		{"report --json to a FIFO nobody reads", both(seed, mkfifo("out")), []string{"report", "seed.json", "--json", "out"}},
		{"compare --json to a FIFO nobody reads", both(seed, mkfifo("out")), []string{"compare", "seed.json", "seed.json", "--json", "out"}},
		{"doctor", nil, []string{"doctor"}},
	}
	for _, w := range waiting {
		for _, s := range sigs {
			for _, d := range []time.Duration{100 * time.Millisecond, 300 * time.Millisecond, 700 * time.Millisecond, 1200 * time.Millisecond} {
				cases = append(cases, hostile{name: fmt.Sprintf("%s, %s after %s", w.name, s, d), args: w.args, setup: w.setup,
					want: []int{exitInterrupted, exitOK}, signal: s, delay: d})
			}
		}
	}
	measuring := []struct {
		name string
		args []string
	}{
		{"run", []string{"run", "--budget", "20s", "--no-experiments", "--json", "r.json", "sleep 0.1", "sleep 0.12"}},
		{"timeit", []string{"timeit", "--python", py, "--budget", "20s", "--no-experiments", "--json", "r.json", "sum(range(1000))", "sum(range(2000))"}},
	}
	for _, m := range measuring {
		for _, s := range sigs {
			for _, d := range []time.Duration{300 * time.Millisecond, 900 * time.Millisecond, 1800 * time.Millisecond, 3 * time.Second} {
				// Interrupted, or finished before the signal came.
				cases = append(cases, hostile{name: fmt.Sprintf("%s, %s after %s", m.name, s, d), args: m.args,
					want: []int{exitInterrupted, exitOK}, signal: s, delay: d, keep: "r.json"})
			}
		}
	}
	// The environment fails: no temporary directory, no descriptors, a
	// closed standard output, a full disk for the outputs.
	env := func(name string, want []int, vars []string, args ...string) {
		cases = append(cases, hostile{name: name, args: args, env: vars, want: want, limit: 20 * time.Second})
	}
	for _, tmp := range []string{"/nonexistent", "/proc", "/dev/null"} {
		env("timeit, TMPDIR="+tmp, []int{exitInternal}, []string{"TMPDIR=" + tmp}, "timeit", "--python", py, "--budget", "5s", "1")
		env("demo, TMPDIR="+tmp, []int{exitInternal, exitOK}, []string{"TMPDIR=" + tmp}, "demo", "--native", "--budget", "5s", "--no-experiments")
	}
	for _, lim := range []string{"8", "12", "16"} {
		for _, args := range [][]string{{"run", "--budget", "5s", "true"}, {"timeit", "--python", py, "--budget", "5s", "1"}, {"report", "seed.json"}} {
			cases = append(cases, hostile{name: "ulimit -n " + lim + ": " + args[0], setup: seed, want: []int{exitInternal, exitOK},
				args: append([]string{"__ulimit_nofile", lim}, args...), limit: 20 * time.Second})
		}
	}
	for _, args := range [][]string{{"run", "--budget", "5s", "--no-experiments", "true"}, {"report", "seed.json"}, {"compare", "seed.json", "seed.json"}, {"doctor"}} {
		cases = append(cases, hostile{name: "stdout closed: " + args[0], setup: seed, args: args, want: []int{exitInternal, exitOK},
			stdoutClosed: true, limit: 20 * time.Second})
	}
	// Files limited to 1 KiB, as on a full disk: the outputs fail, and so
	// may the fallback; either is said in one line, exit 4.
	for _, args := range [][]string{{"run", "--budget", "5s", "--no-experiments", "--json", "r.json", "true"}, {"report", "seed.json", "--html", "r.html"},
		{"compare", "seed.json", "seed.json", "--json", "c.json"}} {
		cases = append(cases, hostile{name: "ulimit -f 1: " + args[0], setup: seed, want: []int{exitInternal},
			args: append([]string{"__ulimit_fsize", "1024"}, args...), limit: 20 * time.Second})
	}
	for _, flag := range []string{"--json", "--html", "--markdown"} {
		cases = append(cases, hostile{name: "run " + flag + " /dev/full", args: []string{"run", "--budget", "5s", "--no-experiments", flag, "/dev/full", "true"},
			want: []int{exitInternal}, limit: 20 * time.Second})
	}
	n := runAll(t, cases, 2)
	if n < 150 {
		t.Errorf("%d faults tried, docs/reliability.md promises 150 or more", n)
	}
}

// TestBudgetEndIsNotAFailure: a budget that ends while a run or a
// configuration is under way skips what it cut (exit 0, what was measured
// kept); it is never reported as the target's failure. A budget too short
// for any run is exit 1 with the result partial.
func TestBudgetEndIsNotAFailure(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	py := plainPython(t)
	// A probe whose set-up takes 0.6 s: the experiments the budget still
	// lets start are killed "still starting" at its end.
	slowStart := []string{"timeit", "-q", "--python", py, "-s", "import time; time.sleep(0.6)", "--json", "r.json", "1", "2"}
	for _, budget := range []string{"150ms", "300ms", "600ms", "1s", "2s", "3s", "4s"} {
		t.Run(budget, func(t *testing.T) {
			args := []string{"run", "-q", "--budget", budget, "--json", "r.json", "true", "sleep 0.001"}
			if d, _ := time.ParseDuration(budget); d >= 2*time.Second {
				args = append(slices.Clone(slowStart[:1]), append([]string{"--budget", budget}, slowStart[1:]...)...)
			}
			cmd, tmp := cliCmd(t, args...)
			out, err := cmd.CombinedOutput()
			code := exitCode(err)
			r, lerr := result.Load(filepath.Join(tmp, "r.json"))
			if lerr != nil {
				t.Fatalf("exit %d, no result: %v\n%s", code, lerr, out)
			}
			for _, c := range r.Configs {
				if c.Status == "failed" {
					t.Errorf("configuration %s failed: %s", c.Name, c.Reason)
				}
			}
			for _, run := range r.Results {
				if run.Status == "failed" && strings.Contains(run.Error, "deadline") {
					t.Errorf("run %s/%s failed at the budget's end: %s", run.Candidate, run.Config, run.Error)
				}
			}
			measured := false
			for _, run := range r.Results {
				measured = measured || run.Status == "ok" && run.Time.N > 0
			}
			switch {
			case measured && code != exitOK:
				t.Errorf("exit %d with runs measured, want 0:\n%s", code, out)
			case !measured && (code != exitTargetFail || !r.Partial || !strings.Contains(string(out), "nothing was measured")):
				t.Errorf("nothing measured: exit %d, partial %v, want exit 1, partial, and a line saying so:\n%s", code, r.Partial, out)
			}
		})
	}
}
