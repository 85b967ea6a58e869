package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faultline/faultline/internal/probe"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/testenv"
)

// cliCmd returns a command that runs this test binary as faultline, with
// progress printed as "phase:" lines and a private TMPDIR, so every probe
// file it creates (and so every probe process) carries that path.
func cliCmd(t *testing.T, args ...string) (*exec.Cmd, string) {
	t.Helper()
	tmp := t.TempDir()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "FAULTLINE_TEST_AS_CLI=1", "FAULTLINE_PHASE_LOG=1", "TMPDIR="+tmp, "NO_COLOR=1")
	cmd.Dir = tmp
	return cmd, tmp
}

func plainPython(t *testing.T) string {
	t.Helper()
	p, err := probe.LookPython("/usr/bin/python3")
	if err != nil {
		testenv.Missing(t, "no /usr/bin/python3: apt-get install python3 (CI has it)")
	}
	return p
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}

// liveProcesses lists the live processes other than ourselves (zombies
// hold nothing and are about to be reaped) as pid: command line, with
// their working directories.
func liveProcesses() (procs []string, cwds []string) {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		st, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil || strings.Contains(string(st), ") Z ") {
			continue
		}
		b, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		cwd, _ := os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
		procs = append(procs, e.Name()+": "+strings.ReplaceAll(string(b), "\x00", " "))
		cwds = append(cwds, cwd)
	}
	return procs, cwds
}

// survivors lists processes (other than ourselves) whose command line
// contains token.
func survivors(token string) []string {
	var out []string
	procs, _ := liveProcesses()
	for _, p := range procs {
		if _, cl, _ := strings.Cut(p, ": "); strings.Contains(cl, token) {
			out = append(out, p)
		}
	}
	return out
}

func assertNoSurvivors(t *testing.T, token string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		s := survivors(token)
		if len(s) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes outlived faultline:\n%s", strings.Join(s, "\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startAndSignal starts faultline, waits until it prints a phase line
// containing phase, sends sig, and returns the exit code and stderr.
func startAndSignal(t *testing.T, cmd *exec.Cmd, phase string, sig syscall.Signal) (int, string) {
	t.Helper()
	code, log, _ := startAndSignalTimed(t, cmd, phase, sig)
	return code, log
}

// startAndSignalTimed is startAndSignal that also says how long faultline
// took to exit after the signal.
func startAndSignalTimed(t *testing.T, cmd *exec.Cmd, phase string, sig syscall.Signal) (int, string, time.Duration) {
	t.Helper()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	found := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if !sent && strings.Contains(sc.Text(), phase) {
				sent = true
				close(found)
			}
		}
	}()
	var sent time.Time
	select {
	case <-found:
		sent = time.Now()
		_ = cmd.Process.Signal(sig)
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("phase %q never reached; stderr:\n%s", phase, log.String())
	}
	waitErr := make(chan error, 1)
	go func() { <-done; waitErr <- cmd.Wait() }()
	select {
	case err := <-waitErr:
		return exitCode(err), log.String(), time.Since(sent)
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("faultline did not stop within 20 s of %v; stderr:\n%s", sig, log.String())
	}
	return 0, "", 0
}

// TestInterruptEveryPhase sends SIGINT or SIGTERM while faultline is in
// each phase: it must stop promptly with exit 3, write a valid partial
// result, and leave no process behind.
func TestInterruptEveryPhase(t *testing.T) {
	py := plainPython(t)
	slow := "import time; time.sleep(0.005)"
	tests := []struct {
		name  string
		args  []string
		phase string
		sig   syscall.Signal
	}{
		{"timing interleaved SIGINT", []string{"timeit", "--python", py, "--no-experiments", "-r", "100000", "--sample-time", "10ms", slow, "sum(range(10))"}, "(interleaved): round 2", syscall.SIGINT},
		{"timing isolated SIGTERM", []string{"timeit", "--python", py, "--no-experiments", "-r", "1000", "--sample-time", "10ms", slow, "sum(range(10))"}, "(isolated): round 2", syscall.SIGTERM},
		{"allocation pass SIGINT", []string{"timeit", "--python", py, "--no-experiments", "--no-isolated", "-r", "8", "--sample-time", "5ms", "import time; time.sleep(0.2)", "import time; time.sleep(0.2)"}, "allocation pass", syscall.SIGINT},
		{"run SIGINT", []string{"run", "--no-experiments", "--runs", "1000", "sleep 0.05", "sh -c 'sleep 0.05'"}, "(process): run 2", syscall.SIGINT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{tt.args[0], "--json", "out.json"}, tt.args[1:]...)
			cmd, tmp := cliCmd(t, args...)
			code, stderr := startAndSignal(t, cmd, tt.phase, tt.sig)
			if code != exitInterrupted {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", code, exitInterrupted, stderr)
			}
			if !strings.Contains(stderr, "interrupted") {
				t.Errorf("stderr does not say it was interrupted:\n%s", stderr)
			}
			r, err := result.Load(filepath.Join(tmp, "out.json"))
			if err != nil {
				t.Fatalf("partial result not written: %v", err)
			}
			if err := validate(r, true); err != nil {
				t.Fatalf("partial result invalid: %v", err)
			}
			assertNoSurvivors(t, tmp)
			assertNoSurvivors(t, "sleep 0.05")
		})
	}
}

