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
		t.Skip("no /usr/bin/python3: apt-get install python3 (CI has it)")
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

// survivors lists processes (other than ourselves) whose command line
// contains token.
func survivors(token string) []string {
	var out []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		cl := strings.ReplaceAll(string(b), "\x00", " ")
		if strings.Contains(cl, token) {
			st, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
			if strings.Contains(string(st), ") Z ") {
				continue // a zombie holds no resources and is about to be reaped
			}
			out = append(out, e.Name()+": "+cl)
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
	select {
	case <-found:
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
		return exitCode(err), log.String()
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("faultline did not stop within 20 s of %v; stderr:\n%s", sig, log.String())
	}
	return 0, ""
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
	assertNoSurvivors(t, "sleep 30")
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
