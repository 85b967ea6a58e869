package report

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/faultline/faultline/internal/result"
)

// nativeBlock is the native pass's paragraph of one configuration: for
// each candidate, its large allocations with the function that made
// them, its tuning calls, and its totals.
func nativeBlock(cfg string, runs []*result.Run) []line {
	var out []line
	for _, run := range runs {
		na := run.PerIteration.Native
		if na == nil {
			continue
		}
		if len(out) == 0 {
			out = append(out, line{sty(cfg, strong), txt(fmt.Sprintf(": allocator calls from the %s pass (uprobes on the allocator's API)",
				sourceOf(run, "native_allocations", result.PassNative)))})
		}
		out = append(out, NativeLine(run.Candidate, na))
	}
	return out
}

// NativeLine is one candidate's native allocation evidence in a line:
// "B: 2 x 8.0 MiB per iteration from make_buffers in x at x.c:40; ...".
func NativeLine(cand string, na *result.NativeAllocations) line {
	per := "per iteration"
	if na.Scope == "process" {
		per = "per run"
	}
	var parts []string
	for i, l := range na.Large {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("%d more large sizes", len(na.Large)-3))
			break
		}
		parts = append(parts, fmt.Sprintf("%s x %s %s from %s", fmtCount(l.Per), fmtBytes(float64(l.Bytes)), per, siteText(l)))
	}
	for _, tc := range na.Tuning {
		args := make([]string, len(tc.Args))
		for i, a := range tc.Args {
			args[i] = fmt.Sprint(a)
		}
		parts = append(parts, fmt.Sprintf("%s(%s) x %s %s from %s", tc.Function, strings.Join(args, ", "), fmtCount(tc.Per), per, siteText(tc)))
	}
	if len(parts) == 0 {
		parts = append(parts, "no allocation of "+fmtBytes(result.LargeBytes)+" or more")
	}
	totals := fmt.Sprintf("%s allocations (%s asked) and %s frees %s, %s peak live, %s", fmtCount(na.Calls), fmtBytes(na.Bytes),
		fmtCount(na.Frees), per, fmtBytes(na.PeakLiveBytes), na.Allocator)
	if na.Truncated {
		totals += ", the start of the run only"
	}
	return line{sty(cand, strong), txt(": " + strings.Join(parts, "; ")), sty(" · "+totals, dim)}
}

// siteText names a calling function and its file, and the call's source
// line where the file has debug information ("main in x at x.c:12"),
// without guessing.
func siteText(s result.NativeSite) string {
	obj := filepath.Base(s.Object)
	switch {
	case s.Object == "":
		return "code outside any mapped file"
	case s.Caller != "":
		return s.Caller + " in " + obj + result.AtLine(s.At())
	case s.Stripped:
		return "a function of " + obj + result.AtLine(s.At()) + " (stripped: no symbols)"
	}
	return "an unnamed address in " + obj + result.AtLine(s.At())
}

// issuedCalls are the calls whose issuer the report names: those that give
// memory back.
var issuedCalls = []string{"madvise:MADV_DONTNEED", "munmap", "brk-", "madvise:MADV_FREE", "munmap:file", "munmap:reserve", "mprotect:none"}

// issuersBlock names, for each candidate, who issued the calls that give
// memory back (the trace's issuing sites): "A: madvise(MADV_DONTNEED) 6.0
// MiB x 20 from make_buffers in buffers".
func issuersBlock(runs []*result.Run) []line {
	var out []line
	for _, run := range runs {
		sy := run.PerIteration.Syscalls
		if sy == nil || len(sy.Issuers) == 0 {
			continue
		}
		var parts []string
		for _, call := range issuedCalls {
			is := sy.IssuedBy(call)
			if is == nil || is.Per < 0.5 {
				continue
			}
			by := ""
			if is.Owner != "" {
				by = " (" + is.Owner + ")"
			}
			parts = append(parts, fmt.Sprintf("%s %s x %s from %s%s", result.CallName(call), fmtBytes(float64(is.Bytes)), fmtCount(is.Per), issuerSite(is), by))
		}
		if len(parts) == 0 {
			continue
		}
		if len(out) == 0 {
			out = append(out, line{sty("who gives memory back", strong), txt(" (the trace's issuing function and its caller):")})
		}
		out = append(out, line{sty(run.Candidate, strong), txt(": " + strings.Join(parts, "; "))})
	}
	return out
}

// issuerSite is "make_buffers in buffers" ("... at buffers.c:40" with
// debug information), or the issuing function where its caller is
// unknown or has no symbol.
func issuerSite(is *result.SyscallIssuer) string {
	switch {
	case is.Caller != "":
		return is.Caller + " in " + filepath.Base(is.CallerObject) + result.AtLine(is.CallerAt())
	case is.Function != "" && is.Object != "" && is.CallerObject != "":
		return is.Function + " in " + filepath.Base(is.Object) + result.AtLine(is.At()) +
			", called from a stripped function in " + filepath.Base(is.CallerObject) + result.AtLine(is.CallerAt())
	case is.Function != "" && is.Object != "":
		return is.Function + " in " + filepath.Base(is.Object) + result.AtLine(is.At()) + " (its caller unknown)"
	}
	return "an unknown site (stripped)"
}
