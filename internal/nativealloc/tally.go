package nativealloc

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/faultline/faultline/internal/alloc"
	"github.com/faultline/faultline/internal/elfsym"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/uprobe"
)

// Tally turns a recording of plan's probes into per-iteration figures
// over iters iterations (1: the whole process), with notes on what it
// could not see.
//
// Calls made from inside another probed call (glibc's realloc of a null
// pointer calls malloc, an allocator's calloc its malloc) are the
// allocator's own and are not counted again. The live peak follows the
// blocks whose address a return probe read; posix_memalign's block is
// written through a pointer, so it is counted in calls and bytes but not
// in the live peak.
func Tally(plan *Plan, rec uprobe.Recording, iters int) (*result.NativeAllocations, []string) {
	iters = max(iters, 1)
	t := &tally{plan: plan, spaces: map[int32][]uprobe.Mapping{}, stacks: map[int32][]frame{},
		live: map[uint64]uint64{}, funcs: map[string]*result.NativeFunction{},
		large: map[largeKey]int{}, tune: map[string]*tuneGroup{}, objHits: map[string]int{}}
	t.replay(rec)
	a := &result.NativeAllocations{Iterations: iters, Truncated: rec.Truncated, Lost: rec.Lost}
	n := float64(iters)
	a.Calls, a.Bytes, a.Frees, a.PeakLiveBytes = float64(t.calls)/n, float64(t.bytes)/n, float64(t.frees)/n, float64(t.peak)
	for _, f := range t.funcs {
		a.Functions = append(a.Functions, result.NativeFunction{Name: f.Name, Calls: f.Calls / n, Bytes: f.Bytes / n})
	}
	slices.SortFunc(a.Functions, func(x, y result.NativeFunction) int {
		return cmp.Or(cmp.Compare(y.Calls, x.Calls), cmp.Compare(x.Name, y.Name))
	})
	for k, c := range t.large {
		a.Large = append(a.Large, result.NativeSite{Function: k.fn, Bytes: k.bytes, Per: float64(c) / n,
			Caller: k.caller, Object: k.object, Stripped: k.stripped, CallerFile: k.file, CallerLine: k.line})
	}
	slices.SortFunc(a.Large, func(x, y result.NativeSite) int {
		return cmp.Or(cmp.Compare(y.Bytes, x.Bytes), cmp.Compare(y.Per, x.Per), cmp.Compare(x.Caller, y.Caller), cmp.Compare(x.Function, y.Function),
			cmp.Compare(x.CallerFile, y.CallerFile), cmp.Compare(x.CallerLine, y.CallerLine), cmp.Compare(x.Object, y.Object))
	})
	for _, g := range t.tune {
		g.site.Per = float64(g.n) / n
		a.Tuning = append(a.Tuning, g.site)
	}
	slices.SortFunc(a.Tuning, func(x, y result.NativeSite) int {
		return cmp.Or(cmp.Compare(x.Function, y.Function), cmp.Compare(fmt.Sprint(x.Args), fmt.Sprint(y.Args)), cmp.Compare(x.Caller, y.Caller),
			cmp.Compare(x.CallerFile, y.CallerFile), cmp.Compare(x.CallerLine, y.CallerLine))
	})
	a.Object, a.Allocator = t.allocator(rec)
	return a, t.notes(rec, a)
}

type frame struct {
	site   site
	nested bool
	size   uint64
	old    uint64 // realloc's block
}

type largeKey struct {
	fn, caller, object string
	bytes              int64
	stripped           bool
	file               string
	line               int
}

type tuneGroup struct {
	site result.NativeSite
	n    int
}

type tally struct {
	plan    *Plan
	spaces  map[int32][]uprobe.Mapping // by pid: its executable mappings
	stacks  map[int32][]frame          // by tid: open probed calls
	live    map[uint64]uint64          // block -> requested size
	cur     uint64
	peak    uint64
	calls   int64
	bytes   uint64
	frees   int64
	funcs   map[string]*result.NativeFunction
	large   map[largeKey]int
	tune    map[string]*tuneGroup
	objHits map[string]int
}

