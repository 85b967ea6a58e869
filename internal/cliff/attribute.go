package cliff

import (
	"fmt"

	"github.com/faultline/faultline/internal/alloc"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/units"
)

// Documented limits (docs/causes.md, "Thresholds", cites each).
const (
	mib = 1 << 20
	kib = 1 << 10
	// glibc's dynamic mmap threshold stops rising at
	// alloc.GlibcDynMmapMax (its one definition).
	glibcMmapMax = alloc.GlibcDynMmapMax
	// jemalloc's opt.oversize_threshold default.
	jemallocOversize = 8 * mib
	// mimalloc 2.0's MI_LARGE_OBJ_SIZE_MAX: larger blocks are mapped
	// on their own and unmapped when freed.
	mimallocLarge = 16 * mib
	// tcmalloc's kMaxSize: larger blocks take the page heap's
	// large-object path.
	tcmallocLarge = 256 * kib
	// The transparent huge page on x86-64 and 4 KiB-page arm64.
	thpSize = 2 * mib
	// NumPy advises MADV_HUGEPAGE for array buffers of at least 4 MiB.
	numpyHuge = 4 * mib
	// NumPy reuses a temporary operand in place from 256 KiB
	// (NPY_MIN_ELIDE_BYTES): a + b * c then allocates one array, not two.
	numpyElide = 256 * kib
)

// shrinking is the brk shrink per iteration (bytes) above which a heap is
// trimmed every iteration: one page is noise, a trim gives back far more.
const shrinking = 64 * kib

// traced is a point's trace of one candidate under the cliff's
// configuration.
type traced struct {
	sys   *result.Syscalls
	block float64 // the largest block, from the allocation pass or trace
}

// Attribute names the limit a cliff's boundary crosses, from the traced
// syscalls at the points either side and the allocator in use; nil when
// the trace shows no limit crossing. What the trace shows is preferred:
// the change of syscalls says which mechanism starts (trim, mapping,
// purge, advice), and the traced sizes what crosses it.
func Attribute(c *result.Cliff, below, above *result.Result) *result.Threshold {
	b, a, ok := tracesAt(c, below, above)
	if !ok {
		return nil
	}
	allocator := alloc.Glibc
	cfg := above.Config(c.Config)
	if cfg != nil {
		allocator = alloc.Parse(cfg.Env).Allocator
	} else {
		cfg = &result.Config{}
	}
	// The block at Below, when the allocation pass did not see it there
	// (a refinement point): blocks scale with the parameter.
	if b.block == 0 && c.Above > 0 {
		b.block = a.block * c.Below / c.Above
	}
	if a.block == 0 && c.Below > 0 {
		a.block = b.block * c.Above / c.Below
	}
	switch {
	case above.Host.NumPy != "" && trims(b.sys) && !trims(a.sys) && a.sys.BrkGrowBytes < b.sys.BrkGrowBytes/4 &&
		within(numpyElide, b.block, a.block):
		// The heap stops growing although the parameter grew: the
		// candidate allocates less, and its blocks cross NumPy's
		// elision limit.
		return documented(c, "NumPy temporary elision (arrays of 256 KiB or more)", limit{value: numpyElide}, b, a, "largest block")
	case allocator == alloc.Glibc && trims(a.sys) != trims(b.sys) && !jumps(unmapped(a.sys), unmapped(b.sys)):
		return glibcTrim(c, cfg, b, a)
	case jumps(unmapped(a.sys), unmapped(b.sys)):
		return mapping(c, cfg, allocator, b, a)
	case allocator == alloc.Jemalloc && jumps(purged(a.sys), purged(b.sys)):
		return jemallocPurge(c, cfg, b, a)
	case advisesHuge(a.sys) != advisesHuge(b.sys) && above.Host.NumPy != "":
		return documented(c, "NumPy huge-page advice (arrays of 4 MiB or more)", limit{value: numpyHuge}, b, a, "largest block")
	case advisesHuge(a.sys) != advisesHuge(b.sys):
		// Advice from the program or its allocator: a block must hold
		// a whole aligned huge page for the advice to take effect.
		return documented(c, "transparent huge page size (2 MiB, MADV_HUGEPAGE)", limit{value: thpSize}, b, a, "largest block")
	}
	return nil
}

