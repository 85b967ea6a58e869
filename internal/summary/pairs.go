package summary

import "github.com/faultline/faultline/internal/result"

// pairs lists the significant comparisons between user candidates under
// the baseline configuration in the primary mode, each as slow and fast:
// what the diagnosis explains.
func pairs(r *result.Result, s *Summary) []Pair {
	var out []Pair
	for i := range s.Comparisons {
		c := &s.Comparisons[i]
		if c.Config != s.Config || c.Mode != s.Mode || !c.Significant || isFix(r, c.Other) || isFix(r, c.Baseline) {
			continue
		}
		slow, fast := c.Other, c.Baseline
		if c.Ratio < 1 {
			slow, fast = fast, slow
		}
		sr, fr := r.Run(slow, s.Config, s.Mode), r.Run(fast, s.Config, s.Mode)
		if !Usable(sr) || !Usable(fr) || sr.Time.Median <= fr.Time.Median {
			continue
		}
		out = append(out, Pair{Slow: slow, Fast: fast, Comparison: c})
	}
	return out
}

func isFix(r *result.Result, name string) bool {
	c := r.Candidate(name)
	return c != nil && c.IsFix()
}
