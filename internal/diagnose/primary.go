package diagnose

import "github.com/faultline/faultline/internal/result"

// explainsNoGap are the causes that follow a verdict's cause, never lead
// it: an order effect says which mode to trust, a regression is about a
// configuration, neither why one candidate is slower than another.
var explainsNoGap = map[string]bool{ConfigRegression: true, OrderEffect: true}

// Primary returns the index of the finding that explains v: the first
// cause (findings come most important first) about v's slow candidate,
// or about no candidate in particular; nil when none does. A tax finding
// is about what every candidate pays, not the gap: the verdict names it
// apart (report's "Memory:" line). It is stored
// in the verdict so that every rendering leads with the same cause.
func Primary(fs []result.Finding, v *result.Verdict) *int {
	if v == nil {
		return nil
	}
	slow := ""
	if v.Answer == result.AnswerSlower {
		slow = v.Slow
	}
	for i, fd := range fs {
		if explainsNoGap[fd.Cause] || fd.Tax || slow != "" && fd.Candidate != "" && fd.Candidate != slow {
			continue
		}
		return &i
	}
	return nil
}