func tracesAt(c *result.Cliff, below, above *result.Result) (traced, traced, bool) {
	var ts [2]traced
	for i, res := range []*result.Result{below, above} {
		if res == nil {
			return ts[0], ts[1], false
		}
		run := res.Run(c.Candidate, c.Config, res.PrimaryMode())
		if run == nil || run.PerIteration.Syscalls == nil {
			return ts[0], ts[1], false
		}
		ts[i] = traced{sys: run.PerIteration.Syscalls, block: largestBlock(res, c)}
	}
	return ts[0], ts[1], true
}

// largestBlock is the candidate's largest allocation per iteration: from
// the allocation pass where it ran, else the largest traced mapping.
func largestBlock(res *result.Result, c *result.Cliff) float64 {
	var best float64
	for _, run := range res.Results {
		if run.Candidate != c.Candidate || run.PerIteration.Allocations == nil {
			continue
		}
		for _, l := range run.PerIteration.Allocations.Large {
			best = max(best, float64(l.Bytes))
		}
	}
	if best > 0 {
		return best
	}
	run := res.Run(c.Candidate, c.Config, res.PrimaryMode())
	for _, s := range run.PerIteration.Syscalls.Sizes {
		if s.Call == "mmap" || s.Call == "munmap" || s.Call == "brk+" {
			best = max(best, float64(s.Bytes))
		}
	}
	return best
}

func trims(s *result.Syscalls) bool { return s.BrkShrinkBytes >= shrinking }

// unmapped and purged are the bytes an iteration gives back by munmap
// and by madvise(MADV_DONTNEED). What matters at a cliff is that they jump
// (jumps): a process that is one iteration also unmaps a little at start
// and exit on both sides.
func unmapped(s *result.Syscalls) float64 { return s.UnmappedBytes }

func purged(s *result.Syscalls) float64 { return s.AdviceBytes("MADV_DONTNEED") }

// jumps says whether bytes given back differ across a cliff as a
// mechanism that starts: one side gives back at least a trim's worth,
// and eight times the other.
func jumps(x, y float64) bool {
	hi, lo := max(x, y), min(x, y)
	return hi >= shrinking && hi >= 8*lo
}

// largestPurge is the largest madvise(MADV_DONTNEED) an iteration makes.
func largestPurge(s *result.Syscalls) float64 { return largestCall(s, "madvise:MADV_DONTNEED") }

func advisesHuge(s *result.Syscalls) bool { return s.Advice["MADV_HUGEPAGE"] >= 0.5 }

// glibcTrim: on one side the heap is trimmed every iteration, on the
// other it keeps its top. What crosses is the heap top, the brk growth of
// an iteration; the threshold lies between its values either side. It is
// 2 x the dynamic mmap threshold, which rose to the largest mapped block
// freed, or M_TRIM_THRESHOLD when set.
func glibcTrim(c *result.Cliff, cfg *result.Config, b, a traced) *result.Threshold {
	hi, lo := a, b
	if !trims(a.sys) {
		hi, lo = b, a
	}
	top := hi.sys.BrkGrowBytes
	var topLo float64
	if lo.sys.BrkGrowBytes > 0 {
		topLo = lo.sys.BrkGrowBytes
	} else if c.Above > 0 {
		// The side that is not trimmed reuses its heap and grows no brk:
		// its top scales with the parameter.
		topLo = top * ratio(c, hi == b)
	}
	q := fmt.Sprintf("%s's heap top (brk +%s an iteration where trimmed, about %s where kept)", c.Candidate, units.Bytes(top), units.Bytes(topLo))
	if l := cfg.Limit(alloc.LimitTrimThreshold); l != nil && l.Source != "default" {
		// Set by the environment: fixed, and the allocator says where.
		return &result.Threshold{Name: "glibc trim threshold (M_TRIM_THRESHOLD, set)", Bytes: l.Value, Quantity: q,
			Source: "allocator", Reported: l.Source}
	}
	return &result.Threshold{Name: "glibc trim threshold (2 x the dynamic mmap threshold)", Bytes: mid(topLo, top), Source: "traced", Quantity: q}
}

