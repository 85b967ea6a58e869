// Package doctor reports what this machine lets faultline measure, and for
// every missing capability the next step to get it, the way cilium/ebpf's
// features package names the missing kernel feature. Each check turns one
// kind of evidence on or off; none of them stops faultline from timing.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/faultline/faultline/internal/alloc"
	"github.com/faultline/faultline/internal/counters"
	"github.com/faultline/faultline/internal/faultcost"
	"github.com/faultline/faultline/internal/host"
	"github.com/faultline/faultline/internal/notebook"
	"github.com/faultline/faultline/internal/perftrace"
	"github.com/faultline/faultline/internal/probe"
	"github.com/faultline/faultline/internal/ptrace"
	"github.com/faultline/faultline/internal/uprobe"
)

// Status of a check.
const (
	OK      = "ok"
	Missing = "missing"
	Warn    = "warn"
)

// Check is one line of the report.
type Check struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Detail string `json:"detail"`
	Next   string `json:"next,omitempty"`
}

// Run performs every check. python is the interpreter whose IPython and
// faultline package are checked: "" for the first one with NumPy.
func Run(ctx context.Context, python string) []Check {
	var cs []Check
	add := func(c Check) { cs = append(cs, c) }

	if err := ptrace.Probe(); errors.Is(err, ptrace.ErrUnsupported) {
		add(Check{"syscall tracing", Missing, err.Error() + ": no ptrace fallback; the trace pass needs the syscall tracepoints below", ""})
	} else if err != nil {
		add(Check{"syscall tracing", Missing, err.Error(), "run where ptrace and seccomp are allowed (not inside a restrictive container); timing still works"})
	} else {
		add(Check{"syscall tracing", OK, "seccomp-bpf + ptrace: brk, mmap, munmap, mremap, madvise per iteration", ""})
	}
	if err := perftrace.Available(); err != nil {
		add(Check{"syscall tracepoints", Missing, oneLine(err) + ": the trace pass stops the target on every memory call (slower, same counts)",
			"run as root (or sysctl kernel.perf_event_paranoid=-1) on a kernel with CONFIG_FTRACE_SYSCALLS"})
	} else {
		add(Check{"syscall tracepoints", OK, "perf syscall tracepoints: the timeit/demo trace pass records without stopping the target", ""})
	}
	if err := uprobe.Available(); err != nil {
		add(Check{"uprobes", Missing, oneLine(err) + ": run's native allocation pass is off (no allocator calls or their callers)",
			"run as root, or give faultline CAP_PERFMON (setcap cap_perfmon+ep), on a kernel with CONFIG_UPROBE_EVENTS"})
	} else {
		add(Check{"uprobes", OK, "uprobe PMU: run's native allocation pass counts allocator calls and names their callers", ""})
	}
	cp := counters.Probe()
	switch {
	case !cp.Software:
		add(Check{"perf counters", Missing, fmt.Sprintf("perf_event_open refused (perf_event_paranoid=%d): faults from getrusage only. %s", cp.Paranoid, cp.Note),
			"sysctl kernel.perf_event_paranoid=1 (or run as root)"})
	default:
		add(Check{"perf counters", OK, fmt.Sprintf("software events open (perf_event_paranoid=%d)", cp.Paranoid), ""})
	}
	if cp.Hardware {
		add(Check{"hardware PMU", OK, "cycles, instructions, cache and TLB misses available", ""})
	} else {
		add(Check{"hardware PMU", Missing, "no hardware counters (usual in virtual machines): cycles, instructions and TLB misses are off",
			"run on bare metal or a VM with a virtual PMU for hardware counters"})
	}
	thp := host.THP()
	switch thp {
	case "":
		add(Check{"transparent huge pages", Missing, "the kernel has no THP", ""})
	default:
		add(Check{"transparent huge pages", OK, fmt.Sprintf("enabled=%s defrag=%s (glibc-hugetlb and NumPy's MADV_HUGEPAGE apply when not 'never')", thp, host.THPDefrag()), ""})
	}
	var found []string
	for _, l := range alloc.Libraries {
		if p := alloc.Find(l); p != "" {
			found = append(found, l.Name+" ("+p+")")
		}
	}
	if names, apt := alloc.Missing(); len(names) > 0 {
		add(Check{"allocators", Missing, fmt.Sprintf("found: %s; missing: %s", orNone(found), strings.Join(names, ", ")), apt})
	} else {
		add(Check{"allocators", OK, "found: " + strings.Join(found, ", "), ""})
	}
	pys := probe.Interpreters(ctx)
	var with, without []string
	for _, p := range pys {
		if p.NumPy != "" {
			with = append(with, fmt.Sprintf("%s (Python %s, NumPy %s)", p.Path, p.Version, p.NumPy))
		} else {
			without = append(without, fmt.Sprintf("%s (Python %s)", p.Path, p.Version))
		}
	}
	switch {
	case len(with) > 0:
		d := "with NumPy: " + strings.Join(with, ", ")
		if len(without) > 0 {
			d += "; without: " + strings.Join(without, ", ")
		}
		add(Check{"python", OK, d, ""})
	case len(without) > 0:
		add(Check{"python", Missing, "no interpreter has NumPy: " + strings.Join(without, ", ") + "; the demo runs its native reproduction", "apt-get install python3-numpy"})
	default:
		add(Check{"python", Missing, "no Python interpreter found: timeit is unavailable", "apt-get install python3 python3-numpy"})
	}
	add(ipython(ctx, python, pys))
	add(governor())
	if c, err := faultcost.Measure(); err == nil {
		add(Check{"page-fault cost", OK, fmt.Sprintf("%.2f µs per 4 KiB minor fault (bare metal: ~0.5-1 µs; VMs with shadow paging: ~10 µs)", c.FaultSeconds*1e6), ""})
	} else {
		add(Check{"page-fault cost", Warn, err.Error(), ""})
	}
	add(noise())
	return cs
}