// replay walks the recording in time order: forks copy the parent's
// mappings, an exec forgets them, and each hit is attributed in the
// address space of its moment.
func (t *tally) replay(rec uprobe.Recording) {
	hi, mi, ti := 0, 0, 0
	for hi < len(rec.Hits) {
		at := rec.Hits[hi].Time
		task := ti < len(rec.Tasks) && rec.Tasks[ti].Time <= at
		mapping := mi < len(rec.Maps) && rec.Maps[mi].Time <= at
		if task && mapping && rec.Maps[mi].Time < rec.Tasks[ti].Time {
			task = false // the earlier of the two first
		}
		switch {
		case task:
			tk := rec.Tasks[ti]
			if tk.Exec {
				t.spaces[tk.Pid] = nil
			} else {
				t.spaces[tk.Pid] = slices.Clone(t.spaces[tk.Parent])
			}
			ti++
		case mapping:
			m := rec.Maps[mi]
			t.spaces[m.Pid] = append(t.spaces[m.Pid], m)
			mi++
		default:
			t.hit(rec.Hits[hi])
			hi++
		}
	}
}

func (t *tally) hit(h uprobe.Hit) {
	if int(h.Probe) >= len(t.plan.sites) {
		return
	}
	s := t.plan.sites[h.Probe]
	st := t.stacks[h.Tid]
	if s.ret {
		t.ret(h, s)
		return
	}
	nested := len(st) > 0
	if s.fn.returns() {
		f := frame{site: s, nested: nested, size: s.fn.bytes(h.Args)}
		if s.fn.ptr >= 0 {
			f.old = h.Args[s.fn.ptr]
		}
		t.stacks[h.Tid] = append(st, f)
	}
	if nested {
		return
	}
	t.objHits[s.obj]++
	fs := t.funcs[s.fn.name]
	if fs == nil {
		fs = &result.NativeFunction{Name: s.fn.name}
		t.funcs[s.fn.name] = fs
	}
	fs.Calls++
	switch s.fn.kind {
	case kAlloc, kRealloc, kOutAlloc:
		n := s.fn.bytes(h.Args)
		fs.Bytes += float64(n)
		t.calls++
		t.bytes += n
		if n >= result.LargeBytes {
			w := t.where(h)
			t.large[largeKey{fn: s.fn.name, bytes: int64(n), caller: w.Caller, object: w.Object, stripped: w.Stripped,
				file: w.CallerFile, line: w.CallerLine}]++
		}
	case kFree:
		t.frees++
		t.release(h.Args[s.fn.ptr])
	case kTune:
		site := t.where(h)
		site.Function, site.Args = s.fn.name, tuneArgs(s.fn.name, h.Args)
		key := fmt.Sprint(site.Function, site.Args, site.Caller, site.Object, site.CallerFile, site.CallerLine)
		if g := t.tune[key]; g != nil {
			g.n++
		} else {
			t.tune[key] = &tuneGroup{site: site, n: 1}
		}
	}
}

// tuneArgs are a tuning call's arguments as its C signature has them:
// mallopt's are ints (M_TRIM_THRESHOLD is -1: only the low 32 bits of the
// register are the argument), malloc_trim's a size, mallctl's pointers,
// which are not shown.
func tuneArgs(name string, a [3]uint64) []int64 {
	switch name {
	case "mallopt", "tc_mallopt":
		return []int64{int64(int32(a[0])), int64(int32(a[1]))}
	case "mi_option_set":
		return []int64{int64(int32(a[0])), int64(a[1])}
	case "malloc_trim", "mi_collect":
		return []int64{int64(a[0])}
	}
	return nil
}

// ret closes the innermost open call of the same function on the thread.
func (t *tally) ret(h uprobe.Hit, s site) {
	st := t.stacks[h.Tid]
	i := len(st) - 1
	for i >= 0 && (st[i].site.fn.name != s.fn.name || st[i].site.obj != s.obj) {
		i-- // a return that was never seen (longjmp out of a hook)
	}
	if i < 0 {
		return
	}
	f := st[i]
	t.stacks[h.Tid] = st[:i]
	if f.nested {
		return
	}
	if f.site.fn.kind == kRealloc && f.old != 0 && (h.Ret != 0 || f.size == 0) {
		t.release(f.old)
	}
	if h.Ret != 0 {
		t.release(h.Ret) // a block reused without a free seen
		t.live[h.Ret] = f.size
		t.cur += f.size
		t.peak = max(t.peak, t.cur)
	}
}

