// Package load measures how busy the machine was while something ran:
// the share of time other work waited for a CPU (the kernel's pressure
// stall information, /proc/pressure/cpu), the share of CPU time the
// hypervisor gave to other guests (steal, /proc/stat), and how many tasks
// were runnable (/proc/loadavg). Times taken on a busy machine are slower
// and noisier; the counts (faults, syscalls) are not, which is why the
// verdict leans on them there. A kernel without pressure information
// reports what it has; nothing here fails.
package load

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// Snapshot is the machine's cumulative counters at one instant.
type Snapshot struct {
	at time.Time
	// someMicros is /proc/pressure/cpu's "some" total: microseconds in
	// which at least one task waited for a CPU; -1 when unavailable.
	someMicros int64
	// steal and total are /proc/stat's aggregate CPU jiffies.
	steal, total uint64
	runnable     int // tasks running or runnable now, -1 when unknown
}

// Take reads the counters now.
func Take() Snapshot {
	s := Snapshot{at: time.Now(), someMicros: -1, runnable: -1}
	if b, err := os.ReadFile("/proc/pressure/cpu"); err == nil {
		s.someMicros = pressureTotal(string(b))
	}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		s.steal, s.total = stealJiffies(string(b))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		s.runnable = runnable(string(b))
	}
	return s
}

// Load is how busy the machine was between two snapshots.
type Load struct {
	// CPUPressure is the share (0..1) of the wall time in which some
	// task waited for a CPU; -1 when the kernel does not report it.
	CPUPressure float64 `json:"cpu_pressure"`
	// Steal is the share of CPU time the hypervisor ran other guests.
	Steal float64 `json:"steal"`
	// Runnable is the mean of the tasks running or waiting for a CPU at
	// the two instants, the measured program's own included.
	Runnable float64 `json:"runnable"`
	Seconds  float64 `json:"seconds"`
}

// Since is the load from s until now.
func Since(s Snapshot) Load { return Between(s, Take()) }

// Between is the load from a to b.
func Between(a, b Snapshot) Load {
	l := Load{CPUPressure: -1, Seconds: b.at.Sub(a.at).Seconds()}
	if a.someMicros >= 0 && b.someMicros >= a.someMicros && l.Seconds > 0 {
		l.CPUPressure = min(1, float64(b.someMicros-a.someMicros)/1e6/l.Seconds)
	}
	if b.total > a.total && b.steal >= a.steal {
		l.Steal = float64(b.steal-a.steal) / float64(b.total-a.total)
	}
	if a.runnable >= 0 && b.runnable >= 0 {
		l.Runnable = float64(a.runnable+b.runnable) / 2
	}
	return l
}

// Busy is the CPU pressure or steal from which a machine counts as busy:
// other work then held a CPU a fifth of the time.
const Busy = 0.2

// IsBusy says whether the machine was busy.
func (l Load) IsBusy() bool { return l.CPUPressure >= Busy || l.Steal >= Busy }

// pressureTotal reads the "some" line's total= field.
func pressureTotal(s string) int64 {
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(line, "some ") {
			continue
		}
		for _, f := range strings.Fields(line) {
			if v, ok := strings.CutPrefix(f, "total="); ok {
				if n, err := strconv.ParseInt(v, 10, 64); err == nil {
					return n
				}
			}
		}
	}
	return -1
}

// stealJiffies reads the aggregate "cpu" line: steal is its eighth value,
// total the sum of all (guest time is already in user).
func stealJiffies(s string) (steal, total uint64) {
	line, _, _ := strings.Cut(s, "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0
	}
	for i, v := range f[1:] {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, 0
		}
		if i >= 8 {
			break // guest and guest_nice are counted in user and nice
		}
		total += n
		if i == 7 {
			steal = n
		}
	}
	return steal, total
}

// runnable reads /proc/loadavg's fourth field, "running/total".
func runnable(s string) int {
	f := strings.Fields(s)
	if len(f) < 4 {
		return -1
	}
	r, _, ok := strings.Cut(f[3], "/")
	if !ok {
		return -1
	}
	n, err := strconv.Atoi(r)
	if err != nil {
		return -1
	}
	return n
}
