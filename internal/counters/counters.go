// Package counters counts a target's events with perf_event_open: page
// faults, context switches, CPU migrations and task-clock from the kernel's
// software events, and cycles, instructions, cache and dTLB misses where a
// hardware PMU exists. Every perf_event_open call of faultline lives here.
//
// Counters are opened on a process that has not yet exec'd the target,
// disabled, with enable_on_exec and inherit: they switch on at the exec and
// follow every thread and child created after it, so they count the target
// and nothing of the launcher. Each event has its own descriptor, because
// inherit does not work with PERF_FORMAT_GROUP; each is read with its
// enabled and running times and scaled when the kernel multiplexed it.
//
// What cannot be counted degrades to a one-line note: no PMU (virtual
// machines) drops the hardware events, perf_event_paranoid above 1 for a
// non-root user limits counting to user space, and a refusal of
// perf_event_open altogether leaves the caller to fall back to rusage.
package counters

import (
	"errors"
	"fmt"
)

// Event names, spelled as perf spells them.
const (
	PageFaults      = "page-faults"
	MinorFaults     = "minor-faults"
	MajorFaults     = "major-faults"
	ContextSwitches = "context-switches"
	CPUMigrations   = "cpu-migrations"
	TaskClock       = "task-clock" // seconds
	Cycles          = "cycles"
	Instructions    = "instructions"
	CacheMisses     = "cache-misses"
	DTLBLoadMisses  = "dTLB-load-misses"
)

// Software lists the events every Linux kernel counts, in report order.
var Software = []string{PageFaults, MinorFaults, MajorFaults, ContextSwitches, CPUMigrations, TaskClock}

// Hardware lists the events that need a PMU.
var Hardware = []string{Cycles, Instructions, CacheMisses, DTLBLoadMisses}

// Capabilities says what this machine lets faultline count.
type Capabilities struct {
	Software bool // software events open
	Hardware bool // a hardware PMU answers
	// Paranoid is kernel.perf_event_paranoid, or -9 when unreadable
	// (no perf_event support in the kernel).
	Paranoid int
	// Note is one line on what is missing and how to get it; empty when
	// everything works.
	Note string
}

// EnvDisable names an environment variable that, set to "off", makes Open
// refuse as if perf_event_open were forbidden. It exists to compare with
// and to test the rusage fallback.
const EnvDisable = "FAULTLINE_PERF"

// RefusedError is returned by Open when no counter could be opened.
type RefusedError struct {
	Paranoid int
	Err      error
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("perf_event_open refused (perf_event_paranoid=%d): %v", e.Paranoid, e.Err)
}

func (e *RefusedError) Unwrap() error { return e.Err }

// FallbackNote is the one-line note for a run whose counters came from
// rusage because Open failed with err.
func FallbackNote(err error) string {
	var re *RefusedError
	if errors.As(err, &re) {
		return fmt.Sprintf("perf_event_open refused (perf_event_paranoid=%d): counters from rusage", re.Paranoid)
	}
	return fmt.Sprintf("perf counters unavailable (%v): counters from rusage", err)
}
