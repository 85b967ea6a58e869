package alloc

import (
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/faultline/faultline/internal/result"
)

// Limit names, as the allocators call them.
const (
	LimitMmapThreshold    = "mmap_threshold"
	LimitMmapThresholdMax = "mmap_threshold_max"
	LimitTrimThreshold    = "trim_threshold"
	LimitTopPad           = "top_pad"
	LimitOversize         = "oversize_threshold"
	LimitDirtyDecay       = "dirty_decay_ms"
	LimitMuzzyDecay       = "muzzy_decay_ms"
	// LimitClassBelowOversize is jemalloc's largest size class below
	// oversize_threshold: a request above it rounds up to a class at or
	// above the threshold, so it is the request size where eager
	// purging starts.
	LimitClassBelowOversize = "class_below_oversize"
)

// glibc's defaults (malloc/malloc.c, mallopt(3)): DEFAULT_MMAP_THRESHOLD
// is 128 KiB, and the dynamic threshold rises to at most
// DEFAULT_MMAP_THRESHOLD_MAX, 4 MiB x sizeof(long) (GlibcDynMmapMax).
// M_TRIM_THRESHOLD and M_TOP_PAD default to 128 KiB.
const (
	// GlibcMmapDefault is also where the dynamic threshold starts.
	GlibcMmapDefault = 128 << 10
	glibcTrimDefault = 128 << 10
	glibcTopPad      = 128 << 10
)

// output runs argv, one of the small programs that make an allocator
// report its limits, in env and returns what it wrote to stdout and
// stderr.
func output(ctx context.Context, env []string, argv ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	return cmd.CombinedOutput()
}

var limitCache sync.Map // env key -> []result.Limit

// ReadLimits asks the allocator cfg selects, run in env (the full
// environment cfg's candidates run in, from Apply), for its limits:
// glibc's malloc tunables from the dynamic loader (ld.so
// --list-tunables, which applies GLIBC_TUNABLES and the MALLOC_*_
// variables as malloc will), jemalloc's options from its own statistics
// (MALLOC_CONF stats_print), mimalloc's from its verbose start. A setting
// reported unset is recorded with glibc's documented default. The answer
// is the same for the same environment, so it is asked once.
func ReadLimits(ctx context.Context, cfg result.Config, env []string) ([]result.Limit, error) {
	s := Parse(cfg.Env)
	key := s.Allocator + "\x00" + strings.Join(env, "\x00")
	if v, ok := limitCache.Load(key); ok {
		return v.([]result.Limit), nil
	}
	var (
		ls  []result.Limit
		err error
	)
	switch s.Allocator {
	case Glibc:
		ls, err = glibcLimits(ctx, env)
	case Jemalloc:
		ls, err = jemallocLimits(ctx, env)
	case Mimalloc:
		ls, err = mimallocLimits(ctx, env)
	default:
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("limits of %s: %w", cfg.Name, err)
	}
	limitCache.Store(key, ls)
	return ls, nil
}

// interpreter is the dynamic loader of the system's programs: the
// PT_INTERP of /bin/sh.
func interpreter() (string, error) {
	f, err := elf.Open("/bin/sh")
	if err != nil {
		return "", err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err != nil {
				return "", err
			}
			return strings.TrimRight(string(b), "\x00"), nil
		}
	}
	return "", fmt.Errorf("/bin/sh has no dynamic loader")
}

var tunableLine = regexp.MustCompile(`^glibc\.malloc\.(\w+): (0x[0-9a-f]+|\d+)`)