// TestTimeoutKillsTree: a command that hangs is killed with its children
// at --timeout, reported, and exit 1.
func TestTimeoutKillsTree(t *testing.T) {
	cmd, _ := cliCmd(t, "run", "--no-experiments", "--no-trace", "--runs", "2", "--timeout", "500ms", "sh -c 'sleep 300.25 & sleep 301.25'")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	if code := exitCode(err); code != exitTargetFail {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitTargetFail, stderr.String())
	}
	if time.Since(start) > 15*time.Second {
		t.Errorf("took %s with a 500ms timeout", time.Since(start))
	}
	if !strings.Contains(stderr.String(), "timed out") {
		t.Errorf("stderr does not say it timed out:\n%s", stderr.String())
	}
	// The exact arguments: other programs on a shared machine sleep too.
	assertNoSurvivors(t, "sleep 300.25")
	assertNoSurvivors(t, "sleep 301.25")
}

// TestSignalledTarget: a target killed by a signal is reported with the
// signal's name and exit 1.
func TestSignalledTarget(t *testing.T) {
	cmd, tmp := cliCmd(t, "run", "--no-experiments", "--no-trace", "--runs", "3", "--json", "out.json", "sh -c 'kill -SEGV $$'")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if code := exitCode(cmd.Run()); code != exitTargetFail {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitTargetFail, stderr.String())
	}
	if !strings.Contains(stderr.String(), "killed by SIGSEGV") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
	r, err := result.Load(filepath.Join(tmp, "out.json"))
	if err != nil {
		t.Fatal(err)
	}
	if run := r.Run("A", result.DefaultConfig, result.ModeProcess); run == nil || len(run.Failures) == 0 || run.Failures[0].Signal != "SIGSEGV" {
		t.Errorf("failure not recorded: %+v", run)
	}
}

// TestDaemonDoesNotOutliveFaultline: a target that starts a daemon in a new
// session (escaping its process group) still has it killed.
func TestDaemonDoesNotOutliveFaultline(t *testing.T) {
	cmd, _ := cliCmd(t, "run", "--no-experiments", "--no-trace", "--runs", "2", "sh -c 'setsid sleep 302.75 >/dev/null 2>&1 < /dev/null & sleep 0.3; exit 0'")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if code := exitCode(cmd.Run()); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	assertNoSurvivors(t, "sleep 302.75")
}

