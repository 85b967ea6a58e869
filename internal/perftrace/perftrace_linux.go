package perftrace

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/internal/memtrace"
	"github.com/faultline/faultline/internal/perfring"
)

// tracepoints are the syscall events recorded, with the fields read from
// each (by name, from the event's format file).
// The process-creation calls are optional (an architecture without fork
// or vfork has no tracepoint for them): without one, forks go uncounted.
var tracepoints = []struct {
	event    string
	call     string
	fields   []string
	optional bool
}{
	{"sys_exit_brk", memtrace.CallBrk, []string{"ret"}, false},
	{"sys_enter_mmap", memtrace.CallMmap, []string{"addr", "len", "prot", "flags", "fd"}, false},
	{"sys_enter_munmap", memtrace.CallMunmap, []string{"addr", "len"}, false},
	{"sys_enter_mremap", memtrace.CallMremap, []string{"addr", "old_len", "new_len", "flags"}, false},
	{"sys_enter_madvise", memtrace.CallMadvise, []string{"start", "len_in", "behavior"}, false},
	{"sys_enter_mprotect", memtrace.CallMprotect, []string{"start", "len", "prot"}, false},
	{"sys_enter_clone", memtrace.CallFork, []string{"clone_flags"}, true},
	{"sys_enter_clone3", memtrace.CallFork, nil, true},
	{"sys_enter_fork", memtrace.CallFork, nil, true},
	{"sys_enter_vfork", memtrace.CallFork, nil, true},
}

// tracefsDirs are where tracefs is usually mounted.
var tracefsDirs = []string{"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}

// format is what faultline needs of one tracepoint.
type format struct {
	id     uint16
	call   string
	event  string         // the tracepoint's name: which call created a process
	offset map[string]int // field name -> byte offset in the raw record
}

var (
	formatsOnce sync.Once
	formats     map[uint16]*format
	formatsErr  error
)

// loadFormats reads the tracepoints' ids and field offsets from tracefs,
// mounting it at /sys/kernel/tracing when it is not mounted and we may.
func loadFormats() (map[uint16]*format, error) {
	formatsOnce.Do(func() {
		dir, denied := "", false
		for _, d := range tracefsDirs {
			_, err := os.Stat(filepath.Join(d, "events", "syscalls"))
			if err == nil {
				dir = d
				break
			}
			denied = denied || errors.Is(err, os.ErrPermission)
		}
		if dir == "" && denied {
			formatsErr = fmt.Errorf("%w: tracefs is not readable by this user (run as root, or give it CAP_PERFMON and read access to /sys/kernel/tracing)", ErrUnavailable)
			return
		}
		if dir == "" {
			// tracefs is a kernel interface like procfs; mounting it
			// changes nothing but its visibility.
			if err := unix.Mount("nodev", tracefsDirs[0], "tracefs", 0, ""); err == nil {
				if _, err := os.Stat(filepath.Join(tracefsDirs[0], "events", "syscalls")); err == nil {
					dir = tracefsDirs[0]
				}
			}
		}
		if dir == "" {
			formatsErr = fmt.Errorf("%w: no syscall tracepoints in tracefs (not mounted, or a kernel without CONFIG_FTRACE_SYSCALLS)", ErrUnavailable)
			return
		}
		formats = map[uint16]*format{}
		for _, tp := range tracepoints {
			f, err := readFormat(filepath.Join(dir, "events", "syscalls", tp.event), tp.call, tp.fields)
			if err != nil && tp.optional {
				continue
			}
			if err != nil {
				formatsErr = fmt.Errorf("%w: %v", ErrUnavailable, err)
				return
			}
			formats[f.id] = f
		}
	})
	return formats, formatsErr
}

func readFormat(dir, call string, want []string) (*format, error) {
	idText, err := os.ReadFile(filepath.Join(dir, "id"))
	if err != nil {
		return nil, err
	}
	id, err := strconv.ParseUint(strings.TrimSpace(string(idText)), 10, 16)
	if err != nil {
		return nil, fmt.Errorf("%s/id: %w", dir, err)
	}
	fh, err := os.Open(filepath.Join(dir, "format"))
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	f := &format{id: uint16(id), call: call, event: filepath.Base(dir), offset: map[string]int{}}
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		// "\tfield:unsigned long len;\toffset:24;\tsize:8;\tsigned:0;"
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "field:") {
			continue
		}
		parts := strings.Split(line, ";")
		if len(parts) < 3 {
			continue
		}
		decl := strings.Fields(strings.TrimPrefix(parts[0], "field:"))
		if len(decl) == 0 {
			continue
		}
		name := decl[len(decl)-1]
		off, err1 := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(parts[1]), "offset:"))
		size, err2 := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(parts[2]), "size:"))
		if err1 == nil && err2 == nil && size == 8 {
			f.offset[name] = off
		}
	}
	for _, w := range want {
		if _, ok := f.offset[w]; !ok {
			return nil, fmt.Errorf("%s/format: no 8-byte field %q", dir, w)
		}
	}
	return f, sc.Err()
}

