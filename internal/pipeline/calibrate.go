package pipeline

import (
	"fmt"
	"os"

	"github.com/faultline/faultline/internal/faultcost"
	"github.com/faultline/faultline/internal/result"
)

// calibrate measures the cost of one page fault on this machine for the
// diagnosis (it turns fault counts into time), or reuses this boot's
// cached calibration (FAULTLINE_NO_CACHE=1 forces a fresh one).
func calibrate(res *result.Result) {
	var c faultcost.Calibration
	var cached bool
	var err error
	if dir := faultcost.DefaultDir(); dir != "" && os.Getenv("FAULTLINE_NO_CACHE") == "" {
		c, cached, err = faultcost.Cached(dir)
	} else {
		c, err = faultcost.Measure()
	}
	if err == nil && !faultcost.Plausible(c.FaultSeconds) {
		err = fmt.Errorf("measured %g s per fault, outside any plausible range", c.FaultSeconds)
	}
	if err != nil {
		res.Note("fault cost not calibrated (%s): the diagnosis assumes 1 µs per fault", OneLine(err))
		return
	}
	res.Host.FaultCostSeconds, res.Host.FaultCostCached = c.FaultSeconds, cached
	if c.Busy {
		res.Note("the fault cost was calibrated while other work held the CPU: the figure is used for this run only, not cached")
	}
}
