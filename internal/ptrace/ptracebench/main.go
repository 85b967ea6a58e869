// Command ptracebench measures what faultline's memory-syscall tracer costs
// a target, against the same target untraced and under strace's seccomp
// mode, in interleaved rounds (each round runs the three in a shuffled
// order, so drift in the machine's speed hits all of them alike).
//
//	go run ./internal/ptrace/ptracebench [-rounds N] [-warmup N] -- prog args...
//
// Each run has TRACEBENCH_TRACER set to the tracer's name, so a target
// can record measurements of its own per tracer (bench/seed_trace_overhead.sh).
// It prints one line per run in Go benchmark format (benchstat reads it:
// benchstat -col /tracer out.txt) and a summary with medians, their 95%
// confidence intervals and each tracer's overhead over the untraced run.
// bench/trace_overhead.sh builds the standard workload and runs this.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/faultline/faultline/internal/perftrace"
	"github.com/faultline/faultline/internal/proc"
	"github.com/faultline/faultline/internal/ptrace"
	"github.com/faultline/faultline/internal/reexec"
)

func main() {
	reexec.Main()
	rounds := flag.Int("rounds", 15, "measured rounds")
	warmup := flag.Int("warmup", 2, "unrecorded rounds first")
	strace := flag.String("strace", "strace", "strace binary")
	ptraceOnly := flag.Bool("ptrace", false, "also run faultline's tracer without the seccomp listener (ptrace stops only)")
	perf := flag.Bool("perf", false, "also record with faultline's perf syscall-tracepoint recorder (no stops)")
	flag.Parse()
	argv := flag.Args()
	if len(argv) == 0 {
		fmt.Fprintln(os.Stderr, "usage: ptracebench [-rounds N] [-warmup N] -- prog args...")
		os.Exit(2)
	}
	type tracer struct {
		name string
		run  func() (time.Duration, error)
	}
	tracers := []tracer{
		{"none", func() (time.Duration, error) { return timeCmd(exec.Command(argv[0], argv[1:]...)) }},
		{"faultline", func() (time.Duration, error) { return timeTraced(argv, "") }},
		{"strace-seccomp", func() (time.Duration, error) {
			args := append([]string{"-f", "--seccomp-bpf", "-e", "trace=memory", "-c", "-o", "/dev/null"}, argv...)
			return timeCmd(exec.Command(*strace, args...))
		}},
	}
	if *ptraceOnly {
		tracers = append(tracers, tracer{"faultline-ptrace", func() (time.Duration, error) { return timeTraced(argv, "off") }})
	}
	if *perf {
		if err := perftrace.Available(); err != nil {
			fmt.Fprintf(os.Stderr, "ptracebench: -perf: %v\n", err)
			os.Exit(1)
		}
		tracers = append(tracers, tracer{"faultline-perf", func() (time.Duration, error) { return timePerf(argv) }})
	}
	host()
	times := make(map[string][]float64)
	for r := -*warmup; r < *rounds; r++ {
		order := rand.Perm(len(tracers))
		for _, i := range order {
			tr := tracers[i]
			// The target may report its own measurements per tracer.
			os.Setenv("TRACEBENCH_TRACER", tr.name)
			d, err := tr.run()
			if err != nil {
				fmt.Fprintf(os.Stderr, "ptracebench: %s: %v\n", tr.name, err)
				os.Exit(1)
			}
			if r < 0 {
				continue
			}
			times[tr.name] = append(times[tr.name], d.Seconds())
			fmt.Printf("BenchmarkTrace/tracer=%s 1 %d ns/op\n", tr.name, d.Nanoseconds())
		}
	}
	base := median(times["none"])
	fmt.Printf("\n%-16s %10s %22s %12s\n", "tracer", "median", "95% CI", "overhead")
	overhead := map[string]float64{}
	for _, tr := range tracers {
		m := median(times[tr.name])
		lo, hi := ci(times[tr.name])
		overhead[tr.name] = m - base
		fmt.Printf("%-16s %9.3fs   [%7.3fs, %7.3fs] %+10.3fs\n", tr.name, m, lo, hi, m-base)
	}
	if s := overhead["strace-seccomp"]; s > 0 {
		fmt.Printf("\nfaultline overhead / strace overhead = %.2f\n", overhead["faultline"]/s)
		if *perf {
			fmt.Printf("faultline-perf overhead / strace overhead = %.2f\n", overhead["faultline-perf"]/s)
		}
		if *ptraceOnly {
			fmt.Printf("faultline-ptrace overhead / strace overhead = %.2f\n", overhead["faultline-ptrace"]/s)
		}
	}
}

// timeCmd runs cmd with its output discarded and returns its wall time.
func timeCmd(cmd *exec.Cmd) (time.Duration, error) {
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	t0 := time.Now()
	err := cmd.Run()
	return time.Since(t0), err
}

// timeTraced runs argv under faultline's tracer, start-up of the
// supervisor and exec helper included, as a user would see it. listener
// is the value of ptrace.EnvListener for the run.
func timeTraced(argv []string, listener string) (time.Duration, error) {
	os.Setenv(ptrace.EnvListener, listener)
	defer os.Unsetenv(ptrace.EnvListener)
	t0 := time.Now()
	p, err := proc.Start(context.Background(), &proc.Spec{Argv: argv, Stdout: io.Discard, Stderr: io.Discard, Trace: &proc.TraceOptions{}})
	if err != nil {
		return 0, err
	}
	e, err := p.Wait()
	d := time.Since(t0)
	if err == nil && e.Failed() {
		err = fmt.Errorf("target %s", e)
	}
	return d, err
}

// timePerf runs argv recorded by the perf tracepoint recorder: the
// program is held (a shell that stops itself before exec) until the
// recorder is attached, and timed from its release to its exit.
func timePerf(argv []string) (time.Duration, error) {
	held := perftrace.HoldArgv(argv)
	cmd := exec.Command(held[0], held[1:]...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	if err := perftrace.WaitStopped(context.Background(), cmd.Process.Pid, 5*time.Second); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return 0, err
	}
	r, err := perftrace.Attach(cmd.Process.Pid)
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return 0, err
	}
	t0 := time.Now()
	_ = cmd.Process.Signal(syscall.SIGCONT)
	err = cmd.Wait()
	d := time.Since(t0)
	if _, _, serr := r.Stop(); err == nil {
		err = serr
	}
	return d, err
}

func median(x []float64) float64 {
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// ci returns a distribution-free 95% confidence interval for the median
// from order statistics (the normal approximation to the binomial), as
// benchstat does; with fewer than 6 samples it returns the range.
func ci(x []float64) (float64, float64) {
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	n := len(s)
	if n < 6 {
		return s[0], s[n-1]
	}
	const z = 1.96
	half := z * 0.5 * math.Sqrt(float64(n))
	lo := int(float64(n)/2 - half)
	hi := int(float64(n)/2+half+0.5) - 1
	lo = max(lo, 0)
	hi = min(hi, n-1)
	return s[lo], s[hi]
}

// host prints what the numbers were measured on, as benchstat keys.
func host() {
	read := func(p string) string {
		b, _ := os.ReadFile(p)
		return strings.TrimSpace(string(b))
	}
	fmt.Printf("goos: linux\nkernel: %s\ncpus: %d\nloadavg: %s\n",
		read("/proc/sys/kernel/osrelease"), runtime.NumCPU(), read("/proc/loadavg"))
}
