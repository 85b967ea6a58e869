package result

import "testing"

// TestIssuedBy: the dominant issuer of a call is the site with the most
// bytes per iteration over its size classes; a bare call name covers its
// kinds.
func TestIssuedBy(t *testing.T) {
	s := &Syscalls{Issuers: []SyscallIssuer{
		{Call: "brk-", Bytes: 1 << 20, Per: 1, Object: "libc.so.6", Function: "brk", Caller: "sbrk"},
		{Call: "madvise:MADV_DONTNEED", Bytes: 8 << 20, Per: 1, Object: "libc.so.6", Function: "madvise", Caller: "main", CallerObject: "x"},
		{Call: "madvise:MADV_DONTNEED", Bytes: 1 << 20, Per: 4, Object: "libc.so.6", Function: "madvise", Caller: "main", CallerObject: "x"},
		{Call: "madvise:MADV_DONTNEED", Bytes: 10 << 20, Per: 1, Object: "libc.so.6", Function: "madvise", CallerObject: "libc.so.6", Stripped: true},
		{Call: "madvise:MADV_FREE", Bytes: 64 << 20, Per: 1, Object: "libc.so.6", Function: "madvise", Caller: "free", CallerObject: "libc.so.6"},
	}}
	is := s.IssuedBy("madvise:MADV_DONTNEED")
	if is == nil || is.Caller != "main" || is.Per != 5 || is.Bytes != 12<<20/5 || is.Call != "madvise:MADV_DONTNEED" {
		t.Errorf("MADV_DONTNEED: %+v, want main's 5 calls of 2.4 MiB", is)
	}
	if is := s.IssuedBy("madvise"); is == nil || is.Caller != "free" {
		t.Errorf("madvise: %+v, want free's MADV_FREE", is)
	}
	if is := s.IssuedBy("brk"); is == nil || is.Caller != "sbrk" {
		t.Errorf("brk: %+v, want sbrk", is)
	}
	if s.IssuedBy("munmap") != nil || (*Syscalls)(nil).IssuedBy("madvise") != nil {
		t.Error("an issuer of a call never recorded")
	}
}

// Two source lines of one function are two sites: the one that issued
// the most is named, with its line; without debug information, "".
func TestIssuedByLine(t *testing.T) {
	s := &Syscalls{Issuers: []SyscallIssuer{
		{Call: "munmap", Bytes: 8 << 20, Per: 1, Function: "munmap", Caller: "work", CallerObject: "x", CallerFile: "/src/x.c", CallerLine: 12},
		{Call: "munmap", Bytes: 8 << 20, Per: 3, Function: "munmap", Caller: "work", CallerObject: "x", CallerFile: "/src/x.c", CallerLine: 19},
	}}
	if is := s.IssuedBy("munmap"); is == nil || is.Per != 3 || is.CallerAt() != "x.c:19" || is.At() != "" {
		t.Errorf("munmap: %+v, want work's 3 calls at x.c:19", is)
	}
	if got := (NativeSite{CallerFile: "x.c", CallerLine: 0}).At(); got != "" {
		t.Errorf("line 0 named %q", got)
	}
}
