package report

import (
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"strings"

	"golang.org/x/perf/benchfmt"

	"github.com/faultline/faultline/internal/result"
)

// Benchstat writes the timing samples as Go benchmark text
// (golang.org/design/14313-benchmark-format), so the standard tools can
// read them:
//
//	benchstat -col .name -row /config result.txt   # candidates side by side
//	benchstat -col /config result.txt              # one candidate across allocators
//
// Each candidate x configuration is one benchmark named
// "Benchmark<key>/config=<config>", with one line per timed sample
// (warm-up samples left out, as faultline's own summaries leave them out):
// ns/op, and minor-faults/op and major-faults/op from the same sample. The
// mode (interleaved, isolated, process) is a file configuration key, so
// benchstat puts each mode in its own table. The baseline candidate is
// written first so benchstat compares against it, as faultline does.
//
// Numbers from the diagnostic passes (brk/op, mmap/op, ..., allocs/op,
// B/op) were measured once per run, not per sample; they are repeated on
// every line and declared "assume=exact" so benchstat does not treat them
// as a distribution.
//
// The key is derived from the candidate's label (benchKey), not its
// letter: the letter is only the position on the command line, so
// "benchstat old.txt new.txt" pairs the same code across two files
// whatever order it was given in. Each key's label is a "# label:"
// comment line.
func Benchstat(w io.Writer, r *result.Result) error {
	f := newFacts(r)
	hdr := fmt.Sprintf("# %s %s %s, exported for benchstat\n", r.Tool.Name, r.Tool.Version, r.Kind)
	if _, err := io.WriteString(w, hdr+labelComments(f, benchKeys(f), "")); err != nil {
		return err
	}
	return writeBench(benchfmt.NewWriter(w), w, f, benchKeys(f), "", map[string]bool{})
}

// labelComments lists each candidate's benchmark key with its label and
// letter as comment lines, prefixed by where they were measured (a
// sweep's point).
func labelComments(f *facts, keys map[string]string, at string) string {
	var b strings.Builder
	for _, c := range f.all() {
		fmt.Fprintf(&b, "# label: %s%s = %s (%s)\n", at, keyOf(keys, c), label(c), c.Name)
	}
	return b.String()
}

// maxKey is the longest benchmark key; a longer label is cut and given a
// hash of the whole, so two long statements that share a beginning still
// get keys of their own.
const maxKey = 48

// benchKeys names each candidate's benchmarks by its label: the label
// made safe as one part of a benchmark name (benchName), cut to maxKey
// with a hash of the label. The key depends on the label alone, so it is
// the same in every file that measured the same thing. Two labels that
// come out the same (a b and a_b) are told apart by a suffix in
// candidate order.
func benchKeys(f *facts) map[string]string {
	keys := map[string]string{}
	used := map[string]bool{}
	for _, c := range f.all() {
		k := benchKey(label(c))
		base := k
		for n := 2; used[k]; n++ {
			k = fmt.Sprintf("%s_%d", base, n)
		}
		used[k] = true
		keys[c.Name] = k
	}
	return keys
}

// keyOf is c's key in keys, or its own when keys lacks it (a sweep's
// code-fix candidate that only later points have).
func keyOf(keys map[string]string, c *result.Candidate) string {
	if k, ok := keys[c.Name]; ok {
		return k
	}
	return benchKey(label(c))
}

func benchKey(lbl string) string {
	k := benchName(strings.Join(strings.Fields(lbl), " "))
	// Runs of replaced characters read as one: t_a.astype_np.float64_t_255.0.
	for strings.Contains(k, "__") {
		k = strings.ReplaceAll(k, "__", "_")
	}
	if t := strings.Trim(k, "_"); t != "" {
		k = t
	}
	if len(k) > maxKey {
		h := fnv.New32a()
		h.Write([]byte(lbl))
		k = fmt.Sprintf("%s_%08x", strings.TrimRight(k[:maxKey-9], "_"), h.Sum32())
	}
	return k
}