// ipython says whether %load_ext faultline works for the chosen
// interpreter: IPython present, and the faultline package importable.
func ipython(ctx context.Context, python string, pys []probe.Python) Check {
	const name = "ipython"
	if python == "" {
		for _, p := range pys {
			if python == "" || p.NumPy != "" {
				python = p.Path
			}
			if p.NumPy != "" {
				break
			}
		}
	}
	if python == "" {
		return Check{name, Missing, "no Python interpreter found: no IPython magic", "apt-get install python3 python3-ipython"}
	}
	path, err := probe.LookPython(python)
	if err != nil {
		return Check{name, Missing, err.Error(), "choose the interpreter of your IPython or Jupyter kernel with --python"}
	}
	st, err := notebook.Inspect(ctx, path)
	switch {
	case err != nil:
		return Check{name, Missing, oneLine(err), "choose the interpreter of your IPython or Jupyter kernel with --python"}
	case st.IPython == "":
		return Check{name, Missing, path + " has no IPython: faultline.compare() only, no %faultline magic",
			"apt-get install python3-ipython (Debian's python3), or pip install ipython, then faultline python --install --python " + path}
	case st.Package == "":
		return Check{name, Missing, fmt.Sprintf("%s has IPython %s but not the faultline package", path, st.IPython),
			"faultline python --install --python " + path + " (then %load_ext faultline)"}
	}
	return Check{name, OK, fmt.Sprintf("%s: IPython %s, faultline package in %s (%%load_ext faultline)", path, st.IPython, st.Package), ""}
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

func governor() Check {
	files, _ := filepath.Glob("/sys/devices/system/cpu/cpu[0-9]*/cpufreq/scaling_governor")
	if len(files) == 0 {
		return Check{"cpu frequency governor", OK, "not exposed (usual in VMs): the host decides", ""}
	}
	var govs []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err == nil {
			g := strings.TrimSpace(string(b))
			if !slices.Contains(govs, g) {
				govs = append(govs, g)
			}
		}
	}
	if len(govs) == 1 && govs[0] == "performance" {
		return Check{"cpu frequency governor", OK, "performance", ""}
	}
	return Check{"cpu frequency governor", Warn, strings.Join(govs, ", ") + ": frequency changes add timing noise",
		"cpupower frequency-set -g performance (for the measurement)"}
}

// noise times a fixed CPU-bound loop repeatedly for about a second and
// reports the spread: a high spread means other work shares this machine.
func noise() Check {
	var ts []float64
	deadline := time.Now().Add(time.Second)
	x := 1.0
	for time.Now().Before(deadline) {
		start := time.Now()
		for i := 0; i < 200_000; i++ {
			x = math.Sqrt(x + float64(i))
		}
		ts = append(ts, time.Since(start).Seconds())
	}
	_ = x
	slices.Sort(ts)
	med := ts[len(ts)/2]
	p90 := ts[len(ts)*9/10]
	spread := (p90 - med) / med
	d := fmt.Sprintf("%d repetitions of a fixed loop in 1 s: p90 is %.1f%% above the median", len(ts), spread*100)
	if spread > 0.05 {
		return Check{"timing noise", Warn, d, "close other work; faultline's interleaving and medians absorb some noise, but intervals will be wider"}
	}
	return Check{"timing noise", OK, d, ""}
}

// Write renders the checks, one line each plus the next step.
func Write(w io.Writer, cs []Check, color bool) {
	for _, c := range cs {
		st := c.Status
		if color {
			switch c.Status {
			case OK:
				st = "\033[32m" + st + "\033[0m"
			case Missing:
				st = "\033[31m" + st + "\033[0m"
			default:
				st = "\033[33m" + st + "\033[0m"
			}
		}
		pad := strings.Repeat(" ", max(0, 8-len(c.Status)))
		fmt.Fprintf(w, "%s%s %-24s %s\n", st, pad, c.Name, c.Detail)
		if c.Next != "" {
			fmt.Fprintf(w, "%s %-24s next: %s\n", strings.Repeat(" ", 8), "", c.Next)
		}
	}
}

func oneLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
