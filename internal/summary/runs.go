package summary

import "github.com/faultline/faultline/internal/result"

// Usable says whether a run counts: it completed and has a timed median.
// A failed, skipped or starved run is shown with its status, never
// compared.
func Usable(run *result.Run) bool {
	return run != nil && run.Status == result.StatusOK && run.Time.N > 0 && run.Time.Median > 0
}

// Reference returns the name of the candidate every other is compared
// against: the one the user chose (--reference), else the fastest user
// candidate with a usable run under the baseline configuration in the
// primary mode, so every ratio reads "x times slower". Without such a run
// it is the first user candidate, or "" when there is none.
func Reference(r *result.Result) string {
	if c := r.Candidate(r.Reference); c != nil && !c.IsFix() {
		return c.Name
	}
	mode, cfg := r.PrimaryMode(), r.BaselineConfig()
	best, bestT := "", 0.0
	users := r.UserCandidates()
	for _, c := range users {
		run := r.Run(c.Name, cfg, mode)
		if !Usable(run) {
			continue
		}
		if best == "" || run.Time.Median < bestT {
			best, bestT = c.Name, run.Time.Median
		}
	}
	if best == "" && len(users) > 0 {
		best = users[0].Name
	}
	return best
}