func glibcLimits(ctx context.Context, env []string) ([]result.Limit, error) {
	ld, err := interpreter()
	if err != nil {
		return nil, err
	}
	out, err := output(ctx, env, ld, "--list-tunables")
	if err != nil {
		return nil, fmt.Errorf("%s --list-tunables: %w", ld, err)
	}
	set := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := tunableLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		if v, err := strconv.ParseUint(m[2], 0, 64); err == nil && v > 0 {
			set[m[1]] = float64(v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	const src = "ld.so --list-tunables"
	limit := func(name string, def float64) result.Limit {
		if v, ok := set[name]; ok {
			return result.Limit{Name: name, Value: v, Unit: "bytes", Source: src}
		}
		return result.Limit{Name: name, Value: def, Unit: "bytes", Source: "default"}
	}
	ls := []result.Limit{limit(LimitMmapThreshold, GlibcMmapDefault), limit(LimitTrimThreshold, glibcTrimDefault),
		limit(LimitTopPad, glibcTopPad)}
	// Any of these set freezes the threshold (mallopt(3)); unset, it
	// rises up to the compile-time cap.
	frozen := false
	for _, k := range []string{LimitMmapThreshold, LimitTrimThreshold, LimitTopPad, "mmap_max"} {
		_, ok := set[k]
		frozen = frozen || ok
	}
	if !frozen {
		ls = append(ls, result.Limit{Name: LimitMmapThresholdMax, Value: GlibcDynMmapMax, Unit: "bytes", Source: "default"})
	}
	return ls, nil
}

// jemallocLimits reads jemalloc's options from its JSON statistics,
// printed at the exit of a trivial program under the same environment.
func jemallocLimits(ctx context.Context, env []string) ([]result.Limit, error) {
	prog, err := exec.LookPath("true")
	if err != nil {
		return nil, err
	}
	conf := ""
	var rest []string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, VarMallocConf+"="); ok {
			conf = v
			continue
		}
		rest = append(rest, kv)
	}
	rest = append(rest, VarMallocConf+"="+MergeMallocConf(conf, "stats_print:true,stats_print_opts:Jmdablxe"))
	out, err := output(ctx, rest, prog)
	if err != nil {
		return nil, fmt.Errorf("jemalloc stats: %w", err)
	}
	i := bytes.IndexByte(out, '{')
	if i < 0 {
		return nil, fmt.Errorf("jemalloc stats: no JSON in %q", firstLine(out))
	}
	var doc struct {
		Jemalloc struct {
			Opt    map[string]any `json:"opt"`
			Arenas struct {
				Bin     []struct{ Size float64 } `json:"bin"`
				Lextent []struct{ Size float64 } `json:"lextent"`
			} `json:"arenas"`
		} `json:"jemalloc"`
	}
	if err := json.NewDecoder(bytes.NewReader(out[i:])).Decode(&doc); err != nil {
		return nil, fmt.Errorf("jemalloc stats: %w", err)
	}
	var ls []result.Limit
	for _, o := range []struct{ name, unit string }{{LimitOversize, "bytes"}, {LimitDirtyDecay, "ms"}, {LimitMuzzyDecay, "ms"}, {"tcache_max", "bytes"}} {
		if v, ok := doc.Jemalloc.Opt[o.name].(float64); ok {
			ls = append(ls, result.Limit{Name: o.name, Value: v, Unit: o.unit, Source: "jemalloc stats"})
		}
	}
	if len(ls) == 0 {
		return nil, fmt.Errorf("jemalloc stats: no options in the statistics")
	}
	if over, ok := doc.Jemalloc.Opt[LimitOversize].(float64); ok {
		var below float64
		for _, c := range append(doc.Jemalloc.Arenas.Bin, doc.Jemalloc.Arenas.Lextent...) {
			if c.Size < over {
				below = max(below, c.Size)
			}
		}
		if below > 0 {
			ls = append(ls, result.Limit{Name: LimitClassBelowOversize, Value: below, Unit: "bytes", Source: "jemalloc stats"})
		}
	}
	return ls, nil
}

var mimallocOption = regexp.MustCompile(`^mimalloc: option '(\w+)': (-?\d+)`)

// mimallocLimits reads mimalloc's options from its verbose start; its
// size limits are compile-time constants (docs/causes.md).
func mimallocLimits(ctx context.Context, env []string) ([]result.Limit, error) {
	prog, err := exec.LookPath("true")
	if err != nil {
		return nil, err
	}
	out, err := output(ctx, append(env[:len(env):len(env)], "MIMALLOC_VERBOSE=1"), prog)
	if err != nil {
		return nil, fmt.Errorf("mimalloc verbose: %w", err)
	}
	var ls []result.Limit
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := mimallocOption.FindStringSubmatch(sc.Text())
		if m == nil || !strings.Contains(m[1], "delay") {
			continue
		}
		v, _ := strconv.ParseFloat(m[2], 64)
		ls = append(ls, result.Limit{Name: m[1], Value: v, Unit: "ms", Source: "mimalloc verbose"})
	}
	return ls, sc.Err()
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	return s
}
