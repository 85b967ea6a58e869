package result

import (
	"fmt"
	"strings"

	"github.com/faultline/faultline/internal/load"
)

// The rules below are shared by measurement, diagnosis and every renderer;
// each has this one definition so that they cannot drift apart.

// BaselineConfig is the name of the configuration every other is compared
// with: the first one measured, or DefaultConfig when there is none yet.
func (r *Result) BaselineConfig() string {
	if len(r.Configs) > 0 {
		return r.Configs[0].Name
	}
	return DefaultConfig
}

// IsFix says whether the candidate is a code-fix variant, measured to
// verify a fix rather than compared by the user.
func (c *Candidate) IsFix() bool { return c.FixOf != "" }

// UserCandidates returns the candidates the user asked to compare, in
// order (code-fix variants excluded).
func (r *Result) UserCandidates() []Candidate {
	var out []Candidate
	for _, c := range r.Candidates {
		if !c.IsFix() {
			out = append(out, c)
		}
	}
	return out
}

// Timed returns the samples that are summarised: all but the warm-ups.
func Timed(samples []Sample) []Sample {
	var out []Sample
	for _, s := range samples {
		if !s.Warmup {
			out = append(out, s)
		}
	}
	return out
}

// TimedSeconds returns the seconds per iteration of the timed (non-warm-up)
// samples, in order.
func TimedSeconds(samples []Sample) []float64 {
	var v []float64
	for _, s := range samples {
		if !s.Warmup {
			v = append(v, s.Seconds)
		}
	}
	return v
}

// TimedSeconds returns the seconds per iteration of the run's timed
// samples.
func (r *Run) TimedSeconds() []float64 { return TimedSeconds(r.Samples) }

// Units of the per-iteration figures, as Unit returns them.
const (
	UnitCall      = "call"      // one execution of a timeit or demo statement
	UnitIteration = "iteration" // one marked iteration of a process run
	UnitRun       = "run"       // one whole process run
)

// Unit names what one iteration of the result's per-iteration figures is:
// a call of the statement (timeit, demo), a marked iteration (a program
// run that marks them), or a whole run of the command.
func (r *Result) Unit() string {
	if r.Kind != KindRun {
		return UnitCall
	}
	if r.MarkedIterations() {
		return UnitIteration
	}
	return UnitRun
}

// FindCandidate returns the name of the user candidate that key names: its
// name (A, B, ...), else its label, else its statement or command line as
// given, the way a user refers to a candidate on the command line
// (--reference). It fails when none matches or a label is ambiguous.
func FindCandidate(cands []Candidate, key string) (string, error) {
	for _, c := range cands {
		if c.Name == key {
			return c.Name, nil
		}
	}
	for _, text := range []func(Candidate) string{
		func(c Candidate) string { return c.Label },
		func(c Candidate) string { return c.Statement },
		func(c Candidate) string { return strings.Join(c.Command, " ") },
	} {
		var found []string
		for _, c := range cands {
			if t := text(c); t != "" && t == key {
				found = append(found, c.Name)
			}
		}
		switch len(found) {
		case 1:
			return found[0], nil
		case 0:
		default:
			return "", fmt.Errorf("%q names candidates %s: use a name (A, B, ...)", key, strings.Join(found, " and "))
		}
	}
	names := make([]string, len(cands))
	for i, c := range cands {
		names[i] = c.Name
	}
	return "", fmt.Errorf("%q is not a candidate: want a name (%s), a label or a command", key, strings.Join(names, ", "))
}

// TimingLoad is the machine's load during config's timing pass in mode;
// nil when not recorded.
func (r *Result) TimingLoad(config, mode string) *load.Load {
	for _, p := range r.Passes {
		if p.Name == PassTiming && p.Config == config && p.Note == mode && p.Load != nil {
			return p.Load
		}
	}
	return nil
}
