package compare

import (
	"strconv"
	"strings"

	"github.com/faultline/faultline/internal/result"
)

// pair matches the candidates of every later file with the first file's.
// Letters are not identity: "A" is whatever came first on the command
// line, and the same code may be B tomorrow. A candidate is what was
// measured, so two pair when their labels are the same (a label defaults
// to the code, so unlabelled candidates pair by code); those left then
// pair when their statements or commands are the same under different
// labels. A candidate renamed and rewritten at once pairs with nothing,
// and says so; a file that pairs nothing at all is an error.
func (c *Comparison) pair(in []Input) error {
	first := in[0].Result.UserCandidates()
	for _, fc := range first {
		n := len(in)
		row := Candidate{Names: make([]string, n), Labels: make([]string, n), PairedBy: make([]string, n-1), code: code(&fc)}
		row.Names[0], row.Labels[0] = fc.Name, labelOf(&fc)
		c.Candidates = append(c.Candidates, row)
	}
	for i := 1; i < len(in); i++ {
		later := in[i].Result.UserCandidates()
		used := make([]bool, len(later))
		paired := 0
		for _, by := range []string{"label", "code"} {
			for ri := range c.Candidates {
				row := &c.Candidates[ri]
				if row.Names[i] != "" {
					continue
				}
				for li := range later {
					if used[li] || key(by, &later[li]) != key(by, &first[ri]) {
						continue
					}
					used[li] = true
					row.Names[i], row.Labels[i], row.PairedBy[i-1] = later[li].Name, labelOf(&later[li]), by
					paired++
					break
				}
			}
		}
		if paired == 0 {
			var labels []string
			for _, lc := range later {
				labels = append(labels, labelOf(&lc))
			}
			return &NoPairError{Path: in[i].Path, First: in[0].Path, Labels: labels}
		}
		for li, lc := range later {
			if !used[li] {
				c.Unpaired = append(c.Unpaired, Unpaired{File: i, Other: 0, Name: lc.Name, Label: labelOf(&lc)})
			}
		}
		for _, row := range c.Candidates {
			if row.Names[i] == "" {
				c.Unpaired = append(c.Unpaired, Unpaired{File: 0, Other: i, Name: row.Names[0], Label: row.Labels[0]})
			}
		}
	}
	return nil
}

// key is what pairs two candidates: their label, or their code, with
// runs of white space made one space (a statement re-typed with other
// spacing is the same statement).
func key(by string, c *result.Candidate) string {
	s := labelOf(c)
	if by == "code" {
		s = code(c)
	}
	return strings.Join(strings.Fields(s), " ")
}

// labelOf is the candidate's label, its code when it has none.
func labelOf(c *result.Candidate) string {
	if c.Label != "" {
		return c.Label
	}
	return code(c)
}

// code is the statement or command measured.
func code(c *result.Candidate) string {
	if c.Statement != "" {
		return c.Statement
	}
	return strings.Join(c.Command, " ")
}

// Name is the candidate's name in the newest file that has it.
func (cand *Candidate) Name() string {
	for i := len(cand.Names) - 1; i >= 0; i-- {
		if cand.Names[i] != "" {
			return cand.Names[i]
		}
	}
	return ""
}

// Label is the candidate's label in the newest file that has it.
func (cand *Candidate) Label() string {
	for i := len(cand.Labels) - 1; i >= 0; i-- {
		if cand.Labels[i] != "" {
			return cand.Labels[i]
		}
	}
	return ""
}

// Title names the candidate in one line: its newest name, its label when
// the user gave one, and its names in the other files where they differ,
// "A (func2; B in before.json)".
func (c *Comparison) Title(i int) string {
	cand := &c.Candidates[i]
	name := cand.Name()
	var extra []string
	if l := cand.Label(); l != "" && l != cand.code && l != name {
		extra = append(extra, oneLine(l))
	}
	for fi, n := range cand.Names {
		if n != "" && n != name {
			extra = append(extra, n+" in "+c.Files[fi].Path)
		}
	}
	if len(extra) == 0 {
		return name
	}
	return name + " (" + strings.Join(extra, "; ") + ")"
}

// oneLine flattens user text for a single line of output.
func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", "; ")
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(oneLine(s))
	}
	return strings.Join(q, ", ")
}