// jemallocPurge: on one side jemalloc purges the block every iteration
// (madvise(MADV_DONTNEED)), on the other it keeps it dirty for reuse.
// Blocks whose size class is at or above opt.oversize_threshold are
// purged eagerly, and a request rounds up to its class: where the
// parameter's values bracket the largest class below the threshold, the
// parameter is the request size and that class is the boundary.
func jemallocPurge(c *result.Cliff, cfg *result.Config, b, a traced) *result.Threshold {
	hi := a
	if purged(b.sys) > purged(a.sys) {
		hi = b
	}
	ext := largestPurge(hi.sys)
	over := reported(cfg, alloc.LimitOversize, jemallocOversize)
	q := fmt.Sprintf("%s's block (purged with madvise(MADV_DONTNEED) of %s each time where slow)", c.Candidate, units.Bytes(ext))
	if cl := cfg.Limit(alloc.LimitClassBelowOversize); cl != nil && over.reported != "" && within(cl.Value, c.Below, c.Above) {
		return &result.Threshold{Name: fmt.Sprintf("largest jemalloc size class below oversize_threshold (%s): a larger request "+
			"rounds up to a class at or above it, purged at every free", units.Bytes(over.value)), Bytes: cl.Value,
			Quantity: fmt.Sprintf("%s's request (purged with madvise(MADV_DONTNEED) of %s each time where slow)", c.Candidate, units.Bytes(ext)),
			Source:   "allocator", Reported: "jemalloc stats: opt.oversize_threshold and the size classes"}
	}
	if over.value > 0 && ext >= over.value*0.98 {
		th := &result.Threshold{Name: "jemalloc oversize_threshold", Bytes: over.value, Quantity: q, Source: "documented"}
		if over.reported != "" {
			th.Source, th.Reported = "allocator", over.reported
		}
		return th
	}
	return nil
}

// limit is a documented limit's value, or what the running allocator
// reported of it (Config.Limits) where it did.
type limit struct {
	value    float64
	reported string // how it was read; "" for the documented value
}

// reported is the limit name of cfg's allocator: its reported value
// when the allocator reported it set, else the documented one.
func reported(cfg *result.Config, name string, documented float64) limit {
	if l := cfg.Limit(name); l != nil && l.Source != "default" {
		return limit{value: l.Value, reported: l.Source + ": " + name}
	}
	return limit{value: documented}
}

// ratio scales a quantity from the side it was measured on to the other.
func ratio(c *result.Cliff, measuredBelow bool) float64 {
	if measuredBelow {
		return c.Above / c.Below
	}
	return c.Below / c.Above
}