// Available reports whether recording works here, by recording this
// process for a moment. The answer is cached.
func Available() error {
	availOnce.Do(func() {
		r, err := Attach(os.Getpid())
		if err != nil {
			availErr = err
			return
		}
		_, _, availErr = r.Stop()
	})
	return availErr
}

var (
	availOnce sync.Once
	availErr  error
)

// ring is one CPU's ring buffer, shared by every tracepoint on that CPU.
type ring struct {
	mem  []byte
	meta *unix.PerfEventMmapPage
	data []byte
}

// Recorder records one process (and the threads and children it creates
// after Attach) until Stop.
type Recorder struct {
	pid   int
	fds   []int
	rings []*ring
	fmts  map[uint16]*format

	// sites: the tracepoints sample the user registers and stack top,
	// and a side-band event per CPU reports the mappings, forks and execs
	// that name them.
	sites bool

	mu      sync.Mutex
	samples []sample
	maps    []mapping
	tasks   []task
	stats   Stats
	tids    map[int]bool
	brk     map[int]int64 // last known program break by process
	stop    chan struct{}
	drained chan struct{}
}

// ringPages is the data size of each CPU's ring buffer in pages (a power
// of two): 256 KiB holds several thousand samples between two drains.
const ringPages = 64

// drainEvery is how often the ring buffers are read while recording.
const drainEvery = 5 * time.Millisecond

// maxEvents bounds what one recording keeps, whatever the target does.
const maxEvents = 1 << 20

// Attach starts recording pid's memory syscalls, on every CPU, from now.
// Threads pid has already started are not followed (a perf event follows
// one task and what it creates afterwards); the probe starts none.
//
// Each call's issuing site is recorded too where the kernel lets a
// tracepoint sample the user registers; where it refuses, the calls are
// recorded without and Stats.NoSites says why.
func Attach(pid int) (*Recorder, error) {
	fmts, err := loadFormats()
	if err != nil {
		return nil, err
	}
	r := &Recorder{pid: pid, fmts: fmts, tids: map[int]bool{}, brk: map[int]int64{},
		stop: make(chan struct{}), drained: make(chan struct{})}
	if regsMask == 0 {
		r.stats.NoSites = "no user register layout known for " + runtime.GOARCH
	} else if err := r.open(true); err != nil {
		r.closeAll()
		r.stats.NoSites = fmt.Sprintf("the kernel refused user registers or mappings on syscall tracepoints (%v)", errors.Unwrap(err))
	} else {
		r.sites = true
		// What the process mapped before now: the side-band event reports
		// only mappings made from here on.
		r.maps = append(r.maps, procMaps(pid)...)
	}
	if !r.sites {
		if err := r.open(false); err != nil {
			r.closeAll()
			return nil, err
		}
	}
	go r.loop()
	return r, nil
}

