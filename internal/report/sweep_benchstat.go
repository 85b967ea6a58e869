package report

import (
	"fmt"
	"io"

	"golang.org/x/perf/benchfmt"

	"github.com/faultline/faultline/internal/result"
)

// SweepBenchstat writes every point's timing samples as Go benchmark
// text, as Benchstat does for one result, with the point's parameters as
// sub-benchmark keys in parameter order between the candidate and the
// configuration, "BenchmarkB/n=1000000/config=glibc", so that
//
//	benchstat -col /n sweep.txt              # each candidate across sizes
//	benchstat -col .name -row /n sweep.txt   # candidates side by side per size
//
// read the sweep. A key's value is the parameter as written. Candidate
// labels (substituted per point) and skipped points are comment lines.
// A candidate's benchmark is named by its label at the first point that
// ran (benchKeys), at every point: a label that holds {n} changes from
// point to point, and the rows of benchstat -col /n must not.
func SweepBenchstat(w io.Writer, s *result.Sweep) error {
	if _, err := fmt.Fprintf(w, "# %s %s %s sweep, exported for benchstat\n", s.Tool.Name, s.Tool.Version, s.Kind); err != nil {
		return err
	}
	bw := benchfmt.NewWriter(w)
	declared := map[string]bool{}
	var names map[string]string
	for _, pt := range s.Points {
		if f := sweepFacts(pt); f != nil {
			names = benchKeys(f)
			break
		}
	}
	for _, pt := range s.Points {
		keys := ""
		for _, p := range s.Parameters {
			keys += "/" + benchName(p.Name) + "=" + benchName(pt.Text[p.Name])
		}
		f := sweepFacts(pt)
		if f == nil {
			if _, err := fmt.Fprintf(w, "# %s: %s\n", pointName(s, pt), notRun(pt)); err != nil {
				return err
			}
			continue
		}
		if _, err := io.WriteString(w, labelComments(f, names, oneLine(pointName(s, pt))+": ")); err != nil {
			return err
		}
		if err := writeBench(bw, w, f, names, keys, declared); err != nil {
			return err
		}
	}
	return nil
}
