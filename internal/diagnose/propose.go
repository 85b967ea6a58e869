package diagnose

import (
	"fmt"
	"math"

	"github.com/faultline/faultline/internal/alloc"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/summary"
)

// Proposal kinds.
const (
	KindEnv  = "env"
	KindCode = "code"
)

// Proposal is a fix worth verifying that the result does not cover yet.
// The measurement layer runs an env proposal as a new configuration over
// all candidates, and a code proposal as a new candidate whose FixOf names
// Candidate; then it calls Diagnose again, which marks the fix verified
// from those measurements.
type Proposal struct {
	Kind  string // KindEnv or KindCode
	Cause string // the cause id the fix addresses
	// Config is the configuration to add (env proposals). Status is empty:
	// it has not run.
	Config *result.Config
	// Candidate names the candidate a code proposal rewrites, Statement is
	// the rewritten statement.
	Candidate string
	Statement string
	// Why says in one line what the fix should change and why.
	Why string
}

// Proposals returns the fixes worth verifying for the findings of r that
// r does not already measure, in finding order, without duplicates.
func Proposals(r *result.Result, s *summary.Summary) []Proposal {
	var out []Proposal
	ds, _ := analyse(r, s)
	for _, d := range ds {
		for _, pr := range d.proposals {
			dup := false
			for _, o := range out {
				if o.Kind != pr.Kind {
					continue
				}
				if pr.Kind == KindEnv && alloc.Equivalent(o.Config.Env, pr.Config.Env) ||
					pr.Kind == KindCode && o.Candidate == pr.Candidate && o.Statement == pr.Statement {
					dup = true
					break
				}
			}
			if !dup {
				out = append(out, pr)
			}
		}
	}
	// Give every new configuration a name the result does not use yet.
	used := map[string]bool{}
	for _, c := range r.Configs {
		used[c.Name] = true
	}
	for _, pr := range out {
		if pr.Kind != KindEnv {
			continue
		}
		name := pr.Config.Name
		for i := 2; used[name]; i++ {
			name = fmt.Sprintf("%s-%d", pr.Config.Name, i)
		}
		pr.Config.Name = name
		used[name] = true
	}
	return out
}

// uncovered drops env proposals that a configuration of the result already
// tests (whatever its status: a failed one need not be proposed again) and
// code proposals for a candidate that already has a measured rewrite.
func (a *analysis) uncovered(prs []Proposal) []Proposal {
	var out []Proposal
next:
	for _, pr := range prs {
		switch pr.Kind {
		case KindEnv:
			for _, c := range a.r.Configs {
				if envCovers(c.Env, pr.Config.Env) {
					continue next
				}
			}
		case KindCode:
			for _, c := range a.r.Candidates {
				if c.FixOf == pr.Candidate {
					continue next
				}
			}
		}
		out = append(out, pr)
	}
	return out
}

// envProposal proposes exp, an experiment of alloc's catalog, built on the
// baseline exactly as the matrix builds it (so an experiment the matrix
// ran is recognised as covered); none when it cannot apply there.
func (a *analysis) envProposal(cause string, exp result.Config, why string) []Proposal {
	c := alloc.Relative(a.baseline(), exp)
	if c.Status != "" {
		return nil
	}
	return []Proposal{{Kind: KindEnv, Cause: cause, Config: &c, Why: why}}
}

// observed is what the trace pass saw under the baseline, as the matrix's
// derived experiments use it.
func (a *analysis) observed() alloc.Options { return alloc.Observe(alloc.Options{}, a.r) }

// tuned is glibc-tuned for a finding about blocks of the given size: the
// matrix's formula, with the block at least as large as observed.
func (a *analysis) tuned(block float64) result.Config {
	o := a.observed()
	o.LargestBlock = max(o.LargestBlock, int64(math.Ceil(block)))
	return alloc.Tuned(o)
}

// topPad is glibc-top-pad for a heap that returns the given bytes in one
// trim: the matrix's formula, with the peak held at least that.
func (a *analysis) topPad(returned float64) result.Config {
	o := a.observed()
	o.PeakHeap = max(o.PeakHeap, int64(math.Ceil(returned)))
	return alloc.TopPad(o)
}
