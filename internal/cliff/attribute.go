package cliff

import (
	"fmt"

	"github.com/faultline/faultline/internal/alloc"
	"github.com/faultline/faultline/internal/result"
)

// Documented limits (docs/causes.md, "Thresholds", cites each).
const (
	mib = 1 << 20
	kib = 1 << 10
	// glibc malloc.c: DEFAULT_MMAP_THRESHOLD_MAX on 64-bit, where the
	// dynamic mmap threshold stops rising; DEFAULT_MMAP_THRESHOLD, the
	// static mmap and trim thresholds' default.
	glibcMmapMax   = 32 * mib
	glibcMmapStart = 128 * kib
	// jemalloc's opt.oversize_threshold default.
	jemallocOversize = 8 * mib
	// mimalloc 2.0's MI_LARGE_OBJ_SIZE_MAX: larger blocks are mapped
	// on their own and unmapped when freed.
	mimallocLarge = 16 * mib
	// tcmalloc's kMaxSize: larger blocks take the page heap's
	// large-object path.
	tcmallocLarge = 256 * kib
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
	if cfg := above.Config(c.Config); cfg != nil {
		allocator = alloc.Parse(cfg.Env).Allocator
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
		return documented(c, "NumPy temporary elision (arrays of 256 KiB or more)", numpyElide, b, a, "largest block")
	case allocator == alloc.Glibc && trims(a.sys) != trims(b.sys):
		return glibcTrim(c, b, a)
	case mapped(a.sys) != mapped(b.sys):
		return mapping(c, allocator, b, a)
	case allocator == alloc.Jemalloc && purges(a.sys) != purges(b.sys):
		return documented(c, "jemalloc oversize_threshold", jemallocOversize, b, a, "block")
	case advisesHuge(a.sys) != advisesHuge(b.sys):
		return documented(c, "NumPy huge-page advice (arrays of 4 MiB or more)", numpyHuge, b, a, "largest block")
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

func mapped(s *result.Syscalls) bool { return s.Mmap >= 0.5 && s.Munmap >= 0.5 }

func purges(s *result.Syscalls) bool { return s.Advice["MADV_DONTNEED"] >= 0.5 }

func advisesHuge(s *result.Syscalls) bool { return s.Advice["MADV_HUGEPAGE"] >= 0.5 }

// glibcTrim: on one side the heap is trimmed every iteration, on the
// other it keeps its top. What crosses is the heap top, the brk growth of
// an iteration; the threshold lies between its values either side. It is
// 2 x the dynamic mmap threshold, which rose to the largest mapped block
// freed, or M_TRIM_THRESHOLD when set.
func glibcTrim(c *result.Cliff, b, a traced) *result.Threshold {
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
	return &result.Threshold{Name: "glibc trim threshold (2 x the dynamic mmap threshold)", Bytes: mid(topLo, top), Source: "traced",
		Quantity: fmt.Sprintf("%s's heap top (brk +%s an iteration where trimmed, about %s where kept)",
			c.Candidate, bytes(top), bytes(topLo))}
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
func mapping(c *result.Cliff, allocator string, b, a traced) *result.Threshold {
	var name string
	var limit float64
	switch allocator {
	case alloc.Glibc:
		name, limit = "glibc mmap threshold (dynamic, at most 32 MiB)", glibcMmapMax
		if !within(glibcMmapMax, b.block, a.block) {
			name, limit = "glibc mmap threshold (128 KiB until it rises)", glibcMmapStart
		}
	case alloc.Mimalloc:
		name, limit = "mimalloc large-object limit (MI_LARGE_OBJ_SIZE_MAX)", mimallocLarge
	case alloc.Tcmalloc:
		name, limit = "tcmalloc large-object path (kMaxSize)", tcmallocLarge
	case alloc.Jemalloc:
		name, limit = "jemalloc oversize_threshold", jemallocOversize
	default:
		name = allocator + " mapping threshold"
	}
	return documented(c, name, limit, b, a, "largest block")
}

// documented ties the boundary to a documented limit when the quantity's
// values either side bracket it; otherwise the traced values bound the
// limit and are reported instead.
func documented(c *result.Cliff, name string, limit float64, b, a traced, what string) *result.Threshold {
	q := fmt.Sprintf("%s's %s (%s below, %s above)", c.Candidate, what, bytes(b.block), bytes(a.block))
	if limit > 0 && within(limit, b.block, a.block) {
		return &result.Threshold{Name: name, Bytes: limit, Quantity: q, Source: "documented"}
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

// bytes writes a byte count with thousands separators.
func bytes(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	out := []byte{}
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 && s[0] != '-' {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out) + " bytes"
}
