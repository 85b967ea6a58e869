package compare

import (
	"math"
	"strconv"

	"github.com/faultline/faultline/internal/result"
)

// Finding changes.
const (
	FindingNew     = "new"
	FindingGone    = "gone"
	FindingChanged = "changed"
)

// changedShare is how much a finding's share of the gap must move to be
// reported as changed: ten points, above the few percent that the share
// moves between runs with the host's fault cost.
const changedShare = 0.10

// diffFindings lists, for each later file, the findings it has that the
// first has not (new), those of the first it has not (gone), and those
// both have whose confidence or share of the gap moved (changed). Two
// findings are the same when they name the same cause, the same paired
// candidate and the same configuration.
func (c *Comparison) diffFindings() {
	for i := 1; i < len(c.results); i++ {
		old := c.findingKeys(0)
		cur := c.findingKeys(i)
		for _, k := range cur.order {
			nf := cur.byKey[k]
			of, both := old.byKey[k]
			switch {
			case !both:
				c.Findings = append(c.Findings, c.change(FindingNew, i, nf, nil, &nf))
			case of.Confidence != nf.Confidence || math.Abs(of.Explains-nf.Explains) >= changedShare:
				c.Findings = append(c.Findings, c.change(FindingChanged, i, nf, &of, &nf))
			}
		}
		for _, k := range old.order {
			if _, both := cur.byKey[k]; !both {
				of := old.byKey[k]
				c.Findings = append(c.Findings, c.change(FindingGone, i, of, &of, nil))
			}
		}
	}
}

type keyedFinding struct {
	*result.Finding
	row  int    // index into Candidates, -1 when unpaired
	name string // the candidate's name in its file
}

type findingSet struct {
	order []string
	byKey map[string]keyedFinding
}

func (c *Comparison) findingKeys(file int) findingSet {
	fs := findingSet{byKey: map[string]keyedFinding{}}
	r := c.results[file]
	for fi := range r.Findings {
		f := &r.Findings[fi]
		kf := keyedFinding{Finding: f, row: -1, name: f.Candidate}
		for ri, row := range c.Candidates {
			if f.Candidate != "" && row.Names[file] == f.Candidate {
				kf.row = ri
			}
		}
		who := "row:" + strconv.Itoa(kf.row)
		if kf.row < 0 {
			who = "name:" + f.Candidate
		}
		k := f.Cause + "|" + who + "|" + f.Config
		if _, dup := fs.byKey[k]; dup {
			continue
		}
		fs.order = append(fs.order, k)
		fs.byKey[k] = kf
	}
	return fs
}

func (c *Comparison) change(kind string, file int, f keyedFinding, old, cur *keyedFinding) FindingChange {
	fc := FindingChange{Change: kind, File: file, Cause: f.Cause, Config: f.Config, Candidate: f.row, Name: f.name}
	if old != nil {
		fc.Old = brief(old.Finding)
	}
	if cur != nil {
		fc.New = brief(cur.Finding)
	}
	return fc
}

func brief(f *result.Finding) *FindingBrief {
	return &FindingBrief{Summary: f.Summary, Explains: f.Explains, Confidence: f.Confidence}
}
