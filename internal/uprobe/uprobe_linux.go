package uprobe

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/internal/perfring"
)

const pmuDir = "/sys/bus/event_source/devices/uprobe"

// pmu is the uprobe PMU's type and the config bit that makes a probe a
// return probe, read once from sysfs.
type pmu struct {
	typ    uint32
	retBit uint
}

var (
	pmuOnce sync.Once
	pmuVal  pmu
	pmuErr  error
)

func loadPMU() (pmu, error) {
	pmuOnce.Do(func() {
		b, err := os.ReadFile(pmuDir + "/type")
		if err != nil {
			pmuErr = fmt.Errorf("%w: no uprobe PMU (%s: %v; a kernel without CONFIG_UPROBE_EVENTS)", ErrUnavailable, pmuDir, err)
			return
		}
		t, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 32)
		if err != nil {
			pmuErr = fmt.Errorf("%w: %s/type: %v", ErrUnavailable, pmuDir, err)
			return
		}
		pmuVal.typ = uint32(t)
		// "config:0": the bit of attr.config that asks for a return probe.
		f, err := os.ReadFile(pmuDir + "/format/retprobe")
		if err != nil {
			pmuErr = fmt.Errorf("%w: %s/format/retprobe: %v", ErrUnavailable, pmuDir, err)
			return
		}
		bit, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimSpace(string(f)), "config:"), 10, 6)
		if err != nil {
			pmuErr = fmt.Errorf("%w: %s/format/retprobe %q: %v", ErrUnavailable, pmuDir, f, err)
			return
		}
		pmuVal.retBit = uint(bit)
	})
	return pmuVal, pmuErr
}

// Available reports whether uprobes can be opened here, by probing a
// function of this very binary for a moment. The answer is cached.
func Available() error {
	availOnce.Do(func() {
		availErr = probeSelf()
	})
	return availErr
}

var (
	availOnce sync.Once
	availErr  error
)

// ringPages is each CPU's ring size in pages (a power of two): 1 MiB holds
// about 9,000 hits between two drains.
const ringPages = 256

// drainEvery is how often the rings are read while recording.
const drainEvery = 5 * time.Millisecond

type ring struct {
	mem  []byte
	meta *unix.PerfEventMmapPage
	data []byte
}

// Session records one process tree's hits until Stop.
type Session struct {
	fds   []int
	rings []*ring
	ids   map[uint64]int32 // perf event id -> probe index
	max   int

	mu      sync.Mutex
	rec     Recording
	stop    chan struct{}
	drained chan struct{}
}

// Open places probes for pid and the tasks it creates from now on.
// A probe whose file the process never maps costs nothing.
//
// Each probe is one event for the whole task tree (cpu -1, inherited),
// all writing into one ring: closing a uprobe event waits for the
// kernel's RCU grace periods, about 85 ms each here and one close at a
// time, so one event per probe rather than one per CPU halves what
// ending a session costs. The kernel refuses to map an inherited per-task
// event, so the ring belongs to a dummy event of the task alone, and the
// probes and the side-band event (mappings, forks, execs) are redirected
// into it.
func Open(pid int, probes []Probe, o Options) (*Session, error) {
	p, err := loadPMU()
	if err != nil {
		return nil, err
	}
	if len(probes) == 0 {
		return nil, errors.New("uprobe: no probes")
	}
	s := &Session{ids: map[uint64]int32{}, max: o.MaxHits, stop: make(chan struct{}), drained: make(chan struct{})}
	if s.max <= 0 {
		s.max = 1 << 20
	}
	fail := func(err error) (*Session, error) {
		s.closeAll()
		return nil, err
	}
	leader, err := openEvent(dummyAttr(false, false), pid, "ring")
	if err != nil {
		return fail(err)
	}
	s.fds = append(s.fds, leader)
	page := os.Getpagesize()
	mem, err := unix.Mmap(leader, 0, (1+ringPages)*page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return fail(fmt.Errorf("%w: map perf ring buffer: %v", ErrUnavailable, err))
	}
	meta := (*unix.PerfEventMmapPage)(unsafe.Pointer(&mem[0]))
	off, size := uint64(page), uint64(ringPages*page)
	if meta.Data_offset != 0 && meta.Data_size != 0 {
		off, size = meta.Data_offset, meta.Data_size
	}
	s.rings = append(s.rings, &ring{mem: mem, meta: meta, data: mem[off : off+size]})
	redirect := func(fd int) error {
		s.fds = append(s.fds, fd)
		if err := unix.IoctlSetInt(fd, unix.PERF_EVENT_IOC_SET_OUTPUT, leader); err != nil {
			return fmt.Errorf("%w: share perf ring buffer: %v", ErrUnavailable, err)
		}
		return nil
	}
	side, err := openEvent(dummyAttr(true, o.EnableOnExec), pid, "side-band")
	if err != nil {
		return fail(err)
	}
	if err := redirect(side); err != nil {
		return fail(err)
	}
	for i, pr := range probes {
		fd, err := openProbe(p, pr, pid, o.EnableOnExec)
		if err != nil {
			return fail(err)
		}
		if err := redirect(fd); err != nil {
			return fail(err)
		}
		var id uint64
		if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.PERF_EVENT_IOC_ID, uintptr(unsafe.Pointer(&id))); e != 0 {
			return fail(fmt.Errorf("%w: perf event id: %v", ErrUnavailable, e))
		}
		s.ids[id] = int32(i)
	}
	go s.loop()
	return s, nil
}

