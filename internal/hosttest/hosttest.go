// Package hosttest holds the checks that tests make of measured times
// against this host's own costs, so that no test encodes one machine's
// speed. The machines faultline is tested on differ by an order of
// magnitude in what a page fault costs (about 1 µs on some virtual
// machines, about 10 µs on others) and by 4x in arithmetic speed: a fixed
// "B is at least 5x slower" holds on one and fails on the other, while
// "B's extra time is of the order of its extra faults times this host's
// fault cost" holds on both.
//
// Only tests import this package. AsNobody runs a test binary again
// unprivileged.
package hosttest

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"github.com/faultline/faultline/internal/faultcost"
)

// The factor window within which a gap made of page faults agrees with
// extra faults × the calibrated cost. The calibration faults fresh 4 KiB
// pages of a private mapping; a workload's faults also pay for giving the
// pages back (brk shrink, munmap), for its own brk calls, and partly land
// on memory advised for huge pages, which changes the cost per fault
// either way. The seed case measures 1.5-1.8x the calibrated cost per
// fault (docs/benchmarks.md names the hosts); where exits to the
// hypervisor dominate, the 4 KiB calibration can read above the cost of
// the workload's faults. The window is wide enough for that and still
// rejects a gap that is not made of faults (none, or a hundred times what
// the faults cost).
const (
	MinFaultShare = 0.2
	MaxFaultShare = 20.0
)

var (
	costOnce sync.Once
	cost     float64
	costErr  error
)

// FaultCost is this host's cost of one minor fault in seconds, measured
// once per test binary.
func FaultCost(t testing.TB) float64 {
	t.Helper()
	costOnce.Do(func() {
		var c faultcost.Calibration
		c, costErr = faultcost.Measure()
		cost = c.FaultSeconds
	})
	if costErr != nil || cost <= 0 {
		t.Fatalf("calibrate this host's fault cost: %v (cost %g s)", costErr, cost)
	}
	return cost
}

// GapFromFaults checks that slow - fast (seconds per iteration) is
// explained by extraFaults per iteration at this host's fault cost: no
// less than MinFaultShare and no more than MaxFaultShare times what the
// faults cost, plus allowance for work that is not faults (seconds per
// iteration that the caller can justify, such as a second pass over the
// data).
func GapFromFaults(t testing.TB, what string, slow, fast, extraFaults, allowance float64) {
	t.Helper()
	c := FaultCost(t)
	gap := slow - fast
	want := extraFaults * c
	t.Logf("%s: gap %.3f ms, %.0f extra faults x %.2f µs = %.3f ms (%.2fx)", what, gap*1e3, extraFaults, c*1e6, want*1e3, gap/want)
	switch {
	case extraFaults <= 0:
		t.Errorf("%s: no extra faults (%.1f per iteration): the mechanism is absent on this host", what, extraFaults)
	case gap < MinFaultShare*want:
		t.Errorf("%s: gap %.3f ms is under %.1fx the %.0f extra faults' cost at %.2f µs each (%.3f ms): the faults are not what makes it slower",
			what, gap*1e3, MinFaultShare, extraFaults, c*1e6, want*1e3)
	case gap > MaxFaultShare*want+allowance:
		t.Errorf("%s: gap %.3f ms is over %.0fx the %.0f extra faults' cost at %.2f µs each (%.3f ms) plus %.3f ms of other work: something besides the faults makes it slower",
			what, gap*1e3, MaxFaultShare, extraFaults, c*1e6, want*1e3, allowance*1e3)
	}
}

// GapClosed checks that a configuration removed most of a gap measured
// in the same test: gap <= share * baseGap. A configuration that removes
// the mechanism leaves only the work that is not faults, which on every
// host measured was under a tenth of the fault gap; share is what the
// caller can justify above that.
func GapClosed(t testing.TB, what string, gap, baseGap, share float64) {
	t.Helper()
	t.Logf("%s: gap %.3f ms against %.3f ms before (%.0f%%)", what, gap*1e3, baseGap*1e3, 100*gap/baseGap)
	if baseGap <= 0 {
		t.Errorf("%s: no gap to close (%.3f ms)", what, baseGap*1e3)
		return
	}
	if gap > share*baseGap {
		t.Errorf("%s: gap %.3f ms is %.0f%% of the %.3f ms it should have closed, want <= %.0f%%",
			what, gap*1e3, 100*gap/baseGap, baseGap*1e3, 100*share)
	}
}

// AsNobody returns a command that runs this test binary again as user
// nobody (uid 65534), with env as its whole environment: the binary is
// copied out of its private build directory to one nobody may execute
// from. The caller needs root.
func AsNobody(t testing.TB, name string, env ...string) *exec.Cmd {
	t.Helper()
	dir, err := os.MkdirTemp("", "faultline-"+name+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, name+".test")
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Dir, cmd.Env = dir, env
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	return cmd
}