// TestFloodedOutput: a target writing megabytes to stdout and stderr
// neither deadlocks faultline nor grows its memory.
func TestFloodedOutput(t *testing.T) {
	py := plainPython(t)
	cmd, _ := cliCmd(t, "timeit", "--python", py, "--no-experiments", "--no-isolated", "--no-trace", "--no-alloc", "-r", "8", "-n", "20",
		"import sys; sys.stdout.write('x' * 1_000_000); sys.stderr.write('y' * 1_000_000)", "pass")
	stderr, _ := cmd.StderrPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var n int64
	done := make(chan struct{}, 2)
	for _, r := range []io.Reader{stderr, stdout} {
		go func() { c, _ := io.Copy(io.Discard, r); n += c; done <- struct{}{} }()
	}
	<-done
	<-done
	err := cmd.Wait()
	if code := exitCode(err); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if n < 100_000_000 {
		t.Errorf("only %d bytes of target output passed through", n)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru.Maxrss > 300*1024 {
		t.Errorf("faultline peak RSS %d KiB while forwarding output", ru.Maxrss)
	}
}

// TestGarbageOnProbeChannel: a statement that writes garbage to the probe's
// record descriptor ends the run with exit 2 and a clear line.
func TestGarbageOnProbeChannel(t *testing.T) {
	py := plainPython(t)
	cmd, _ := cliCmd(t, "timeit", "--python", py, "--no-experiments", "-r", "8", `import os; os.write(int(os.environ["FAULTLINE_FD"]), b'"garbage\n')`)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if code := exitCode(cmd.Run()); code != exitUsage {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitUsage, stderr.String())
	}
	if !strings.Contains(stderr.String(), "garbage to the probe channel") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
}

// TestUnicodeQuotesAndHugeArguments: labels and statements with unicode,
// quotes and 200 KB of code survive into the result unchanged.
func TestUnicodeQuotesAndHugeArguments(t *testing.T) {
	py := plainPython(t)
	// One argument may be at most 128 KiB on Linux (MAX_ARG_STRLEN).
	huge := strings.Repeat("x = 1\n", 20_000) + "y = 'ünïcödé \" \\' <script>'"
	label := `naïve "quoted" 'label' <b>&</b> 日本語`
	args := []string{"timeit", "--python", py, "-q", "--no-experiments", "--no-isolated", "--no-trace", "--no-alloc", "-r", "6", "-n", "1",
		"--json", "out.json", "-l", label, "s = 'é\"\\''", huge}
	for i := 0; i < 30; i++ {
		args = append(args, fmt.Sprintf("z = %d", i))
	}
	cmd, tmp := cliCmd(t, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if code := exitCode(cmd.Run()); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	r, err := result.Load(filepath.Join(tmp, "out.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Candidates) != 32 || r.Candidates[31].Name != "AF" {
		t.Errorf("%d candidates, last %q", len(r.Candidates), r.Candidates[len(r.Candidates)-1].Name)
	}
	if r.Candidates[0].Label != label || r.Candidates[1].Statement != huge || r.Candidates[0].Statement != `s = 'é"\''` {
		t.Errorf("candidates changed on the way: %q / %q", r.Candidates[0].Label, r.Candidates[0].Statement)
	}
}

// TestUnwritableOutput: an output path that cannot be written is refused
// before measuring (exit 2); one that disappears during the measurement
// costs nothing measured: the result is saved to a temporary file (exit 4).
func TestUnwritableOutput(t *testing.T) {
	py := plainPython(t)
	cmd, _ := cliCmd(t, "timeit", "--python", py, "--json", "/nonexistent-dir/out.json", "pass")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if code := exitCode(cmd.Run()); code != exitUsage {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitUsage, stderr.String())
	}
	if !strings.Contains(stderr.String(), "cannot write /nonexistent-dir/out.json") {
		t.Errorf("stderr:\n%s", stderr.String())
	}

	cmd, tmp := cliCmd(t, "timeit", "--python", py, "--no-experiments", "--no-isolated", "--no-alloc", "-r", "12", "--sample-time", "20ms",
		"--json", "sub/out.json", "import time; time.sleep(0.002)")
	sub := filepath.Join(tmp, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stderrPipe, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	sc := bufio.NewScanner(stderrPipe)
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "round 1") {
			os.RemoveAll(sub)
		}
	}
	err := cmd.Wait()
	_ = ctx
	if code := exitCode(err); code != exitInternal {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitInternal, log.String())
	}
	i := strings.Index(log.String(), "saved to ")
	if i < 0 {
		t.Fatalf("stderr does not say where the result went:\n%s", log.String())
	}
	path := strings.Fields(log.String()[i+len("saved to "):])[0]
	defer os.Remove(path)
	if _, err := result.Load(path); err != nil {
		t.Fatalf("fallback result: %v", err)
	}
}

// leftIn lists live processes whose working directory is dir or whose
// command line mentions it: everything a faultline started in dir (its
// supervisors, targets and their children inherit its working directory).
func leftIn(dir string) []string {
	var out []string
	procs, cwds := liveProcesses()
	for i, p := range procs {
		if _, cl, _ := strings.Cut(p, ": "); cwds[i] == dir || strings.Contains(cl, dir) {
			out = append(out, p)
		}
	}
	return out
}

