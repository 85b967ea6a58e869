package result

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// seedDoc loads the report package's seed fixture: a complete, valid
// result (three candidates, eight configurations, comparisons, a verdict
// and findings).
func seedDoc(t *testing.T) *Result {
	t.Helper()
	r, err := Load(filepath.Join("..", "report", "testdata", "seed.json"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// reparse writes r as JSON and reads it back as `faultline report`
// does: the error is the one a user would see.
func reparse(t *testing.T, r *Result) error {
	t.Helper()
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Parse(data)
	return err
}

// TestCheckRefusesInconsistent: a result whose runs, comparisons,
// findings or verdict name what it does not list, or whose counts and
// times are negative, is refused with the path of the field, not
// rendered with the part dropped or a verdict from no data.
func TestCheckRefusesInconsistent(t *testing.T) {
	one := 1
	for _, tc := range []struct {
		name   string
		change func(r *Result)
		want   string
	}{
		{"run of an unknown candidate", func(r *Result) { r.Results[3].Candidate = "Z" }, `results[3].candidate "Z": not in candidates`},
		{"run under an unknown config", func(r *Result) { r.Results[2].Config = "nope" }, `results[2].config "nope": not in configs`},
		{"run in an unknown mode", func(r *Result) { r.Results[0].Mode = "fast" }, `results[0].mode "fast": not a mode`},
		{"empty run", func(r *Result) { r.Results = append(r.Results, Run{}) }, `results[19] is empty`},
		{"negative wall time", func(r *Result) { r.WallSeconds = -1 }, `wall_seconds = -1 is negative`},
		{"negative cpus", func(r *Result) { r.Host.CPUs = -3 }, `host.cpus = -3 is negative`},
		{"negative page size", func(r *Result) { r.Host.PageSize = -4096 }, `host.page_size = -4096`},
		{"page size not a power of two", func(r *Result) { r.Host.PageSize = 3000 }, `host.page_size = 3000`},
		{"negative fault cost", func(r *Result) { r.Host.FaultCostSeconds = -1e-6 }, `host.fault_cost_s`},
		{"negative sample time", func(r *Result) { r.Results[1].Samples[4].Seconds = -1e-3 }, `results[1].samples[4] has a negative time`},
		{"negative minor faults", func(r *Result) { r.Results[0].PerIteration.MinorFaults = -1 }, `results[0].per_iteration.minor_faults = -1 is negative`},
		{"negative counter", func(r *Result) { r.Results[0].PerIteration.Counters = map[string]float64{"cycles": -5} },
			`results[0].per_iteration.counters[cycles] = -5 is negative`},
		{"negative syscalls", func(r *Result) { r.Results[0].PerIteration.Syscalls.Munmap = -2 }, `results[0].per_iteration.syscalls.munmap = -2 is negative`},
		{"negative allocations", func(r *Result) { r.Results[0].PerIteration.Allocations.Bytes = -8 }, `results[0].per_iteration.allocations.bytes = -8 is negative`},
		{"negative mean time", func(r *Result) { r.Results[0].Time.Mean = -1 }, `results[0].time.mean = -1 is negative`},
		{"negative sample count", func(r *Result) { r.Results[0].Time.N = -20 }, `results[0].time.n = -20 is negative`},
		{"negative cpu time", func(r *Result) { r.Results[0].CPU.System = -1e-6 }, `results[0].cpu.system_s = -1e-06 is negative`},
		{"negative peak RSS", func(r *Result) { r.Results[0].PeakRSSBytes = -1 }, `results[0].peak_rss_bytes = -1 is negative`},
		{"negative process faults", func(r *Result) { r.Results[3].ProcessFaults = []float64{3, -3} }, `results[3].process_minor_faults[1] = -3 is negative`},
		{"negative carry-over median", func(r *Result) { r.Results[0].After[0].Median = -1 }, `results[0].after[0].median_s = -1 is negative`},
		{"carry-over p above 1", func(r *Result) { r.Results[0].After[0].P = 2 }, `results[0].after[0] has a negative count or a p-value above 1`},
		{"negative pass time", func(r *Result) { r.Passes[0].Seconds = -7 }, `passes[0] has a negative time`},
		{"comparison of an unknown candidate", func(r *Result) { r.Comparisons[0].Other = "Z" }, `comparisons[0].other "Z": not in candidates`},
		{"comparison against an unknown baseline", func(r *Result) { r.Comparisons[0].Baseline = "Q" }, `comparisons[0].baseline "Q": not in candidates`},
		{"comparison under an unknown config", func(r *Result) { r.Comparisons[0].Config = "nope" }, `comparisons[0].config "nope": not in configs`},
		{"comparison with a negative interval", func(r *Result) { r.Comparisons[0].Low = -1 }, `comparisons[0] has a ratio, interval`},
		{"finding about an unknown candidate", func(r *Result) { r.Findings[1].Candidate = "Z" }, `findings[1].candidate "Z": not in candidates`},
		{"verdict about an unknown candidate", func(r *Result) { r.Verdict.Slow = "Z" }, `verdict.slow "Z": not in candidates`},
		{"verdict naming a finding it does not have", func(r *Result) { r.Verdict.Finding = &one; r.Findings = r.Findings[:1] },
			`verdict.finding = 1: not an index of findings`},
		{"tax of an unknown candidate", func(r *Result) { r.Taxes = []Tax{{Candidate: "Z", Config: "glibc"}} }, `taxes[0].candidate "Z": not in candidates`},
		{"unknown reference", func(r *Result) { r.Reference = "Z" }, `reference "Z": not in candidates`},
		{"fix of an unknown candidate", func(r *Result) { r.Candidates[2].FixOf = "Z" }, `candidates[2].fix_of "Z": not in candidates`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := seedDoc(t)
			tc.change(r)
			err := reparse(t, r)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse = %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// TestCheckRefusesNullRun: `"results": [null]` decodes into an empty run,
// which would be rendered as a verdict on no data.
func TestCheckRefusesNullRun(t *testing.T) {
	doc := `{"schema": "faultline/v1", "kind": "timeit",
		"candidates": [{"name": "A", "label": "a"}, {"name": "B", "label": "b"}],
		"configs": [{"name": "glibc", "env": {}, "status": "ok"}],
		"results": [null], "comparisons": [], "findings": []}`
	_, err := Parse([]byte(doc))
	if err == nil || !strings.Contains(err.Error(), "results[0] is empty") {
		t.Fatalf("Parse = %v, want results[0] refused as empty", err)
	}
}

// TestCheckKeepsValid: what a result may leave out or leave empty stays
// accepted (an unknown page size or CPU count, a finding about no one
// candidate), and so does every fixture the other packages read.
func TestCheckKeepsValid(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(r *Result)
	}{
		{"as written", func(*Result) {}},
		{"page size and cpus unknown", func(r *Result) { r.Host.PageSize, r.Host.CPUs = 0, 0 }},
		{"64 KiB pages", func(r *Result) { r.Host.PageSize = 65536 }},
		{"finding about no candidate", func(r *Result) { r.Findings[0].Candidate = "" }},
		{"no verdict", func(r *Result) { r.Verdict = nil }},
		{"a fix's re-run config", func(r *Result) { r.Findings[1].Fixes = []Fix{{Kind: FixCode, Config: "re-run"}} }},
	} {
		r := seedDoc(t)
		tc.change(r)
		if err := reparse(t, r); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	var paths []string
	for _, dir := range []string{"../report/testdata", "../diagnose/testdata"} {
		m, err := filepath.Glob(filepath.Join(dir, "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, m...)
	}
	if len(paths) < 10 {
		t.Fatalf("found %d fixtures; the test no longer sees them", len(paths))
	}
	for _, p := range paths {
		if _, _, err := LoadAny(p); err != nil {
			t.Errorf("%v", err)
		}
	}
}
