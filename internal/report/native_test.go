package report

import (
	"strings"
	"testing"

	"github.com/faultline/faultline/internal/result"
)

// A call site is named by its function and file, and by its source line
// where the file has debug information: two calls of one function are
// two sites. Without a line the words are the ones they always were.
func TestSitesNameTheirLine(t *testing.T) {
	na := &result.NativeAllocations{Allocator: "glibc", Iterations: 1, Large: []result.NativeSite{
		{Function: "malloc", Bytes: 8 << 20, Per: 2, Caller: "make_buffers", Object: "/w/buffers", CallerFile: "/src/w/buffers.c", CallerLine: 40},
		{Function: "malloc", Bytes: 8 << 20, Per: 1, Caller: "make_buffers", Object: "/w/buffers", CallerFile: "/src/w/buffers.c", CallerLine: 44},
		{Function: "malloc", Bytes: 1 << 20, Per: 1, Caller: "main", Object: "/w/buffers"},
	}}
	got := NativeLine("B", na).String()
	for _, want := range []string{
		"B: 2 x 8.0 MiB per iteration from make_buffers in buffers at buffers.c:40; ",
		"1 x 8.0 MiB per iteration from make_buffers in buffers at buffers.c:44; ",
		"1 x 1.0 MiB per iteration from main in buffers ·",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("native line %q\nlacks %q", got, want)
		}
	}
	for _, tc := range []struct {
		is   result.SyscallIssuer
		want string
	}{
		{result.SyscallIssuer{Object: "/lib/libc.so.6", Function: "madvise", Caller: "release_pages", CallerObject: "/w/buffers"},
			"release_pages in buffers"},
		{result.SyscallIssuer{Object: "/lib/libc.so.6", Function: "madvise", Caller: "release_pages", CallerObject: "/w/buffers",
			File: "./misc/syscall-template.S", Line: 117, CallerFile: "/src/w/buffers.c", CallerLine: 58},
			"release_pages in buffers at buffers.c:58"},
		{result.SyscallIssuer{Object: "/lib/libc.so.6", Function: "madvise", CallerObject: "/lib/libc.so.6", Stripped: true,
			File: "./misc/syscall-template.S", Line: 117, CallerFile: "./malloc/arena.c", CallerLine: 700},
			"madvise in libc.so.6 at syscall-template.S:117, called from a stripped function in libc.so.6 at arena.c:700"},
		{result.SyscallIssuer{Object: "/lib/libc.so.6", Function: "madvise", CallerObject: "/lib/libc.so.6", Stripped: true},
			"madvise in libc.so.6, called from a stripped function in libc.so.6"},
		{result.SyscallIssuer{Object: "/w/prog", Function: "raw_madvise", File: "/src/prog.c", Line: 9},
			"raw_madvise in prog at prog.c:9 (its caller unknown)"},
	} {
		if got := issuerSite(&tc.is); got != tc.want {
			t.Errorf("issuer %+v named %q, want %q", tc.is, got, tc.want)
		}
	}
	if got := siteText(result.NativeSite{Object: "/lib/libc.so.6", Stripped: true, CallerFile: "./malloc/malloc.c", CallerLine: 3300}); got != "a function of libc.so.6 at malloc.c:3300 (stripped: no symbols)" {
		t.Errorf("stripped caller with a line: %q", got)
	}
}