// TestKill9LeavesNothing (issue 12, item 3): faultline SIGKILLed in the
// middle of timeit, run and demo, untraced, traced and in an experiment,
// leaves no process after 2 s (background children, setsid daemons and a
// setup's Popen children included), and the next faultline removes the
// probe directory the dead one could not.
func TestKill9LeavesNothing(t *testing.T) {
	py := plainPython(t)
	const daemons = "sleep 1001.5 & setsid sleep 1002.5 >/dev/null 2>&1 </dev/null & sleep 0.05"
	popen := "import subprocess; p = subprocess.Popen(['sleep', '1003.5']); q = subprocess.Popen(['setsid', 'sleep', '1004.5'])"
	tests := []struct {
		name  string
		args  []string
		phase string // kill when a phase line contains it
	}{
		{"run untraced", []string{"run", "--no-experiments", "--no-trace", "--shell=sh", "--runs", "1000", daemons, "sleep 0.05"}, "(process): run 2"},
		{"run traced", []string{"run", "--no-experiments", "--shell=sh", "-w", "0", "--runs", "1", "sleep 1001.5 & setsid sleep 1002.5 >/dev/null 2>&1 </dev/null & sleep 1", "sleep 0.05"}, "trace pass: A"},
		{"timeit untraced", []string{"timeit", "--python", py, "--no-experiments", "-r", "100000", "--sample-time", "10ms", "-s", popen, "sum(range(10))", "pass"}, "(interleaved): round 2"},
		{"timeit traced", []string{"timeit", "--python", py, "--no-experiments", "--no-isolated", "-r", "6", "--sample-time", "10ms", "-s", popen, "import time; time.sleep(0.3)", "pass"}, "trace pass: A"},
		{"demo experiment", []string{"demo", "--native", "--no-isolated", "--no-trace", "--no-alloc", "-r", "1000", "--sample-time", "10ms", "--configs", "glibc-hugetlb"}, "timing glibc-hugetlb (interleaved): round 2"},
		{"demo traced", []string{"demo", "--native", "--no-isolated", "--no-experiments", "-r", "6", "--sample-time", "10ms"}, "trace pass: B"},
	}
	// Each phase four times: 24 kill -9 runs (docs/reliability.md
	// promises none leaves a process over 20 or more).
	for round := range 4 {
		for _, tt := range tests {
			killed(t, py, fmt.Sprintf("%s #%d", tt.name, round+1), tt.args, tt.phase)
		}
	}
}