// open opens every tracepoint on every CPU, one ring per CPU; with sites,
// the samples carry the user IP and stack top and a side-band event per
// CPU reports the task tree's executable mappings, forks and execs.
func (r *Recorder) open(sites bool) error {
	page := os.Getpagesize()
	ncpu := runtime.NumCPU()
	for cpu := 0; cpu < ncpu; cpu++ {
		leader := -1
		for _, f := range sortedFormats(r.fmts) {
			attr := unix.PerfEventAttr{
				Type:        unix.PERF_TYPE_TRACEPOINT,
				Config:      uint64(f.id),
				Size:        uint32(unsafe.Sizeof(unix.PerfEventAttr{})),
				Sample:      1, // every call
				Sample_type: unix.PERF_SAMPLE_TID | unix.PERF_SAMPLE_TIME | unix.PERF_SAMPLE_RAW,
				Bits:        unix.PerfBitInherit | unix.PerfBitUseClockID,
				Clockid:     unix.CLOCK_MONOTONIC,
			}
			if sites {
				attr.Sample_type |= unix.PERF_SAMPLE_REGS_USER
				attr.Sample_regs_user = regsMask
				if stackBytes > 0 {
					attr.Sample_type |= unix.PERF_SAMPLE_STACK_USER
					attr.Sample_stack_user = stackBytes
				}
			}
			fd, err := unix.PerfEventOpen(&attr, r.pid, cpu, -1, unix.PERF_FLAG_FD_CLOEXEC)
			if err != nil {
				if errors.Is(err, unix.ENODEV) || errors.Is(err, unix.EINVAL) && cpu > 0 && leader < 0 {
					break // an offline CPU
				}
				return fmt.Errorf("%w: perf_event_open(syscalls/%s): %w (needs root, CAP_PERFMON or perf_event_paranoid -1)",
					ErrUnavailable, f.call, err)
			}
			r.fds = append(r.fds, fd)
			if leader < 0 {
				leader = fd
				mem, err := unix.Mmap(fd, 0, (1+ringPages)*page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
				if err != nil {
					return fmt.Errorf("%w: map perf ring buffer: %w", ErrUnavailable, err)
				}
				meta := (*unix.PerfEventMmapPage)(unsafe.Pointer(&mem[0]))
				off, size := uint64(page), uint64(ringPages*page)
				if meta.Data_offset != 0 && meta.Data_size != 0 {
					off, size = meta.Data_offset, meta.Data_size
				}
				r.rings = append(r.rings, &ring{mem: mem, meta: meta, data: mem[off : off+size]})
				continue
			}
			if err := unix.IoctlSetInt(fd, unix.PERF_EVENT_IOC_SET_OUTPUT, leader); err != nil {
				return fmt.Errorf("%w: share perf ring buffer: %w", ErrUnavailable, err)
			}
		}
		if sites && leader >= 0 {
			fd, err := unix.PerfEventOpen(sidebandAttr(), r.pid, cpu, -1, unix.PERF_FLAG_FD_CLOEXEC)
			if err != nil {
				return fmt.Errorf("%w: perf_event_open(mappings): %w", ErrUnavailable, err)
			}
			r.fds = append(r.fds, fd)
			if err := unix.IoctlSetInt(fd, unix.PERF_EVENT_IOC_SET_OUTPUT, leader); err != nil {
				return fmt.Errorf("%w: share perf ring buffer: %w", ErrUnavailable, err)
			}
		}
	}
	if len(r.rings) == 0 {
		return fmt.Errorf("%w: no CPU accepted the events", ErrUnavailable)
	}
	return nil
}

// sidebandAttr is a software event that samples nothing and carries the
// task tree's executable mappings (the kernel counts mapping listeners by
// attr.mmap; attr.mmap2 picks the record with the file), forks and execs,
// each ending with its pid, tid and time (sample_id_all).
func sidebandAttr() *unix.PerfEventAttr {
	return &unix.PerfEventAttr{
		Type:        unix.PERF_TYPE_SOFTWARE,
		Config:      unix.PERF_COUNT_SW_DUMMY,
		Size:        uint32(unsafe.Sizeof(unix.PerfEventAttr{})),
		Sample_type: unix.PERF_SAMPLE_TID | unix.PERF_SAMPLE_TIME,
		Bits: unix.PerfBitInherit | unix.PerfBitUseClockID | unix.PerfBitSampleIDAll |
			unix.PerfBitMmap | unix.PerfBitMmap2 | unix.PerfBitComm | unix.PerfBitCommExec | unix.PerfBitTask,
		Clockid: unix.CLOCK_MONOTONIC,
	}
}

func sortedFormats(m map[uint16]*format) []*format {
	out := make([]*format, 0, len(m))
	for _, f := range m {
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b *format) int { return cmp.Compare(a.id, b.id) })
	return out
}

func (r *Recorder) loop() {
	defer close(r.drained)
	tick := time.NewTicker(drainEvery)
	defer tick.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-tick.C:
			r.drain()
		}
	}
}

// Stop ends the recording and returns the events in the order the kernel
// timestamped them (At is CLOCK_MONOTONIC time).
func (r *Recorder) Stop() ([]memtrace.Event, Stats, error) {
	for _, fd := range r.fds {
		_ = unix.IoctlSetInt(fd, unix.PERF_EVENT_IOC_DISABLE, 0)
	}
	close(r.stop)
	<-r.drained
	r.drain()
	r.closeAll()
	r.mu.Lock()
	defer r.mu.Unlock()
	// Each CPU's buffer is in time order; merge them.
	slices.SortStableFunc(r.samples, func(a, b sample) int { return cmp.Compare(a.e.At, b.e.At) })
	ev := r.withExecs(r.resolve())
	r.fixBrk(ev)
	st := r.stats
	st.Threads = max(1, len(r.tids))
	return ev, st, nil
}

// withExecs adds the execs the side-band reported (where it records), in
// time order: a process's mappings and footprint start anew at its exec.
func (r *Recorder) withExecs(ev []memtrace.Event) []memtrace.Event {
	n := len(ev)
	for _, t := range r.tasks {
		if t.exec {
			ev = append(ev, memtrace.Event{Call: memtrace.CallExec, Pid: t.pid, Tid: t.pid, At: time.Duration(t.at)})
		}
	}
	if len(ev) > n {
		slices.SortStableFunc(ev, func(a, b memtrace.Event) int { return cmp.Compare(a.At, b.At) })
	}
	return ev
}