// writeBench writes every run of f's result, the baseline candidate first,
// each candidate named by names (benchKeys). keys are sub-benchmark keys between the candidate and the configuration
// ("/n=1000000" for a sweep's point); declared holds the units already
// declared exact, so a file of several results declares each once.
func writeBench(bw *benchfmt.Writer, w io.Writer, f *facts, names map[string]string, keys string, declared map[string]bool) error {
	r := f.r
	order := []*result.Candidate{}
	if c := r.Candidate(f.base); c != nil {
		order = append(order, c)
	}
	for _, c := range f.all() {
		if c.Name != f.base {
			order = append(order, c)
		}
	}
	modes := []string{f.mode}
	for _, m := range []string{result.ModeInterleaved, result.ModeIsolated, result.ModeProcess} {
		if m != f.mode && f.hasMode(m) {
			modes = append(modes, m)
		}
	}
	for _, mode := range modes {
		for _, cfg := range f.configs {
			units := diagUnits(f, cfg, mode)
			for _, u := range units {
				if declared[u] {
					continue
				}
				declared[u] = true
				md := &benchfmt.UnitMetadata{UnitMetadataKey: benchfmt.UnitMetadataKey{Unit: u, Key: "assume"}, OrigUnit: u, Value: "exact"}
				if err := bw.Write(md); err != nil {
					return err
				}
			}
			for _, c := range order {
				run := r.Run(c.Name, cfg, mode)
				if run == nil {
					continue
				}
				if err := writeRun(bw, w, f, run, keyOf(names, c), mode, keys, units); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// fileConfig is the file-level configuration of every benchmark line: the
// host facts (constant, so benchstat keeps one table per mode) and the
// mode.
func fileConfig(r *result.Result, mode string) []benchfmt.Config {
	var cfg []benchfmt.Config
	add := func(k, v string) {
		if v != "" {
			cfg = append(cfg, benchfmt.Config{Key: k, Value: []byte(oneLine(v)), File: true})
		}
	}
	add("goos", "linux")
	add("goarch", goarch(r.Host.Arch))
	add("cpu", r.Host.CPUModel)
	add("kernel", r.Host.Kernel)
	add("thp", r.Host.THP)
	add("python", r.Host.PyVer)
	add("numpy", r.Host.NumPy)
	add("mode", mode)
	return cfg
}

// goarch maps the kernel's machine name to Go's, as go test prints it.
func goarch(a string) string {
	switch a {
	case "x86_64":
		return "amd64"
	case "aarch64":
		return "arm64"
	}
	return a
}

// diagUnits lists the per-iteration counts from diagnostic passes present
// for any candidate under cfg and mode: a unit is written for every
// candidate once one has it, so benchstat can compare them.
func diagUnits(f *facts, cfg, mode string) []string {
	var units []string
	runs := f.runsIn(cfg, mode)
	for _, sc := range syscallCols {
		for _, run := range runs {
			if sy := run.PerIteration.Syscalls; sy != nil && sc.get(sy) != 0 {
				units = append(units, sc.name+"/op")
				break
			}
		}
	}
	for _, run := range runs {
		if run.PerIteration.Allocations != nil {
			units = append(units, "allocs/op", "B/op", "peak-B/op")
			break
		}
	}
	return units
}

func writeRun(bw *benchfmt.Writer, w io.Writer, f *facts, run *result.Run, key, mode, keys string, units []string) error {
	name := "Benchmark" + key + keys + "/config=" + benchName(run.Config)
	if !ok(run) {
		// benchstat has no notion of a failed benchmark; say so in a
		// comment line, which benchfmt readers ignore.
		msg := run.Error
		if msg == "" {
			msg = run.Status
		}
		_, err := fmt.Fprintf(w, "# %s (%s): %s\n", strings.TrimPrefix(name, "Benchmark"), mode, oneLine(msg))
		return err
	}
	var diag []benchfmt.Value
	for _, u := range units {
		diag = append(diag, benchfmt.Value{Value: diagValue(run, u), Unit: u})
	}
	loops := max(run.Loops, 1)
	res := &benchfmt.Result{Config: fileConfig(f.r, mode), Name: benchfmt.Name(strings.TrimPrefix(name, "Benchmark"))}
	for _, s := range result.Timed(run.Samples) {
		res.Iters = loops
		res.Values = append(res.Values[:0],
			// Rounded to a picosecond so the text has no float noise
			// (307814.85000000003).
			benchfmt.Value{Value: math.Round(s.Seconds*1e12) / 1e3, Unit: "ns/op"},
			benchfmt.Value{Value: s.MinorFaults, Unit: "minor-faults/op"},
			benchfmt.Value{Value: s.MajorFaults, Unit: "major-faults/op"})
		res.Values = append(res.Values, diag...)
		if err := bw.Write(res); err != nil {
			return err
		}
	}
	return nil
}

func diagValue(run *result.Run, unit string) float64 {
	if sy := run.PerIteration.Syscalls; sy != nil {
		for _, sc := range syscallCols {
			if unit == sc.name+"/op" {
				return sc.get(sy)
			}
		}
	}
	if al := run.PerIteration.Allocations; al != nil {
		switch unit {
		case "allocs/op":
			return al.Count
		case "B/op":
			return al.Bytes
		case "peak-B/op":
			return al.PeakBytes
		}
	}
	return 0
}

// benchName makes a candidate or configuration name safe as one part of a
// benchmark name: no spaces or slashes (which split sub-benchmarks), no
// "=" (which makes a key), and no "-<digits>" ending, which benchfmt
// would read as GOMAXPROCS.
func benchName(s string) string {
	b := []rune(s)
	for i, r := range b {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.', r == '+', r == '-':
		default:
			b[i] = '_'
		}
	}
	out := string(b)
	if i := strings.LastIndexByte(out, '-'); i >= 0 && i < len(out)-1 && strings.Trim(out[i+1:], "0123456789") == "" {
		out = out[:i] + "_" + out[i+1:]
	}
	if out == "" {
		out = "_"
	}
	return out
}