// sampleAttr is what every event of a session shares: its samples' and
// side-band records' layout and clock.
func sampleAttr() unix.PerfEventAttr {
	attr := unix.PerfEventAttr{
		Size:        uint32(unsafe.Sizeof(unix.PerfEventAttr{})),
		Sample:      1, // every hit
		Sample_type: unix.PERF_SAMPLE_IDENTIFIER | unix.PERF_SAMPLE_TID | unix.PERF_SAMPLE_TIME | unix.PERF_SAMPLE_REGS_USER,
		Bits:        unix.PerfBitUseClockID | unix.PerfBitSampleIDAll,
		Clockid:     unix.CLOCK_MONOTONIC,

		Sample_regs_user: regsMask,
	}
	if stackBytes > 0 {
		attr.Sample_type |= unix.PERF_SAMPLE_STACK_USER
		attr.Sample_stack_user = stackBytes
	}
	return attr
}

// dummyAttr is a software event that samples nothing: the ring's owner,
// or (sideband) the carrier of the task tree's executable mappings (the
// kernel counts mapping listeners by attr.mmap; attr.mmap2 picks the
// record with the file), forks and execs.
func dummyAttr(sideband, onExec bool) unix.PerfEventAttr {
	attr := sampleAttr()
	attr.Type = unix.PERF_TYPE_SOFTWARE
	attr.Config = unix.PERF_COUNT_SW_DUMMY
	if sideband {
		attr.Bits |= unix.PerfBitInherit | unix.PerfBitMmap | unix.PerfBitMmap2 | unix.PerfBitComm | unix.PerfBitCommExec | unix.PerfBitTask
		if onExec {
			attr.Bits |= unix.PerfBitDisabled | unix.PerfBitEnableOnExec
		}
	}
	return attr
}

func openEvent(attr unix.PerfEventAttr, pid int, what string) (int, error) {
	fd, err := unix.PerfEventOpen(&attr, pid, -1, -1, unix.PERF_FLAG_FD_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("%w: perf_event_open(%s): %v%s", ErrUnavailable, what, err, permission(err))
	}
	return fd, nil
}

func permission(err error) string {
	if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) {
		return " (needs root or CAP_PERFMON)"
	}
	return ""
}

// openProbe opens one probe on the task tree of pid (-1 for none: a
// probe of this process only, for Available).
func openProbe(p pmu, pr Probe, pid int, onExec bool) (int, error) {
	path, err := unix.BytePtrFromString(pr.Path)
	if err != nil {
		return -1, fmt.Errorf("uprobe %s: %w", pr.Path, err)
	}
	attr := sampleAttr()
	attr.Type = p.typ
	attr.Ext1 = uint64(uintptr(unsafe.Pointer(path)))
	attr.Ext2 = pr.Offset
	attr.Bits |= unix.PerfBitInherit
	if pr.Return {
		attr.Config = 1 << p.retBit
	}
	if onExec {
		attr.Bits |= unix.PerfBitDisabled | unix.PerfBitEnableOnExec
	}
	fd, err := unix.PerfEventOpen(&attr, pid, -1, -1, unix.PERF_FLAG_FD_CLOEXEC)
	runtime.KeepAlive(path)
	if err != nil {
		kind := "uprobe"
		if pr.Return {
			kind = "uretprobe"
		}
		return -1, fmt.Errorf("%w: perf_event_open(%s %s+%#x): %v%s", ErrUnavailable, kind, pr.Path, pr.Offset, err, permission(err))
	}
	return fd, nil
}

func (s *Session) loop() {
	defer close(s.drained)
	tick := time.NewTicker(drainEvery)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
			if s.drain() {
				// Enough: remove the probes so the target runs on at
				// full speed.
				s.mu.Lock()
				s.closeAll()
				s.rec.Truncated = true
				s.mu.Unlock()
				<-s.stop
				return
			}
		}
	}
}

