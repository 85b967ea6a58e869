package diagnose

import "math"

// FallbackFaultCost is the cost of one 4 KiB minor fault assumed when the
// result carries no calibrated figure (Host.FaultCostSeconds == 0): 1 µs,
// the upper end of what a fault costs on bare metal (0.5-1 µs including
// zeroing the page). Virtual machines with shadow paging pay ten times
// more (10.5 µs on this project's VM), so an uncalibrated fault figure can
// be far off in either direction; findings that rest on it are marked one
// level less confident.
const FallbackFaultCost = 1e-6

// faultShare is the share of gap (seconds) that faults extra faults per
// iteration account for at cost seconds each, clamped to [0, 1].
func faultShare(gap, faults, cost float64) float64 {
	if gap <= 0 || faults <= 0 || cost <= 0 {
		return 0
	}
	return clamp01(faults * cost / gap)
}

// matrixShare is the share of gap that disappears under a configuration
// where the gap is gapWith, clamped to [0, 1]. A configuration that
// reverses the order (gapWith < 0) removes all of it.
func matrixShare(gap, gapWith float64) float64 {
	if gap <= 0 {
		return 0
	}
	return clamp01((gap - gapWith) / gap)
}

// explanation is how much of a gap one cause accounts for, and how sure
// the diagnosis is of it.
type explanation struct {
	// Fault is the share from the fault model (extra faults x cost).
	Fault float64
	// Matrix is the share that disappears under the configuration that
	// removes the mechanism; valid only when HasMatrix.
	Matrix    float64
	HasMatrix bool
	// Explains is the figure reported: Matrix when present (a measured
	// removal is stronger evidence than a cost model), Fault otherwise.
	Explains   float64
	Confidence string
}

// explainInput holds what explain combines.
type explainInput struct {
	Gap        float64 // slow - fast median, seconds
	Faults     float64 // extra faults per iteration attributed to the cause
	Cost       float64 // seconds per fault (calibrated or FallbackFaultCost)
	Calibrated bool    // Cost was measured on this machine
	// Weight is the share of the fault difference attributed to this
	// cause when several mechanisms fault on the same side (1 otherwise).
	Weight float64
	// GapWith is the gap under the configuration that removes the
	// mechanism; used when HasMatrix.
	GapWith   float64
	HasMatrix bool
	// Signature is true when the diagnostic passes show the mechanism's
	// own pattern (syscalls, sizes), not only a fault difference.
	Signature bool
}

// explain computes a cause's share of the gap and its confidence.
//
// Confidence rules (docs/causes.md):
//   - high: the signature is present AND a configuration that removes the
//     mechanism removes at least half of the gap, or removes as much as the
//     calibrated fault model predicts (within 25 points);
//   - medium: the signature is present with weaker support (a removing
//     configuration that takes less than half, or no matrix but a
//     calibrated fault model accounting for at least a quarter of the gap),
//     or no signature but the matrix removes at least half of the gap;
//   - low: anything else. Without a calibrated fault cost a figure that
//     rests on the fault model alone is never better than low.
func explain(in explainInput) explanation {
	w := in.Weight
	if w <= 0 || w > 1 {
		w = 1
	}
	var e explanation
	e.Fault = round3(w * faultShare(in.Gap, in.Faults, in.Cost))
	if in.HasMatrix {
		e.HasMatrix = true
		e.Matrix = round3(w * matrixShare(in.Gap, in.GapWith))
		e.Explains = e.Matrix
	} else {
		e.Explains = e.Fault
	}
	agree := in.Calibrated && e.Fault >= 0.1 && math.Abs(e.Matrix-e.Fault) <= 0.25
	switch {
	case in.Signature && e.HasMatrix && (e.Matrix >= 0.5 || agree):
		e.Confidence = High
	case in.Signature && e.HasMatrix:
		e.Confidence = Medium
	case in.Signature && in.Calibrated && e.Fault >= 0.25:
		e.Confidence = Medium
	case !in.Signature && e.HasMatrix && e.Matrix >= 0.5:
		e.Confidence = Medium
	default:
		e.Confidence = Low
	}
	return e
}
