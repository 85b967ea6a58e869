// Package faultcost calibrates what one minor page fault costs on this
// machine, so fault counts can be turned into time. The cost varies by two
// orders of magnitude: about 0.5-1 µs on bare metal, about 10 µs in a
// virtual machine with shadow paging, where the exception round trip
// dominates the kernel's real work.
package faultcost

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/faultline/faultline/internal/atomicfile"
)

// Calibration is the measured cost of one first-touch fault of a fresh
// anonymous 4 KiB page.
type Calibration struct {
	FaultSeconds float64
	Pages        int
	// Busy says the measuring thread waited for a CPU for a fifth of
	// the measurement or more (other work held it): the figure is used
	// for this run, never cached.
	Busy bool
}

// Measure maps fresh anonymous memory without huge pages, writes one byte
// per page, and takes the median cost per page over a few repetitions. It
// takes tens of milliseconds. The cost is the thread's own CPU time, not
// elapsed time: on a busy machine the loop is preempted, and elapsed time
// would count the other work's turns as the faults' cost.
func Measure() (Calibration, error) {
	const size = 8 << 20
	page := unix.Getpagesize()
	var per []float64
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var wall, cpu time.Duration
	for range 5 {
		mem, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
		if err != nil {
			return Calibration{}, fmt.Errorf("calibrate fault cost: %w", err)
		}
		// Without this, a THP-enabled kernel may map 2 MiB at a time.
		_ = unix.Madvise(mem, unix.MADV_NOHUGEPAGE)
		start, t0 := threadCPU(), time.Now()
		for i := 0; i < size; i += page {
			mem[i] = 1
		}
		d := threadCPU() - start
		wall += time.Since(t0)
		cpu += d
		_ = unix.Munmap(mem)
		per = append(per, d.Seconds()/float64(size/page))
	}
	slices.Sort(per)
	busy := wall > 0 && float64(wall-cpu) >= busyShare*float64(wall)
	return Calibration{FaultSeconds: per[len(per)/2], Pages: size / page, Busy: busy}, nil
}

// busyShare is the share of its elapsed time the calibration may spend
// waiting for a CPU before its figure counts as taken on a busy machine.
const busyShare = 0.2

// threadCPU is the calling thread's CPU time, user and system; elapsed
// time where the clock is refused.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts) != nil {
		return time.Duration(time.Now().UnixNano())
	}
	return time.Duration(ts.Nano())
}

// cacheTTL bounds how long a calibration is reused within one boot: the
// cost moves with the host's load, but re-measuring on every run would
// make two runs of the same comparison disagree about the same faults.
const cacheTTL = 24 * time.Hour

// cacheEntry is the cached calibration with the facts it is valid for.
type cacheEntry struct {
	Key          string    `json:"key"`
	FaultSeconds float64   `json:"fault_s"`
	Pages        int       `json:"pages"`
	Measured     time.Time `json:"measured"`
}

// Cached returns the calibration cached in dir for this boot and kernel
// when it is younger than a day, and otherwise measures it and caches it
// unless it waited for a CPU for much of the measurement.
// fromCache says which happened. An unusable cache (unwritable dir, bad
// file) only costs a fresh measurement.
func Cached(dir string) (c Calibration, fromCache bool, err error) {
	key := machineKey()
	path := filepath.Join(dir, "faultcost.json")
	if data, rerr := readCache(path); rerr == nil && key != "" {
		var e cacheEntry
		if json.Unmarshal(data, &e) == nil && e.Key == key && Plausible(e.FaultSeconds) && e.Pages > 0 &&
			time.Since(e.Measured) < cacheTTL && time.Since(e.Measured) >= 0 {
			return Calibration{FaultSeconds: e.FaultSeconds, Pages: e.Pages}, true, nil
		}
	}
	c, err = Measure()
	if err != nil || key == "" || c.Busy {
		return c, false, err
	}
	data, _ := json.Marshal(cacheEntry{Key: key, FaultSeconds: c.FaultSeconds, Pages: c.Pages, Measured: time.Now()})
	if os.MkdirAll(dir, 0o755) == nil {
		_ = atomicfile.Write(path, data)
	}
	return c, false, nil
}

// maxCache bounds the cache file: an entry is about 150 bytes.
const maxCache = 64 << 10

// readCache reads the cache file when it is a regular file of at most
// maxCache bytes: a cache replaced by a link to /dev/zero, a FIFO or a
// huge file is ignored (a fresh measurement replaces it), never read
// until memory runs out or waited on.
func readCache(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() || st.Size() > maxCache {
		return nil, fmt.Errorf("%s: not a cache file", path)
	}
	return io.ReadAll(io.LimitReader(f, maxCache))
}

// A fault costs about 1 µs on Intel hosts and 10 µs on AMD ones
// (docs/measurement.md); outside 1 ns to 1 ms a cached figure is corrupt,
// and multiplied by a fault count it could overflow the result.
const minFault, maxFault = 1e-9, 1e-3

// Plausible says whether s can be the cost of one fault in seconds.
func Plausible(s float64) bool { return s >= minFault && s <= maxFault }

// DefaultDir is faultline's cache directory ($XDG_CACHE_HOME/faultline or
// ~/.cache/faultline), or "" when there is none.
func DefaultDir() string {
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "faultline")
}

// machineKey identifies this boot of this kernel on this CPU: a reboot,
// a new kernel or a migration to other hardware invalidates the cache.
func machineKey() string {
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return ""
	}
	return strings.TrimSpace(string(boot)) + "|" + unix.ByteSliceToString(u.Release[:]) + "|" + unix.ByteSliceToString(u.Machine[:])
}