// Stop removes the probes and returns the recording in time order.
func (s *Session) Stop() Recording {
	close(s.stop)
	<-s.drained
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.rings) > 0 {
		s.drainLocked()
		s.closeAll()
	}
	r := s.rec
	slices.SortStableFunc(r.Hits, func(a, b Hit) int { return cmp.Compare(a.Time, b.Time) })
	slices.SortStableFunc(r.Maps, func(a, b Mapping) int { return cmp.Compare(a.Time, b.Time) })
	slices.SortStableFunc(r.Tasks, func(a, b Task) int { return cmp.Compare(a.Time, b.Time) })
	return r
}

func (s *Session) closeAll() {
	for _, rg := range s.rings {
		_ = unix.Munmap(rg.mem)
	}
	s.rings = nil
	// Each close unregisters a probe and waits for the kernel's RCU grace
	// periods: about 80 ms a probe here, one at a time whether closed
	// together or not. They are waited for, unlike a trace's tracepoints
	// (perfring.Release): unregistering a uprobe holds the kernel's
	// dup_mmap_sem for writing, which stalls every fork on the machine,
	// the next timed runs' among them.
	var wg sync.WaitGroup
	for _, fd := range s.fds {
		wg.Go(func() { unix.Close(fd) })
	}
	wg.Wait()
	s.fds = nil
}

// drain reads every ring; it reports whether MaxHits was reached.
func (s *Session) drain() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drainLocked()
	return len(s.rec.Hits) >= s.max
}

func (s *Session) drainLocked() {
	for _, rg := range s.rings {
		perfring.Drain(rg.meta, rg.data, s.record)
	}
}

// trailer is the size of the sample_id fields that end every side-band
// record: pid/tid, time, identifier.
const trailer = 24

func (s *Session) record(typ uint32, misc uint16, b []byte) {
	le := binary.LittleEndian
	switch typ {
	case unix.PERF_RECORD_SAMPLE:
		s.sample(b)
	case unix.PERF_RECORD_LOST:
		if len(b) >= 16 {
			s.rec.Lost += int64(le.Uint64(b[8:16]))
		}
	case unix.PERF_RECORD_MMAP2:
		// pid, tid u32; addr, len, pgoff u64; maj, min u32; ino,
		// ino_generation u64; prot, flags u32; filename.
		if len(b) < 64+trailer {
			return
		}
		name := b[64 : len(b)-trailer]
		if i := slices.Index(name, 0); i >= 0 {
			name = name[:i]
		}
		s.rec.Maps = append(s.rec.Maps, Mapping{Pid: int32(le.Uint32(b[0:4])), Time: le.Uint64(b[len(b)-16:]),
			Start: le.Uint64(b[8:16]), Len: le.Uint64(b[16:24]), Pgoff: le.Uint64(b[24:32]), Path: string(name)})
	case unix.PERF_RECORD_COMM:
		if misc&unix.PERF_RECORD_MISC_COMM_EXEC != 0 && len(b) >= 8+trailer {
			s.rec.Tasks = append(s.rec.Tasks, Task{Pid: int32(le.Uint32(b[0:4])), Exec: true, Time: le.Uint64(b[len(b)-16:])})
		}
	case unix.PERF_RECORD_FORK:
		// pid, ppid, tid, ptid u32; time u64. A new thread has pid ==
		// ppid and shares its process's mappings.
		if len(b) < 24 {
			return
		}
		pid, ppid := int32(le.Uint32(b[0:4])), int32(le.Uint32(b[4:8]))
		if pid != ppid {
			s.rec.Tasks = append(s.rec.Tasks, Task{Pid: pid, Parent: ppid, Time: le.Uint64(b[16:24])})
		}
	}
}

func (s *Session) sample(b []byte) {
	le := binary.LittleEndian
	// identifier u64; pid, tid u32; time u64; regs abi u64, regs...;
	// stack size u64, data, dyn_size u64.
	if len(b) < 32 {
		return
	}
	probe, ok := s.ids[le.Uint64(b[0:8])]
	if !ok {
		return
	}
	if len(s.rec.Hits) >= s.max {
		s.rec.Lost++
		return
	}
	h := Hit{Probe: probe, Pid: int32(le.Uint32(b[8:12])), Tid: int32(le.Uint32(b[12:16])), Time: le.Uint64(b[16:24])}
	abi := le.Uint64(b[24:32])
	rest := b[32:]
	if abi != 0 {
		if len(rest) < 8*regsCount {
			return
		}
		var regs [regsCount]uint64
		for i := range regs {
			regs[i] = le.Uint64(rest[8*i:])
		}
		rest = rest[8*regsCount:]
		h.Args, h.Ret, h.Caller = decodeRegs(&regs)
	}
	if stackBytes > 0 && len(rest) >= 8 {
		n := le.Uint64(rest[0:8])
		if n >= 8 && uint64(len(rest)) >= 8+n+8 {
			dyn := le.Uint64(rest[8+n:])
			if dyn >= 8 {
				h.Caller = le.Uint64(rest[8:16])
			}
		}
	}
	s.rec.Hits = append(s.rec.Hits, h)
}