// killed runs the CLI with args, kills it with SIGKILL when a phase line
// contains phase, and checks that nothing it started is left.
func killed(t *testing.T, py, name string, args []string, phase string) {
	tt := struct {
		args  []string
		phase string
	}{args, phase}
	t.Run(name, func(t *testing.T) {
		cmd, tmp := cliCmd(t, tt.args...)
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var log strings.Builder
		found := make(chan struct{})
		go func() {
			sc := bufio.NewScanner(stderr)
			sent := false
			for sc.Scan() {
				log.WriteString(sc.Text() + "\n")
				if !sent && strings.Contains(sc.Text(), tt.phase) {
					sent = true
					close(found)
				}
			}
		}()
		select {
		case <-found:
		case <-time.After(60 * time.Second):
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("phase %q never reached; stderr:\n%s", tt.phase, log.String())
		}
		// Let the target start its children.
		time.Sleep(200 * time.Millisecond)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		time.Sleep(2 * time.Second)
		if left := leftIn(tmp); len(left) > 0 {
			t.Errorf("2 s after faultline was killed, these processes remain:\n%s", strings.Join(left, "\n"))
			for _, l := range left {
				pid, _ := strconv.Atoi(strings.SplitN(l, ":", 2)[0])
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		// The next faultline removes what the dead one left in TMPDIR.
		next, _ := cliCmd(t, "timeit", "--python", py, "--no-experiments", "--no-isolated", "--no-trace", "--no-alloc", "-r", "1", "-n", "1", "pass")
		next.Env = append(next.Env, "TMPDIR="+tmp)
		if out, err := next.CombinedOutput(); err != nil {
			t.Fatalf("next run: %v\n%s", err, out)
		}
		if dirs, _ := filepath.Glob(filepath.Join(tmp, "faultline-probe-*")); len(dirs) > 0 {
			t.Errorf("probe directories left after the next run: %v", dirs)
		}
	})
}

// TestHangsEndWithinBudget (issue 12, item 2): a command that never ends,
// a timeit statement that starts sleeping forever and an interpreter that
// never starts the probe are killed within --budget and recorded as timed
// out; the result is written and nothing is left running.
func TestHangsEndWithinBudget(t *testing.T) {
	py := plainPython(t)
	const budget = 5 * time.Second
	tests := []struct {
		name    string
		args    []string
		timeout string // the candidate whose run must be marked timed out
	}{
		{"run", []string{"run", "sleep 1000.25", "true"}, "A"},
		// B starts sleeping forever a tenth of a second into its probe's
		// life: during the baseline's rounds, whatever else runs first.
		{"timeit statement", []string{"timeit", "--python", py, "-s", "import time; t0 = time.time()", "pass", "time.time() - t0 > 0.1 and time.sleep(1000)"}, "B"},
		{"interpreter", []string{"timeit", "--python", "./fp", "pass"}, "A"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{tt.args[0], "--budget", budget.String(), "--json", "out.json"}, tt.args[1:]...)
			cmd, tmp := cliCmd(t, args...)
			if err := os.WriteFile(filepath.Join(tmp, "fp"), []byte("#!/bin/sh\nexec sleep 1000.75\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			start := time.Now()
			err := cmd.Run()
			took := time.Since(start)
			if code := exitCode(err); code != exitTargetFail {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitTargetFail, stderr.String())
			}
			// The budget plus a little for writing; a hang would take
			// 1000 s.
			if took > budget*8/5 {
				t.Errorf("took %s with --budget %s", took, budget)
			}
			if !strings.Contains(stderr.String(), "timed out") {
				t.Errorf("stderr does not say what timed out:\n%s", stderr.String())
			}
			r, err := result.Load(filepath.Join(tmp, "out.json"))
			if err != nil {
				t.Fatalf("result not written: %v", err)
			}
			if err := validate(r, true); err != nil {
				t.Fatalf("invalid result: %v", err)
			}
			run := r.Run(tt.timeout, result.DefaultConfig, r.PrimaryMode())
			if run == nil || !run.TimedOut || run.Status != result.StatusFailed || !strings.Contains(run.Error, "timed out") {
				t.Errorf("candidate %s not recorded as timed out: %+v", tt.timeout, run)
			}
			for _, c := range r.Configs[1:] {
				if c.Status != result.StatusSkipped || c.Reason == "" {
					t.Errorf("configuration %s never ran but is %q (%q)", c.Name, c.Status, c.Reason)
				}
			}
			assertNoSurvivors(t, "sleep 1000.")
		})
	}
}

// TestBudgetBoundsEverything (issue 12, item 4): with 60 candidates and
// --budget 10s the whole run (calibration, baseline, isolated runs, trace
// and allocation passes, experiments, fixes) ends within about the budget,
// and what did not fit is recorded as skipped with the reason.
func TestBudgetBoundsEverything(t *testing.T) {
	py := plainPython(t)
	const budget = 10 * time.Second
	args := []string{"timeit", "--python", py, "--budget", budget.String(), "--json", "out.json"}
	for i := 0; i < 60; i++ {
		args = append(args, fmt.Sprintf("x = %d", i))
	}
	cmd, tmp := cliCmd(t, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if code := exitCode(cmd.Run()); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	if took := time.Since(start); took > budget*3/2 {
		t.Errorf("took %s with --budget %s", took, budget)
	}
	r, err := result.Load(filepath.Join(tmp, "out.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := validate(r, false); err != nil {
		t.Fatal(err)
	}
	skipped := 0
	for _, c := range r.Configs {
		if c.Status == result.StatusSkipped {
			skipped++
			if !strings.Contains(c.Reason, "budget") {
				t.Errorf("configuration %s skipped for %q", c.Name, c.Reason)
			}
		}
	}
	for _, p := range r.Passes {
		if p.Status == result.StatusSkipped {
			skipped++
			if !strings.Contains(p.Reason, "budget") {
				t.Errorf("pass %s skipped for %q", p.Name, p.Reason)
			}
		}
	}
	if skipped == 0 {
		t.Errorf("60 candidates in %s, yet nothing was skipped", budget)
	}
	for _, c := range r.Candidates {
		if run := r.Run(c.Name, result.DefaultConfig, result.ModeInterleaved); run == nil || run.Status != result.StatusOK {
			t.Errorf("candidate %s has no baseline time", c.Name)
		}
	}
}

// TestInterruptedConfigsSkipped (issue 12, item 9): a configuration
// interrupted by SIGINT, and every one the run never reached, is recorded
// skipped with the reason "interrupted", never failed or dropped; and
// SIGINT while the trace pass starts its process ends faultline at once
// (it took 3 s, the supervisor's backstop).
func TestInterruptedConfigsSkipped(t *testing.T) {
	tests := []struct {
		name, phase string
		want        map[string]string // configuration -> status
	}{
		{"in an experiment", "timing glibc-hugetlb (process): run 2",
			map[string]string{"glibc": result.StatusOK, "glibc-hugetlb": result.StatusSkipped, "glibc-top-pad": result.StatusSkipped}},
		{"in the baseline", "timing glibc (process): run 2",
			map[string]string{"glibc": result.StatusSkipped, "glibc-hugetlb": result.StatusSkipped, "glibc-top-pad": result.StatusSkipped}},
		{"as the trace pass starts", "trace pass: A",
			map[string]string{"glibc": result.StatusOK, "glibc-hugetlb": result.StatusSkipped, "glibc-top-pad": result.StatusSkipped}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd, tmp := cliCmd(t, "run", "--json", "out.json", "--configs", "glibc-hugetlb,glibc-top-pad", "-w", "0", "--runs", "4", "sleep 0.05", "true")
			cmd.Env = append(cmd.Env, "FAULTLINE_TRACER=perf")
			code, stderr, took := startAndSignalTimed(t, cmd, tt.phase, syscall.SIGINT)
			if code != exitInterrupted {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitInterrupted, stderr)
			}
			// Killing and writing take a fraction of a second; the
			// supervisor's backstop would take 3 s.
			if took > 2*time.Second {
				t.Errorf("took %s to stop after SIGINT", took)
			}
			r, err := result.Load(filepath.Join(tmp, "out.json"))
			if err != nil {
				t.Fatal(err)
			}
			for name, status := range tt.want {
				c := r.Config(name)
				switch {
				case c == nil:
					t.Errorf("configuration %s dropped", name)
				case c.Status != status:
					t.Errorf("configuration %s is %q (%q), want %q", name, c.Status, c.Reason, status)
				case status == result.StatusSkipped && c.Reason != "interrupted":
					t.Errorf("configuration %s skipped for %q, want \"interrupted\"", name, c.Reason)
				}
			}
		})
	}
}

// TestWriteErrorAfterInterrupt: when the run is interrupted and --json can
// no longer be written (the target removed its directory), exit 3 stands
// and one line still says where the result was saved instead; before, the
// write error was dropped and "partial result kept" was all it said.
func TestWriteErrorAfterInterrupt(t *testing.T) {
	cmd, tmp := cliCmd(t, "run", "--no-experiments", "--no-trace", "--runs", "1000", "--json", "sub/out.json", "sh -c 'rm -rf sub; sleep 0.05'")
	if err := os.Mkdir(filepath.Join(tmp, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	code, stderr := startAndSignal(t, cmd, "(process): run 2", syscall.SIGINT)
	if code != exitInterrupted {
		t.Fatalf("exit code %d, want %d; stderr:\n%s", code, exitInterrupted, stderr)
	}
	var line string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(l, "sub/out.json") {
			line = l
		}
	}
	i := strings.Index(line, "saved to ")
	if i < 0 {
		t.Fatalf("no line names the write error and the kept result; stderr:\n%s", stderr)
	}
	path := strings.Fields(line[i+len("saved to "):])[0]
	r, err := result.Load(path)
	if err != nil {
		t.Fatalf("fallback result: %v", err)
	}
	if err := validate(r, true); err != nil {
		t.Fatalf("fallback result invalid: %v", err)
	}
}