// mapping: on one side the block is mapped and unmapped every iteration.
// The limit is the allocator's, where it lies between the block sizes
// either side; else the traced sizes bound it.
func mapping(c *result.Cliff, cfg *result.Config, allocator string, b, a traced) *result.Threshold {
	// What is unmapped every iteration on the slow side is the block.
	// Blocks scale with the parameter: at the other side it was about
	// that block times the parameter's ratio.
	slow := a
	if unmapped(b.sys) > unmapped(a.sys) {
		slow = b
	}
	blk := largestCall(slow.sys, "munmap")
	other := blk * ratio(c, slow == b)
	var name string
	var lim limit
	switch allocator {
	case alloc.Glibc:
		if l := reported(cfg, alloc.LimitMmapThreshold, 0); l.reported != "" {
			// Set by the environment, the threshold is fixed there.
			name, lim = "glibc mmap threshold (M_MMAP_THRESHOLD, set)", l
			break
		}
		name, lim = "glibc mmap threshold's cap (the dynamic threshold stops rising at DEFAULT_MMAP_THRESHOLD_MAX)", limit{value: glibcMmapMax}
		if !within(glibcMmapMax, b.block, a.block) && !within(glibcMmapMax, c.Below, c.Above) && !(blk > 0 && within(glibcMmapMax, blk, other)) {
			name, lim = "glibc mmap threshold (128 KiB until it rises)", limit{value: alloc.GlibcMmapDefault}
		}
	case alloc.Mimalloc:
		name, lim = "mimalloc large-object limit (MI_LARGE_OBJ_SIZE_MAX)", limit{value: mimallocLarge}
	case alloc.Tcmalloc:
		name, lim = "tcmalloc large-object path (kMaxSize)", limit{value: tcmallocLarge}
	case alloc.Jemalloc:
		name, lim = "jemalloc oversize_threshold", reported(cfg, alloc.LimitOversize, jemallocOversize)
	default:
		name = allocator + " mapping threshold"
	}
	// The largest blocks either side are the quantity when they grow
	// with the parameter; they need not be the block that crosses (an
	// allocator maps its own segments on the fast side, a heap top is
	// two blocks).
	along := b.block > 0 && a.block > 0 && (a.block-b.block)*(c.Above-c.Below) >= 0
	if th := documented(c, name, lim, b, a, "largest block"); along && th != nil && th.Source != "traced" {
		return th
	}
	if blk > 0 && lim.value > 0 {
		if within(lim.value, blk, other) {
			return sourced(name, lim, fmt.Sprintf("%s's block (%s unmapped every iteration where slow; about %s at the other side, scaled by %s)",
				c.Candidate, units.Bytes(blk), units.Bytes(other), c.Parameter))
		}
		// Where the parameter brackets the limit and the block is at
		// least the limit, the parameter is the request size.
		if blk >= lim.value*0.98 && within(lim.value, c.Below, c.Above) {
			return sourced(name, lim, fmt.Sprintf("%s's request, the parameter (unmapped every iteration where slow: %s)", c.Candidate, units.Bytes(blk)))
		}
	}
	if !along {
		// The traced sizes move against the parameter: they measure
		// something else, and bound nothing.
		return nil
	}
	return documented(c, name, lim, b, a, "largest block")
}

// largestCall is the largest size of call an iteration makes (at least
// every other iteration).
func largestCall(s *result.Syscalls, call string) float64 {
	var best float64
	for _, z := range s.Sizes {
		if z.Call == call && z.Per >= 0.5 {
			best = max(best, float64(z.Bytes))
		}
	}
	return best
}

// sourced is a threshold at lim's value, reported by the allocator or
// documented.
func sourced(name string, lim limit, quantity string) *result.Threshold {
	if lim.reported != "" {
		return &result.Threshold{Name: name, Bytes: lim.value, Quantity: quantity, Source: "allocator", Reported: lim.reported}
	}
	return &result.Threshold{Name: name, Bytes: lim.value, Quantity: quantity, Source: "documented"}
}

// documented ties the boundary to a documented limit when the quantity's
// values either side bracket it; otherwise the traced values bound the
// limit and are reported instead.
func documented(c *result.Cliff, name string, lim limit, b, a traced, what string) *result.Threshold {
	q := fmt.Sprintf("%s's %s (%s below, %s above)", c.Candidate, what, units.Bytes(b.block), units.Bytes(a.block))
	if lim.value > 0 && within(lim.value, b.block, a.block) {
		return sourced(name, lim, q)
	}
	if b.block <= 0 || a.block <= 0 {
		return nil
	}
	return &result.Threshold{Name: name, Bytes: mid(b.block, a.block), Quantity: q, Source: "traced"}
}

// within says whether limit lies between x and y (a block equal to the
// limit is on the limit's side the allocator decides, so both count).
func within(limit, x, y float64) bool {
	return min(x, y)*0.98 <= limit && limit <= max(x, y)*1.02
}

func mid(x, y float64) float64 {
	if x <= 0 {
		return y
	}
	return (x + y) / 2
}
