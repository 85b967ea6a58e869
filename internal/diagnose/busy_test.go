package diagnose

import (
	"testing"

	"github.com/faultline/faultline/internal/load"
	"github.com/faultline/faultline/internal/result"
	"github.com/faultline/faultline/internal/summary"
)

// On a machine that was busy while timing, the fault cost is stretched
// by the candidates' elapsed over CPU time; on a quiet one it is the
// calibrated figure.
func TestFaultCostStretchesOnABusyMachine(t *testing.T) {
	r := loadFixture(t, "seed.json")
	quiet := newAnalysis(r, summary.Of(r)).cost
	if quiet != r.Host.FaultCostSeconds {
		t.Fatalf("quiet cost %g, want the calibrated %g", quiet, r.Host.FaultCostSeconds)
	}
	for i := range r.Results {
		run := &r.Results[i]
		if run.Config != r.BaselineConfig() || run.Mode != r.PrimaryMode() {
			continue
		}
		if run.CPU == nil {
			run.CPU = &result.CPUTime{Per: result.UnitCall}
		}
		for j := range run.Samples {
			s := &run.Samples[j]
			s.UserSeconds, s.SystemSeconds = s.Seconds*0.3, s.Seconds*0.2
		}
	}
	if got := newAnalysis(r, summary.Of(r)).cost; got != quiet {
		t.Errorf("no busy timing pass recorded, cost %g, want %g", got, quiet)
	}
	found := false
	for i := range r.Passes {
		if p := &r.Passes[i]; p.Name == result.PassTiming && p.Config == r.BaselineConfig() && p.Note == r.PrimaryMode() {
			p.Load = &load.Load{CPUPressure: 0.6, Runnable: 4}
			found = true
		}
	}
	if !found {
		t.Fatal("the fixture has no baseline timing pass")
	}
	if got := newAnalysis(r, summary.Of(r)).cost; got < 1.99*quiet || got > 2.01*quiet {
		t.Errorf("busy machine, samples at half their elapsed time on the CPU: cost %g, want twice %g", got, quiet)
	}
}