func (t *tally) release(p uint64) {
	if n, ok := t.live[p]; ok {
		t.cur -= n
		delete(t.live, p)
	}
}

// where names the function a hit returns to, and the call's source line
// where its object has debug information, in its process's address
// space at that moment.
func (t *tally) where(h uprobe.Hit) result.NativeSite {
	if h.Caller == 0 {
		return result.NativeSite{}
	}
	// The return address follows the call; one byte back is in the
	// call instruction, whose line is the call's (the next instruction
	// may be the next statement's, or another function's after a call
	// that does not return).
	at := h.Caller - 1
	for _, m := range t.spaces[h.Pid] {
		if at < m.Start || at >= m.Start+m.Len {
			continue
		}
		site := result.NativeSite{Object: m.Path}
		f, err := elfsym.Open(m.Path)
		if err != nil {
			site.Stripped = true
			return site
		}
		off := at - m.Start + m.Pgoff
		site.Caller = f.FuncAt(off)
		site.Stripped = site.Caller == "" && f.Stripped
		if l, ok := f.LineAt(off); ok {
			site.CallerFile, site.CallerLine = l.File, l.Line
		}
		return site
	}
	return result.NativeSite{}
}

// allocator is the object that served the calls and its allocator's name:
// the one most hit, or, with no calls at all, the first probed object the
// process mapped (the executable, the preloads, then the needed
// libraries: the dynamic linker's lookup order).
func (t *tally) allocator(rec uprobe.Recording) (obj, name string) {
	best := 0
	for _, o := range t.plan.Objects {
		if n := t.objHits[o]; n > best {
			obj, best = o, n
		}
	}
	if obj == "" {
		mapped := map[string]bool{}
		for _, m := range rec.Maps {
			mapped[realPath(m.Path)] = true
		}
		for _, o := range t.plan.Objects {
			if mapped[o] {
				obj = o
				break
			}
		}
	}
	if obj == "" {
		return "", "none"
	}
	return obj, Identify(obj)
}

// Identify names the allocator object path implements: by its file name
// (libjemalloc.so.2, ...), else by the API it defines (a static binary
// with jemalloc linked in defines mallocx), else glibc when it is libc or
// defines glibc's own entry points, else the file's base name.
func Identify(path string) string {
	base := filepath.Base(path)
	if a := alloc.Known(path); a != "" {
		return a
	}
	if strings.HasPrefix(base, "libc.so") || strings.HasPrefix(base, "libc-") {
		return alloc.Glibc
	}
	f, err := elfsym.Open(path)
	if err != nil {
		return base
	}
	switch {
	case f.Defines("mallocx"):
		return alloc.Jemalloc
	case f.Defines("tc_malloc"):
		return alloc.Tcmalloc
	case f.Defines("mi_malloc"):
		return alloc.Mimalloc
	case f.Defines("__libc_malloc"):
		return alloc.Glibc
	}
	return base
}

func realPath(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return p
}

// notes say what the recording could not cover.
func (t *tally) notes(rec uprobe.Recording, a *result.NativeAllocations) []string {
	var out []string
	probed := map[string]bool{}
	for _, o := range t.plan.Objects {
		probed[o] = true
	}
	warned := map[string]bool{}
	for _, m := range rec.Maps {
		base := filepath.Base(m.Path)
		p := realPath(m.Path)
		if warned[p] || probed[p] || !strings.HasPrefix(m.Path, "/") {
			continue
		}
		for _, name := range []string{alloc.Jemalloc, alloc.Tcmalloc, alloc.Mimalloc} {
			if strings.Contains(base, name) {
				warned[p] = true
				out = append(out, fmt.Sprintf("%s was loaded after start (not a preload or a direct dependency): its calls are not counted", m.Path))
			}
		}
	}
	if len(t.plan.Probes) == 0 {
		out = append(out, fmt.Sprintf("%s and its libraries define no allocator API (a runtime with its own heap, such as Go's): no native allocation figures", filepath.Base(t.plan.Exe)))
	}
	if a.Truncated {
		out = append(out, "the native pass stopped recording after its limit of calls: the figures cover the start of the run")
	}
	if a.Lost > 0 {
		out = append(out, fmt.Sprintf("the kernel dropped %d allocator calls (ring buffer full): counts are low", a.Lost))
	}
	return out
}
