package result

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
)

// MaxMagnitude bounds every number a result may hold. Nothing faultline
// measures comes near it (10^15 seconds, faults or bytes), and it keeps
// every product a renderer or the diagnosis forms (a fault count times a
// fault cost, a time times a ratio) finite, so a result read from disk or
// built from a target's records always encodes as JSON again.
const MaxMagnitude = 1e15

// MaxFaultCost is the largest plausible cost of one page fault: 1 ms,
// about a hundred times the slowest host measured (docs/measurement.md).
const MaxFaultCost = 1e-3

// Check validates a result read from disk: every number finite and within
// MaxMagnitude, counts and times not negative, the fault cost plausible,
// and every name a run, comparison, finding, tax or verdict uses one the
// result lists, so that nothing is dropped or rendered from no data. It
// names the first offending field by its JSON path.
func (r *Result) Check() error {
	if err := r.checkRange(); err != nil {
		return err
	}
	if err := r.checkHost(); err != nil {
		return err
	}
	if err := r.checkRuns(); err != nil {
		return err
	}
	return r.checkNames()
}

// checkRange refuses NaN, infinite and out-of-range numbers anywhere.
func (r *Result) checkRange() error {
	n := 0
	walkFloats(reflect.ValueOf(r).Elem(), nil, func(_ func() string, v reflect.Value) {
		if f := v.Float(); math.IsNaN(f) || math.Abs(f) > MaxMagnitude {
			n++
		}
	})
	if n == 0 {
		return nil
	}
	// Walk again to name the first one: paths cost an allocation per
	// number, too much to build for millions of good samples.
	var bad error
	walkFloats(reflect.ValueOf(r).Elem(), func() string { return "" }, func(path func() string, v reflect.Value) {
		if f := v.Float(); bad == nil && (math.IsNaN(f) || math.Abs(f) > MaxMagnitude) {
			bad = fmt.Errorf("%s = %g is out of range", strings.TrimPrefix(path(), "."), f)
		}
	})
	return bad
}

// checkHost refuses host figures no machine has. cpus and page_size are
// omitted when unknown, so 0 (the same as absent) is accepted; a page
// size is otherwise a power of two, as the diagnosis, which bounds
// fault counts by bytes over pages, assumes.
func (r *Result) checkHost() error {
	h := r.Host
	switch {
	case r.WallSeconds < 0:
		return fmt.Errorf("wall_seconds = %g is negative", r.WallSeconds)
	case h.CPUs < 0:
		return fmt.Errorf("host.cpus = %d is negative", h.CPUs)
	case h.PageSize < 0 || h.PageSize&(h.PageSize-1) != 0:
		return fmt.Errorf("host.page_size = %d is not a page size (a power of two, or 0 when unknown)", h.PageSize)
	case h.FaultCostSeconds < 0 || h.FaultCostSeconds > MaxFaultCost:
		return fmt.Errorf("host.fault_cost_s = %g is out of range (0 to %g)", h.FaultCostSeconds, MaxFaultCost)
	}
	return nil
}

// checkRuns refuses negative times and counts in the runs and passes.
// Every float of a run's time, per-iteration figures, CPU time and
// carry-over split is a time, a count or a volume; the integers are
// checked one by one (a native tuning call's arguments may be negative).
func (r *Result) checkRuns() error {
	for i, run := range r.Results {
		for j, s := range run.Samples {
			if s.Seconds < 0 || s.MinorFaults < 0 || s.MajorFaults < 0 || s.UserSeconds < 0 || s.SystemSeconds < 0 {
				return fmt.Errorf("results[%d].samples[%d] has a negative time or fault count", i, j)
			}
		}
		at := fmt.Sprintf("results[%d]", i)
		for _, part := range []struct {
			name string
			v    any
		}{{"time", run.Time}, {"per_iteration", run.PerIteration}, {"cpu", run.CPU},
			{"process_minor_faults", run.ProcessFaults}, {"after", run.After}} {
			if err := nonNegative(at+"."+part.name, part.v); err != nil {
				return err
			}
		}
		switch {
		case run.Time.N < 0:
			return fmt.Errorf("%s.time.n = %d is negative", at, run.Time.N)
		case run.Time.Confidence > 1:
			return fmt.Errorf("%s.time.confidence = %g is not a probability", at, run.Time.Confidence)
		case run.PeakRSSBytes < 0:
			return fmt.Errorf("%s.peak_rss_bytes = %d is negative", at, run.PeakRSSBytes)
		case run.Loops < 0:
			return fmt.Errorf("%s.loops = %d is negative", at, run.Loops)
		}
		for j, a := range run.After {
			if a.N < 0 || a.OthersN < 0 || a.P > 1 {
				return fmt.Errorf("%s.after[%d] has a negative count or a p-value above 1", at, j)
			}
		}
	}
	for i, p := range r.Passes {
		if p.Seconds < 0 || p.Overhead < 0 {
			return fmt.Errorf("passes[%d] has a negative time or overhead", i)
		}
	}
	for i, c := range r.Comparisons {
		if c.Ratio < 0 || c.Low < 0 || c.High < 0 || c.P < 0 || c.P > 1 || c.N[0] < 0 || c.N[1] < 0 {
			return fmt.Errorf("comparisons[%d] has a ratio, interval, p-value or count out of range", i)
		}
	}
	return nil
}

