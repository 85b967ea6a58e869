package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faultline/faultline/internal/alloc"
	"github.com/faultline/faultline/internal/diagnose"
	"github.com/faultline/faultline/internal/proc/proctest"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/testenv"
	"github.com/faultline/faultline/internal/uprobe"
)

// TestNativeAllocationsNameTheCaller: `faultline run './buffers 20'
// './buffers 20 two'` (unmarked: a run is one iteration) reports 20
// against 40 allocations of 8 MiB per run, each made by make_buffers in
// the program, under glibc and under a preloaded jemalloc, with the
// allocator named from what the process really called, the live peak of
// one buffer against two, and the line in the terminal report.
func TestNativeAllocationsNameTheCaller(t *testing.T) {
	if err := uprobe.Available(); err != nil {
		testenv.Missing(t, "uprobes not usable here (CI runs as root, where they are): %v", err)
	}
	bin := proctest.BuildC(t, "buffers")
	jem := alloc.FindNamed(alloc.Jemalloc)
	if jem == "" {
		t.Fatal("jemalloc not installed: apt-get install libjemalloc2 (test.sh does)")
	}
	for _, tc := range []struct{ allocator, preload string }{{alloc.Glibc, ""}, {alloc.Jemalloc, jem}} {
		t.Run(tc.allocator, func(t *testing.T) {
			cmd, tmp := cliCmd(t, "run", "--json", "out.json", "--no-experiments", "--no-trace", "-w", "0", "--runs", "8", "--budget", "40s",
				bin+" 20", bin+" 20 two")
			if tc.preload != "" {
				cmd.Env = append(cmd.Env, "LD_PRELOAD="+tc.preload)
			}
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("faultline run: %v\n%s", err, out)
			}
			data, err := os.ReadFile(filepath.Join(tmp, "out.json"))
			if err != nil {
				t.Fatal(err)
			}
			r := new(result.Result)
			if err := json.Unmarshal(data, r); err != nil {
				t.Fatal(err)
			}
			for cand, want := range map[string]float64{"A": 20, "B": 40} {
				run := r.Run(cand, r.Configs[0].Name, result.ModeProcess)
				if run == nil || run.PerIteration.Native == nil {
					t.Fatalf("%s: no native allocations; notes %q", cand, r.Notes)
				}
				na := run.PerIteration.Native
				if na.Allocator != tc.allocator || na.Scope != "process" || run.Sources["native_allocations"] != result.PassNative {
					t.Errorf("%s: allocator %q scope %q source %q, want %s per process from the native pass",
						cand, na.Allocator, na.Scope, run.Sources["native_allocations"], tc.allocator)
				}
				var big float64
				for _, l := range na.Large {
					if l.Bytes == 8<<20 {
						big += l.Per
						if l.Function != "malloc" || l.Caller != "make_buffers" || l.Object != bin {
							t.Errorf("%s: 8 MiB from %s called by %q in %q, want malloc from make_buffers in %s", cand, l.Function, l.Caller, l.Object, bin)
						}
					}
				}
				if big != want {
					t.Errorf("%s: %v allocations of 8 MiB per run, want %v (large: %+v)", cand, big, want, na.Large)
				}
				// 16 small mallocs per iteration besides the buffers.
				if small := 20 * 16.0; na.Calls < want+small || na.Frees < want+small {
					t.Errorf("%s: %v allocations and %v frees, want at least %v", cand, na.Calls, na.Frees, want+small)
				}
				peak := float64(want / 20 * (8 << 20))
				if na.PeakLiveBytes < peak || na.PeakLiveBytes > peak+1<<20 {
					t.Errorf("%s: peak live %v bytes, want %v and a little", cand, na.PeakLiveBytes, peak)
				}
			}
			if !strings.Contains(string(out), "B: 40 x 8.0 MiB per run from make_buffers in buffers") {
				t.Errorf("the report does not show B's buffers with their caller:\n%s", out)
			}
			// The diagnosis reasons with it: B's second buffer is an
			// extra buffer, from make_buffers.
			var extra *result.Finding
			for i, f := range r.Findings {
				if f.Cause == "extra-buffer" && f.Candidate == "B" {
					extra = &r.Findings[i]
				}
			}
			if extra == nil || !strings.Contains(extra.Summary, "make_buffers in buffers") {
				t.Errorf("no extra-buffer finding for B naming make_buffers: %+v", r.Findings)
			}
		})
	}
}

// TestFindingNamesTheLine: sizes built with -g mallocs, fills and frees a
// 40 MB block every iteration: above 32 MiB, where glibc's dynamic mmap
// threshold stops rising, so every block is mapped, unmapped and faulted
// in again; the fixed version reuses one block. The finding that explains
// B's faults names the malloc that makes the block by its line,
// sizes.c:N, in the terminal report and in the JSON (its summary, and the
// native pass's site with the full path of the file).
func TestFindingNamesTheLine(t *testing.T) {
	if err := uprobe.Available(); err != nil {
		testenv.Missing(t, "uprobes not usable here (CI runs as root, where they are): %v", err)
	}
	bin := proctest.BuildCWith(t, "sizes", "-g")
	line := proctest.MarkedLine(t, "sizes", "block")
	at := fmt.Sprintf("main in sizes at sizes.c:%d", line)
	cmd, tmp := cliCmd(t, "run", "--json", "out.json", "--no-experiments", "-w", "0", "--runs", "5", "--budget", "60s",
		bin+" 40000000 10 reuse", bin+" 40000000 10")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("faultline run: %v\n%s", err, out)
	}
	r, err := result.Load(filepath.Join(tmp, "out.json"))
	if err != nil {
		t.Fatal(err)
	}
	run := r.Run("B", r.Configs[0].Name, result.ModeProcess)
	if run == nil || run.PerIteration.Native == nil {
		t.Fatalf("B: no native allocations; notes %q", r.Notes)
	}
	var site *result.NativeSite
	for i, l := range run.PerIteration.Native.Large {
		if l.Bytes == 40000000 {
			site = &run.PerIteration.Native.Large[i]
		}
	}
	if site == nil || site.Per != 10 || site.Caller != "main" || site.CallerLine != line ||
		!filepath.IsAbs(site.CallerFile) || filepath.Base(site.CallerFile) != "sizes.c" {
		t.Errorf("B's 40 MB site %+v, want 10 per run from main at sizes.c:%d (full path)", site, line)
	}
	// The mechanism, with the line of the malloc that makes the block.
	var f *result.Finding
	for i := range r.Findings {
		if r.Findings[i].Cause == diagnose.MmapPerAllocation && r.Findings[i].Candidate == "B" {
			f = &r.Findings[i]
		}
	}
	if f == nil {
		t.Fatalf("no mmap-per-allocation finding for B: %+v", r.Findings)
	}
	if !strings.Contains(f.Summary, "large blocks: "+at+" (10 x 38.1 MiB, malloc)") {
		t.Errorf("the finding does not name the malloc's line (%s): %q", at, f.Summary)
	}
	cited := false
	for _, e := range f.Evidence {
		cited = cited || strings.Contains(e.What, "large block from "+at)
	}
	if !cited {
		t.Errorf("the finding's evidence does not cite the site %s: %+v", at, f.Evidence)
	}
	text := strings.Join(strings.Fields(string(out)), " ") // the terminal wraps long lines
	for _, want := range []string{"large blocks: " + at, "B: 10 x 38.1 MiB per run from " + at} {
		if !strings.Contains(text, want) {
			t.Errorf("the terminal report lacks %q:\n%s", want, out)
		}
	}
}
