package report

import (
	"strings"
	"testing"

	"github.com/faultline/faultline/internal/result"
)

// TestSizesMergeAndStop: lengths that print alike are one entry (a
// preloaded allocator's huge-page advice varies by alignment, one length
// per iteration), and a cell lists at most maxSizes of them.
func TestSizesMergeAndStop(t *testing.T) {
	sy := &result.Syscalls{}
	for i := 0; i < 10; i++ {
		sy.Sizes = append(sy.Sizes, result.SizeCount{Call: "madvise:MADV_HUGEPAGE", Bytes: 8_000_000 + int64(i)*4096/8, Per: 0.1})
	}
	if got := sizesText(sy); got != "MADV_HUGEPAGE 7.6 MiB" {
		t.Errorf("alike sizes: %q, want one entry once per iteration", got)
	}
	sy.Sizes = nil
	for i := 0; i < 9; i++ {
		sy.Sizes = append(sy.Sizes, result.SizeCount{Call: "mmap", Bytes: int64(i+1) << 20, Per: 1})
	}
	got := sizesText(sy)
	if n := strings.Count(got, "mmap"); n != maxSizes || !strings.HasSuffix(got, "3 more sizes") {
		t.Errorf("nine sizes: %q, want %d and a count of the rest", got, maxSizes)
	}
}