// nonNegative names the first negative float64 in v, at path.
func nonNegative(path string, v any) error {
	var bad error
	walkFloats(reflect.ValueOf(v), func() string { return path }, func(p func() string, x reflect.Value) {
		if f := x.Float(); bad == nil && f < 0 {
			bad = fmt.Errorf("%s = %g is negative", p(), f)
		}
	})
	return bad
}

// checkNames refuses a name that the result does not list: a run of an
// unknown candidate or configuration would be dropped from every table
// without a word, and an empty run (`"results": [null]`) would be
// rendered as a verdict on no data. Passes and fixes may name
// configurations the result does not list (a sweep point's passes, a
// code fix's re-run), and a finding's configuration is free text for
// the renderers, so those are not checked.
func (r *Result) checkNames() error {
	cands := map[string]bool{}
	for i, c := range r.Candidates {
		if c.Name == "" {
			return fmt.Errorf("candidates[%d].name is empty", i)
		}
		cands[c.Name] = true
	}
	cfgs := map[string]bool{}
	for i, c := range r.Configs {
		if c.Name == "" {
			return fmt.Errorf("configs[%d].name is empty", i)
		}
		cfgs[c.Name] = true
	}
	candidate := func(path, name string) error {
		if !cands[name] {
			return fmt.Errorf("%s %q: not in candidates", path, name)
		}
		return nil
	}
	config := func(path, name string) error {
		if !cfgs[name] {
			return fmt.Errorf("%s %q: not in configs", path, name)
		}
		return nil
	}
	mode := func(path, name string) error {
		switch name {
		case ModeInterleaved, ModeIsolated, ModeProcess:
			return nil
		}
		return fmt.Errorf("%s %q: not a mode (%s, %s or %s)", path, name, ModeInterleaved, ModeIsolated, ModeProcess)
	}
	// The first error found is returned, in the document's order.
	var first error
	note := func(err error) {
		if first == nil {
			first = err
		}
	}
	for i, c := range r.Candidates {
		if c.FixOf != "" {
			note(candidate(fmt.Sprintf("candidates[%d].fix_of", i), c.FixOf))
		}
	}
	if r.Reference != "" {
		note(candidate("reference", r.Reference))
	}
	for i, run := range r.Results {
		at := fmt.Sprintf("results[%d]", i)
		if run.Candidate == "" && run.Config == "" && run.Mode == "" {
			note(fmt.Errorf("%s is empty (null?): a run names its candidate, config and mode", at))
			continue
		}
		note(candidate(at+".candidate", run.Candidate))
		note(config(at+".config", run.Config))
		note(mode(at+".mode", run.Mode))
	}
	for i, c := range r.Comparisons {
		at := fmt.Sprintf("comparisons[%d]", i)
		note(config(at+".config", c.Config))
		note(mode(at+".mode", c.Mode))
		note(candidate(at+".baseline", c.Baseline))
		note(candidate(at+".other", c.Other))
	}
	if v := r.Verdict; v != nil {
		if v.Slow != "" {
			note(candidate("verdict.slow", v.Slow))
		}
		if v.Fast != "" {
			note(candidate("verdict.fast", v.Fast))
		}
		if v.Finding != nil && (*v.Finding < 0 || *v.Finding >= len(r.Findings)) {
			note(fmt.Errorf("verdict.finding = %d: not an index of findings (%d of them)", *v.Finding, len(r.Findings)))
		}
	}
	for i, t := range r.Taxes {
		note(candidate(fmt.Sprintf("taxes[%d].candidate", i), t.Candidate))
	}
	for i, f := range r.Findings {
		if f.Candidate != "" {
			note(candidate(fmt.Sprintf("findings[%d].candidate", i), f.Candidate))
		}
	}
	return first
}

