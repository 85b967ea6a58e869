package result

import (
	"fmt"
	"math"
	"reflect"
	"strings"
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
// MaxMagnitude, counts and times not negative, the fault cost plausible.
// It names the first offending field.
func (r *Result) Check() error {
	n := 0
	walkFloats(reflect.ValueOf(r).Elem(), nil, func(_ func() string, v reflect.Value) {
		if f := v.Float(); math.IsNaN(f) || math.Abs(f) > MaxMagnitude {
			n++
		}
	})
	if n > 0 {
		// Walk again to name the first one: paths cost an allocation
		// per number, too much to build for millions of good samples.
		var bad error
		walkFloats(reflect.ValueOf(r).Elem(), func() string { return "" }, func(path func() string, v reflect.Value) {
			if f := v.Float(); bad == nil && (math.IsNaN(f) || math.Abs(f) > MaxMagnitude) {
				bad = fmt.Errorf("%s = %g is out of range", strings.TrimPrefix(path(), "."), f)
			}
		})
		return bad
	}
	if c := r.Host.FaultCostSeconds; c < 0 || c > MaxFaultCost {
		return fmt.Errorf("host.fault_cost_s = %g is out of range (0 to %g)", c, MaxFaultCost)
	}
	for i, run := range r.Results {
		for j, s := range run.Samples {
			if s.Seconds < 0 || s.MinorFaults < 0 || s.MajorFaults < 0 || s.UserSeconds < 0 || s.SystemSeconds < 0 {
				return fmt.Errorf("results[%d].samples[%d] has a negative time or fault count", i, j)
			}
		}
		if run.Time.Low < 0 || run.Time.Median < 0 || run.Time.High < 0 {
			return fmt.Errorf("results[%d].time is negative", i)
		}
		if p := run.PerIteration; p.MinorFaults < 0 || p.MajorFaults < 0 {
			return fmt.Errorf("results[%d].per_iteration has a negative fault count", i)
		}
		if c := run.CPU; c != nil && (c.User < 0 || c.System < 0) {
			return fmt.Errorf("results[%d].cpu has a negative time", i)
		}
	}
	for i, c := range r.Comparisons {
		if c.Ratio < 0 || c.P < 0 || c.P > 1 {
			return fmt.Errorf("comparisons[%d] has a ratio or p-value out of range", i)
		}
	}
	return nil
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
// nil, names v for messages and is extended on the way down. Map values
// are visited read-only (they are not addressable).
func walkFloats(v reflect.Value, path func() string, fn func(func() string, reflect.Value)) {
	sub := func(elem func(string) string) func() string {
		if path == nil {
			return nil
		}
		return func() string { return elem(path()) }
	}
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		fn(path, v)
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkFloats(v.Elem(), path, fn)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			if !t.Field(i).IsExported() {
				continue
			}
			name := jsonName(t.Field(i))
			walkFloats(v.Field(i), sub(func(p string) string { return p + "." + name }), fn)
		}
	case reflect.Slice, reflect.Array:
		if t := v.Type().Elem(); t.Kind() == reflect.String {
			return
		}
		for i := range v.Len() {
			walkFloats(v.Index(i), sub(func(p string) string { return fmt.Sprintf("%s[%d]", p, i) }), fn)
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			k := it.Key()
			walkFloats(it.Value(), sub(func(p string) string { return fmt.Sprintf("%s[%v]", p, k) }), fn)
		}
	}
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
