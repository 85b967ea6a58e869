package counters

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

type eventSpec struct {
	name   string
	typ    uint32
	config uint64
}

var softwareSpecs = []eventSpec{
	{PageFaults, unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_PAGE_FAULTS},
	{MinorFaults, unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_PAGE_FAULTS_MIN},
	{MajorFaults, unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_PAGE_FAULTS_MAJ},
	{ContextSwitches, unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_CONTEXT_SWITCHES},
	{CPUMigrations, unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_CPU_MIGRATIONS},
	{TaskClock, unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_TASK_CLOCK},
}

var hardwareSpecs = []eventSpec{
	{Cycles, unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_CPU_CYCLES},
	{Instructions, unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_INSTRUCTIONS},
	{CacheMisses, unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_CACHE_MISSES},
	{DTLBLoadMisses, unix.PERF_TYPE_HW_CACHE, unix.PERF_COUNT_HW_CACHE_DTLB |
		unix.PERF_COUNT_HW_CACHE_OP_READ<<8 | unix.PERF_COUNT_HW_CACHE_RESULT_MISS<<16},
}

// Set is a group of counters on one process tree (one descriptor each).
type Set struct {
	fds   []counterFD
	notes []string
	user  bool // kernel side excluded (exclude_kernel=1)
}

type counterFD struct {
	name string
	fd   int
}

// open opens one counter. pid -1 is not allowed (that would count every
// process on a CPU); pid 0 is the calling thread.
func open(s eventSpec, pid int, onExec, userOnly bool) (int, error) {
	attr := unix.PerfEventAttr{
		Type:        s.typ,
		Config:      s.config,
		Size:        uint32(unsafe.Sizeof(unix.PerfEventAttr{})),
		Read_format: unix.PERF_FORMAT_TOTAL_TIME_ENABLED | unix.PERF_FORMAT_TOTAL_TIME_RUNNING,
		Bits:        unix.PerfBitDisabled | unix.PerfBitInherit | unix.PerfBitExcludeHv,
	}
	if onExec {
		attr.Bits |= unix.PerfBitEnableOnExec
	}
	if userOnly {
		attr.Bits |= unix.PerfBitExcludeKernel
	}
	return unix.PerfEventOpen(&attr, pid, -1, -1, unix.PERF_FLAG_FD_CLOEXEC)
}

func refused(err error) bool { return errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) }

// noPMU reports errors that mean "this machine has no such counter".
func noPMU(err error) bool {
	return errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENODEV) || errors.Is(err, unix.EOPNOTSUPP)
}

// Open opens every counter on pid, disabled until pid's next execve and
// inherited by every task created after that. pid must not have exec'd
// the target yet: the caller holds it (re-exec'd helper blocked on a pipe,
// or stopped under ptrace) until Open returns.
//
// Hardware events that the machine lacks are left out with a note. Open
// fails with a *RefusedError only when not even the software events open;
// the caller should then fall back to rusage.
func Open(pid int) (*Set, error) {
	if os.Getenv(EnvDisable) == "off" {
		return nil, &RefusedError{Paranoid: Paranoid(), Err: errors.New("disabled by " + EnvDisable + "=off")}
	}
	s := &Set{}
	err := s.openAll(softwareSpecs, pid, false)
	if err != nil && refused(err) {
		// perf_event_paranoid >= 2 without CAP_PERFMON still allows
		// counting user space only.
		s.close()
		s.user = true
		err = s.openAll(softwareSpecs, pid, true)
		if err == nil {
			s.notes = append(s.notes, fmt.Sprintf("perf_event_paranoid=%d: counting user space only, context switches from rusage", Paranoid()))
		}
	}
	if err != nil {
		s.close()
		return nil, &RefusedError{Paranoid: Paranoid(), Err: err}
	}
	var hwErr error
	for _, h := range hardwareSpecs {
		fd, err := open(h, pid, true, s.user)
		if err != nil {
			if hwErr == nil {
				hwErr = err
			}
			continue
		}
		s.fds = append(s.fds, counterFD{h.name, fd})
	}
	if hwErr != nil {
		s.notes = append(s.notes, hardwareNote(hwErr))
	}
	return s, nil
}