// DropNonFinite sets every NaN, infinite or out-of-range number to 0 and
// returns how many there were: a last guard before writing, since one such
// value makes the whole document unencodable and the result would be lost.
func (r *Result) DropNonFinite() int {
	n := 0
	walkFloats(reflect.ValueOf(r).Elem(), nil, func(_ func() string, v reflect.Value) {
		if f := v.Float(); math.IsNaN(f) || math.Abs(f) > MaxMagnitude {
			n++
			if v.CanSet() {
				v.SetFloat(0)
			}
		}
	})
	for i := range r.Results {
		n += dropMap(r.Results[i].PerIteration.Counters)
		if sc := r.Results[i].PerIteration.Syscalls; sc != nil {
			n += dropMap(sc.Advice)
		}
	}
	return n
}

func dropMap(m map[string]float64) int {
	n := 0
	for k, f := range m {
		if math.IsNaN(f) || math.Abs(f) > MaxMagnitude {
			m[k] = 0
			n++
		}
	}
	return n
}

// walkFloats calls fn for every float64 reachable from v. path, when not
// nil, names v for messages and is extended on the way down; it is built
// only then, since a closure per number is too much for millions of
// samples. Map values are visited read-only (they are not addressable).
func walkFloats(v reflect.Value, path func() string, fn func(func() string, reflect.Value)) {
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		fn(path, v)
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkFloats(v.Elem(), path, fn)
		}
	case reflect.Struct:
		for _, f := range floatFields(v.Type()) {
			var sub func() string
			if path != nil {
				sub = func() string { return path() + "." + f.name }
			}
			walkFloats(v.Field(f.index), sub, fn)
		}
	case reflect.Slice, reflect.Array:
		if !holdsFloats(v.Type().Elem()) {
			return
		}
		for i := range v.Len() {
			var sub func() string
			if path != nil {
				sub = func() string { return fmt.Sprintf("%s[%d]", path(), i) }
			}
			walkFloats(v.Index(i), sub, fn)
		}
	case reflect.Map:
		if !holdsFloats(v.Type().Elem()) {
			return
		}
		it := v.MapRange()
		for it.Next() {
			var sub func() string
			if path != nil {
				k := it.Key()
				sub = func() string { return fmt.Sprintf("%s[%v]", path(), k) }
			}
			walkFloats(it.Value(), sub, fn)
		}
	}
}

// floatField is an exported struct field that can hold a float64.
type floatField struct {
	index int
	name  string // its JSON name
}

// fieldCache holds floatFields' answer per struct type: looking fields
// and tags up again for every sample cost more than the checks.
var fieldCache sync.Map // reflect.Type -> []floatField

// floatFields lists the fields of struct type t that can hold a
// float64; a walk skips the others (names, counts, flags) unseen.
func floatFields(t reflect.Type) []floatField {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]floatField)
	}
	var out []floatField
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() && holdsFloats(f.Type) {
			out = append(out, floatField{index: i, name: jsonName(f)})
		}
	}
	fieldCache.Store(t, out)
	return out
}

// holdsFloats says whether a value of type t can hold a float64. The
// result's types are not recursive, so neither is this.
func holdsFloats(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Float32, reflect.Float64, reflect.Interface:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
		return holdsFloats(t.Elem())
	case reflect.Struct:
		return len(floatFields(t)) > 0
	}
	return false
}

func jsonName(f reflect.StructField) string {
	tag := f.Tag.Get("json")
	for i := range len(tag) {
		if tag[i] == ',' {
			tag = tag[:i]
			break
		}
	}
	if tag == "" || tag == "-" {
		return f.Name
	}
	return tag
}
