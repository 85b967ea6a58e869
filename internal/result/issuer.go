package result

import "strings"

// IssuedBy returns the site that issued the most bytes of call per
// iteration, its groups of every size class summed (Per the calls, Bytes
// their mean size), or nil when no issuer was recorded. call is a kind as
// in SizeCount ("madvise:MADV_DONTNEED", "munmap", "munmap:file",
// "brk-"), or "madvise" or "brk" for every kind of them. "munmap" is
// fresh memory's only: the classes of a mapping ("munmap:file") are kinds
// of their own.
func (s *Syscalls) IssuedBy(call string) *SyscallIssuer {
	if s == nil {
		return nil
	}
	type site struct {
		object, function, caller, callerObject string
		file, callerFile                       string
		line, callerLine                       int
	}
	type sum struct {
		is     SyscallIssuer
		volume float64
		first  int
	}
	sums := map[site]*sum{}
	for i, is := range s.Issuers {
		if is.Call != call && !(call == "madvise" && strings.HasPrefix(is.Call, "madvise:")) && !(call == "brk" && strings.HasPrefix(is.Call, "brk")) {
			continue
		}
		k := site{is.Object, is.Function, is.Caller, is.CallerObject, is.File, is.CallerFile, is.Line, is.CallerLine}
		g := sums[k]
		if g == nil {
			g = &sum{is: is, first: i}
			g.is.Call, g.is.Per = call, 0
			sums[k] = g
		}
		g.is.Per += is.Per
		g.is.Stripped = g.is.Stripped || is.Stripped
		g.volume += float64(is.Bytes) * is.Per
	}
	var best *sum
	for _, g := range sums {
		if best == nil || g.volume > best.volume || g.volume == best.volume && g.first < best.first {
			best = g
		}
	}
	if best == nil {
		return nil
	}
	if best.is.Per > 0 {
		best.is.Bytes = int64(best.volume / best.is.Per)
	}
	return &best.is
}

// At is the syscall instruction's source line, "madvise.c:30", or ""
// without debug information.
func (is *SyscallIssuer) At() string { return SourceAt(is.File, is.Line) }

// CallerAt is the source line of the call in Caller, "x.c:12", or ""
// without debug information.
func (is *SyscallIssuer) CallerAt() string { return SourceAt(is.CallerFile, is.CallerLine) }

// AdviceBytes is how many bytes per iteration were advised with advice
// ("MADV_DONTNEED"): the total when it is the only advice given (the
// sizes list only the largest volumes, so their sum falls short when a
// program advises many sizes), else from the sizes.
func (s *Syscalls) AdviceBytes(advice string) float64 {
	if s == nil {
		return 0
	}
	b := 0.0
	for _, sc := range s.Sizes {
		if sc.Call == "madvise:"+advice {
			b += float64(sc.Bytes) * sc.Per
		}
	}
	if s.Advice[advice] > 0 && len(s.Advice) == 1 {
		b = max(b, s.AdvisedBytes)
	}
	return b
}

// Calls is how many memory syscalls an iteration makes: brk, mmap,
// munmap, mremap and madvise together.
func (s *Syscalls) Calls() float64 {
	if s == nil {
		return 0
	}
	return s.Brk + s.Mmap + s.Munmap + s.Mremap + s.Madvise
}

// CallName is a call kind as in SizeCount, as a reader knows it:
// "madvise:MADV_DONTNEED" is madvise(MADV_DONTNEED), "brk-" a brk shrink.
func CallName(call string) string {
	switch {
	case strings.HasPrefix(call, "madvise:"):
		return "madvise(" + strings.TrimPrefix(call, "madvise:") + ")"
	case call == "brk-":
		return "brk shrink"
	case strings.HasSuffix(call, ":file"):
		return strings.TrimSuffix(call, ":file") + " of a file"
	case strings.HasSuffix(call, ":reserve"):
		return strings.TrimSuffix(call, ":reserve") + " of a reservation"
	case call == "mprotect:rw":
		return "mprotect commit"
	case call == "mprotect:none":
		return "mprotect decommit"
	}
	return call
}
