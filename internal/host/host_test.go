package host

import (
	"strings"
	"testing"
)

func TestInfo(t *testing.T) {
	h := Info()
	if h.Kernel == "" || h.CPUs < 1 || h.PageSize < 4096 || h.Arch == "" {
		t.Fatalf("Info() = %+v", h)
	}
	if !strings.HasPrefix(h.Libc, "glibc ") {
		t.Errorf("Libc = %q, want glibc on Debian", h.Libc)
	}
	switch h.THP {
	case "always", "madvise", "never", "":
	default:
		t.Errorf("THP = %q", h.THP)
	}
}