// fixBrk turns each brk's returned break into the change of the break,
// per process, in time order. The first brk seen of a process (usually
// the query glibc makes at start-up, or one made before Attach) sets the
// reference and counts as a change of 0, as in the ptrace tracer.
func (r *Recorder) fixBrk(ev []memtrace.Event) {
	for i := range ev {
		e := &ev[i]
		if e.Call == memtrace.CallExec {
			// A new image has a break of its own.
			delete(r.brk, e.Pid)
			continue
		}
		if e.Call != memtrace.CallBrk {
			continue
		}
		if last, ok := r.brk[e.Pid]; ok {
			e.Size = e.Ret - last
		}
		r.brk[e.Pid] = e.Ret
		e.Addr = uint64(e.Ret)
	}
}

func (r *Recorder) closeAll() {
	for _, rg := range r.rings {
		_ = unix.Munmap(rg.mem)
	}
	r.rings = nil
	perfring.Release(r.fds)
	r.fds = nil
}

// forkFlags are the clone flags of a process-creation call seen at its
// entry. clone3's flags are in a structure the tracepoint does not
// copy; glibc uses clone3 for threads and posix_spawn, which share the
// caller's memory, and clone for fork.
func forkFlags(event string, cloneFlags uint64) uint64 {
	switch event {
	case "sys_enter_clone":
		return cloneFlags
	case "sys_enter_vfork":
		return memtrace.CloneVM | memtrace.CloneVfork
	case "sys_enter_clone3":
		return memtrace.ForkShared
	}
	return 0
}

// drain reads every ring buffer from its tail to its head.
func (r *Recorder) drain() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rg := range r.rings {
		perfring.Drain(rg.meta, rg.data, r.record)
	}
}

// record decodes one ring-buffer record body.
func (r *Recorder) record(typ uint32, misc uint16, b []byte) {
	le := binary.LittleEndian
	switch typ {
	case unix.PERF_RECORD_MMAP2, unix.PERF_RECORD_COMM, unix.PERF_RECORD_FORK:
		r.sideband(typ, misc, b)
	case unix.PERF_RECORD_LOST:
		if len(b) >= 16 {
			r.stats.Lost += int64(le.Uint64(b[8:16]))
		}
	case unix.PERF_RECORD_SAMPLE:
		// PERF_SAMPLE_TID: pid, tid u32; TIME: u64; RAW: u32 size, data.
		if len(b) < 20 {
			return
		}
		pid, tid := int(le.Uint32(b[0:4])), int(le.Uint32(b[4:8]))
		at := le.Uint64(b[8:16])
		rawLen := int(le.Uint32(b[16:20]))
		raw := b[20:]
		if rawLen > len(raw) || rawLen < 2 {
			return
		}
		rest := raw[rawLen:]
		raw = raw[:rawLen]
		f := r.fmts[le.Uint16(raw[0:2])]
		if f == nil {
			return
		}
		r.stats.Samples++
		if len(r.samples) >= maxEvents {
			r.stats.Lost++
			return
		}
		get := func(name string) uint64 {
			off := f.offset[name]
			if off+8 > len(raw) {
				return 0
			}
			return le.Uint64(raw[off : off+8])
		}
		e := memtrace.Event{Call: f.call, Pid: pid, Tid: tid, At: time.Duration(at)}
		switch f.call {
		case memtrace.CallBrk:
			e.Ret = int64(get("ret"))
		case memtrace.CallMmap:
			e.Addr, e.Size, e.Flags = get("addr"), int64(get("len")), get("flags")
			e.Prot, e.Fd = int(int32(get("prot"))), int(int32(get("fd")))
		case memtrace.CallMprotect:
			e.Addr, e.Size, e.Prot = get("start"), int64(get("len")), int(int32(get("prot")))
		case memtrace.CallFork:
			e.Flags = forkFlags(f.event, get("clone_flags"))
		case memtrace.CallMunmap:
			e.Addr, e.Size = get("addr"), int64(get("len"))
		case memtrace.CallMremap:
			e.Addr, e.Old, e.Size, e.Flags = get("addr"), int64(get("old_len")), int64(get("new_len")), get("flags")
		case memtrace.CallMadvise:
			e.Addr, e.Size, e.Advice = get("start"), int64(get("len_in")), int(int32(get("behavior")))
		}
		r.tids[tid] = true
		s := sample{e: e}
		if r.sites {
			s.ip, s.ret, s.regs = userRegs(rest)
		}
		r.samples = append(r.samples, s)
	}
}