func hardwareNote(err error) string {
	if noPMU(err) {
		return "no hardware PMU: cycles/instructions unavailable"
	}
	return fmt.Sprintf("hardware counters unavailable (%v): cycles/instructions unavailable", err)
}

func (s *Set) openAll(specs []eventSpec, pid int, userOnly bool) error {
	for _, sp := range specs {
		fd, err := open(sp, pid, true, userOnly)
		if err != nil {
			return fmt.Errorf("open %s counter: %w", sp.name, err)
		}
		s.fds = append(s.fds, counterFD{sp.name, fd})
	}
	return nil
}

// UserOnly reports whether the counters exclude the kernel side (then
// context-switches reads 0 and should come from rusage).
func (s *Set) UserOnly() bool { return s.user }

// Notes lists what degraded, one line each.
func (s *Set) Notes() []string { return append([]string(nil), s.notes...) }

// Read returns each counter's total, scaled up by enabled/running time if
// the kernel multiplexed it; task-clock is in seconds. Read works after
// the target has exited: inherited counts are folded into these
// descriptors as each task exits.
func (s *Set) Read() (map[string]float64, error) {
	out := make(map[string]float64, len(s.fds))
	var buf [24]byte
	var errs []error
	multiplexed := false
	for _, c := range s.fds {
		n, err := unix.Read(c.fd, buf[:])
		if err != nil || n != len(buf) {
			errs = append(errs, fmt.Errorf("read %s counter: %d bytes, %v", c.name, n, err))
			continue
		}
		value := binary.NativeEndian.Uint64(buf[0:])
		enabled := binary.NativeEndian.Uint64(buf[8:])
		running := binary.NativeEndian.Uint64(buf[16:])
		v := float64(value)
		if running > 0 && running < enabled {
			v *= float64(enabled) / float64(running)
			multiplexed = true
		}
		if c.name == TaskClock {
			v /= 1e9
		}
		out[c.name] = v
	}
	if multiplexed {
		s.note("some counters were multiplexed: their totals are scaled estimates")
	}
	return out, errors.Join(errs...)
}

func (s *Set) note(n string) {
	for _, x := range s.notes {
		if x == n {
			return
		}
	}
	s.notes = append(s.notes, n)
}

// Close releases the descriptors.
func (s *Set) Close() error {
	s.close()
	return nil
}

func (s *Set) close() {
	for _, c := range s.fds {
		unix.Close(c.fd)
	}
	s.fds = nil
}

// Paranoid returns kernel.perf_event_paranoid, or -9 when the file is
// missing (a kernel without perf events).
func Paranoid() int {
	b, err := os.ReadFile("/proc/sys/kernel/perf_event_paranoid")
	if err != nil {
		return -9
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return -9
	}
	return n
}

// Probe finds out what can be counted here by opening one software and one
// hardware counter on the calling thread.
func Probe() Capabilities {
	c := Capabilities{Paranoid: Paranoid()}
	if c.Paranoid == -9 {
		c.Note = "this kernel has no perf events: counters from rusage"
		return c
	}
	user := false
	fd, err := open(softwareSpecs[0], 0, false, false)
	if err != nil && refused(err) {
		user = true
		fd, err = open(softwareSpecs[0], 0, false, true)
	}
	if err != nil {
		c.Note = fmt.Sprintf("perf_event_open refused (perf_event_paranoid=%d): counters from rusage; run as root or set sysctl kernel.perf_event_paranoid=1", c.Paranoid)
		return c
	}
	unix.Close(fd)
	c.Software = true
	var notes []string
	if user {
		notes = append(notes, fmt.Sprintf("perf_event_paranoid=%d: user space only, context switches from rusage (run as root or set sysctl kernel.perf_event_paranoid=1)", c.Paranoid))
	}
	fd, err = open(hardwareSpecs[0], 0, false, user)
	if err == nil {
		unix.Close(fd)
		c.Hardware = true
	} else {
		notes = append(notes, hardwareNote(err))
	}
	c.Note = strings.Join(notes, "; ")
	return c
}
