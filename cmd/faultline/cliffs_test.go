package main

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faultline/faultline/internal/alloc"
	"github.com/faultline/faultline/internal/cliff"
	"github.com/faultline/faultline/internal/proc/proctest"
	"github.com/faultline/faultline/internal/result"
)

// TestAllocatorCliffs sweeps testdata/c/sizes.c (malloc, memset and free
// of SIZE bytes in a loop) under each allocator preloaded, as a user
// would: each allocator's cliff is found where its own limit lies,
// refined to 3%, and tied to that limit (docs/causes.md, "Thresholds").
// The ranges hold one limit each, so that the sweep stays short.
func TestAllocatorCliffs(t *testing.T) {
	if testing.Short() {
		t.Skip("three real sweeps of about 20 s each (-short)")
	}
	bin := proctest.BuildC(t, "sizes")
	for _, tt := range []struct {
		allocator string
		lo, hi    string
		limit     float64 // where the boundary must lie
		name      string  // a word of the threshold's name
		source    string
	}{
		// glibc's dynamic mmap threshold stops rising at 32 MiB: a
		// larger block is mapped and unmapped by every malloc and free.
		{alloc.Glibc, "24MiB", "48MiB", 32 << 20, "DEFAULT_MMAP_THRESHOLD_MAX", "documented"},
		// jemalloc purges blocks whose size class reaches
		// oversize_threshold (8 MiB): requests above the 7 MiB class.
		{alloc.Jemalloc, "4MiB", "12MiB", 7 << 20, "oversize_threshold", "allocator"},
		// mimalloc 2.0 maps blocks above MI_LARGE_OBJ_SIZE_MAX (16 MiB)
		// on their own and unmaps them at free.
		{alloc.Mimalloc, "12MiB", "24MiB", 16 << 20, "MI_LARGE_OBJ_SIZE_MAX", "documented"},
	} {
		t.Run(tt.allocator, func(t *testing.T) {
			cmd, tmp := cliCmd(t, "run", "-q", "-P", "size", tt.lo, tt.hi, "--geometric", "3", "--refine", "0.03",
				"--no-experiments", "--runs", "3", "-w", "0", "--budget", "60s", "--json", "sweep.json", bin+" {size} 10")
			if tt.allocator != alloc.Glibc {
				lib := alloc.FindNamed(tt.allocator)
				if lib == "" {
					t.Fatalf("%s not installed (test.sh installs it)", tt.allocator)
				}
				cmd.Env = append(cmd.Env, "LD_PRELOAD="+lib)
			}
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("faultline run: %v\n%s", err, out)
			}
			_, doc, err := result.LoadAny(filepath.Join(tmp, "sweep.json"))
			if err != nil || doc == nil {
				t.Fatalf("sweep document: %v", err)
			}
			var found *result.Cliff
			for i, c := range doc.Cliffs {
				if c.Metric == cliff.MetricFaults && c.After > c.Before && c.Below <= tt.limit*1.001 && tt.limit <= c.Above {
					found = &doc.Cliffs[i]
				}
			}
			if found == nil {
				t.Fatalf("no fault cliff around %g bytes:\n%s", tt.limit, cliffLines(doc))
			}
			if !found.Refined || (found.Above-found.Below)/found.Below > 0.03 {
				t.Errorf("boundary %g..%g not refined to 3%%", found.Below, found.Above)
			}
			th := found.Threshold
			if th == nil || !strings.Contains(th.Name, tt.name) || th.Source != tt.source || math.Abs(th.Bytes-tt.limit) > 1 {
				t.Errorf("threshold %+v, want %s at %g bytes (%s):\n%s", th, tt.name, tt.limit, tt.source, cliffLines(doc))
			}
			if th != nil && th.Source == "allocator" && th.Reported == "" {
				t.Errorf("threshold read from the allocator does not say how: %+v", th)
			}
		})
	}
}

func cliffLines(doc *result.Sweep) string {
	var s strings.Builder
	for _, c := range doc.Cliffs {
		s.WriteString(c.Summary + "\n")
	}
	if s.Len() == 0 {
		return "(no cliffs)"
	}
	return s.String()
}
