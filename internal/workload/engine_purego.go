//go:build !cgo && linux && (amd64 || arm64)

package workload

// A faultline built without cgo (no C compiler on the machine that built
// it: `go run` then turns cgo off) still carries the native workload: it
// loads the C library with purego and calls glibc's malloc, free and
// madvise directly, so the allocator sees the same request stream as from
// seed.c. The arithmetic runs in Go over the malloc'd memory, which is
// slower than seed.c's vectorised loops (and than NumPy's), so B/A is
// smaller than with the cgo engine; the mechanism, the faults and the
// diagnosis are the same. docs/workload.md compares the two.

import (
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
	"golang.org/x/sys/unix"
)

const haveEngine = true

var errNoMemory = errors.New("malloc(8000000) failed")

// n is FL_N of seed.h: the input's length and each buffer's element count.
const n = 1_000_000

// inv255 turns the division into a multiplication: Go does not vectorise
// the loop, and a divide per element would make A several times slower
// than NumPy's; the values differ in the last bit at most.
const inv255 = 1.0 / 255.0

// hugepageMin is NumPy's threshold for MADV_HUGEPAGE advice (4 MiB).
const hugepageMin = 1 << 22

var libc struct {
	once    sync.Once
	err     error
	malloc  func(size uintptr) unsafe.Pointer
	free    func(p unsafe.Pointer)
	version func() string
}

func loadLibc() error {
	libc.once.Do(func() {
		h, err := purego.Dlopen("libc.so.6", purego.RTLD_NOW|purego.RTLD_GLOBAL)
		if err != nil {
			libc.err = fmt.Errorf("load the C library: %w", err)
			return
		}
		// malloc and free from the global scope, not from libc's handle:
		// an LD_PRELOADed allocator (the tcmalloc, mimalloc and jemalloc
		// configurations) comes first there, as for a C program.
		purego.RegisterLibFunc(&libc.malloc, purego.RTLD_DEFAULT, "malloc")
		purego.RegisterLibFunc(&libc.free, purego.RTLD_DEFAULT, "free")
		if _, err := purego.Dlsym(h, "gnu_get_libc_version"); err == nil {
			purego.RegisterLibFunc(&libc.version, h, "gnu_get_libc_version")
		}
	})
	return libc.err
}

var (
	input                  unsafe.Pointer // n bytes, live for the whole run
	madviseHugepageOn      bool
	count, bytes, live, pk int64
	sink                   float64
)

func cmalloc(size uintptr) unsafe.Pointer {
	p := libc.malloc(size)
	if p == nil {
		return nil
	}
	count++
	bytes += int64(size)
	live += int64(size)
	pk = max(pk, live)
	if madviseHugepageOn && size >= hugepageMin {
		// NumPy's indicate_hugepages, quirk included: a page-aligned p
		// skips a whole page.
		off := 4096 - uintptr(p)%4096
		_, _, _ = unix.Syscall(unix.SYS_MADVISE, uintptr(p)+off, size-off, unix.MADV_HUGEPAGE)
	}
	return p
}

func cfree(p unsafe.Pointer, size uintptr) {
	live -= int64(size)
	libc.free(p)
}

func floats(p unsafe.Pointer) []float64 { return unsafe.Slice((*float64)(p), n) }

func astype() []float64 {
	p := cmalloc(n * 8)
	if p == nil {
		return nil
	}
	t, in := floats(p), unsafe.Slice((*byte)(input), n)
	for i := range t {
		t[i] = float64(in[i])
	}
	return t
}

func runA(iter int64) error {
	t := astype()
	if t == nil {
		return errNoMemory
	}
	for i := range t {
		t[i] *= inv255
	}
	sink = t[uint64(iter)%n]
	cfree(unsafe.Pointer(&t[0]), n*8)
	return nil
}

func runB(iter int64) error {
	t := astype()
	if t == nil {
		return errNoMemory
	}
	p := cmalloc(n * 8)
	if p == nil {
		cfree(unsafe.Pointer(&t[0]), n*8)
		return errNoMemory
	}
	r := floats(p)
	for i := range r {
		r[i] = t[i] * inv255
	}
	sink = r[uint64(iter)%n]
	cfree(unsafe.Pointer(&t[0]), n*8)
	cfree(p, n*8)
	return nil
}

func engineSetup(madviseHugepage, prewarm bool) error {
	if err := loadLibc(); err != nil {
		return err
	}
	madviseHugepageOn = madviseHugepage
	if input = libc.malloc(n); input == nil {
		return errors.New("malloc failed during setup")
	}
	in := unsafe.Slice((*byte)(input), n)
	x := uint64(0x9e3779b97f4a7c15) // xorshift64: any bytes will do
	for i := range in {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		in[i] = byte(x >> 56)
	}
	if prewarm {
		p := cmalloc(n * 8)
		if p == nil {
			return errors.New("malloc failed during setup")
		}
		cfree(p, n*8)
	}
	engineAllocReset()
	return nil
}

func engineRun(cand int, loops, iter0 int64) (measurement, error) {
	fn := runA
	if cand == candB {
		fn = runB
	}
	var r0, r1 unix.Rusage
	var t0, t1 unix.Timespec
	_ = unix.Getrusage(unix.RUSAGE_SELF, &r0)
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &t0)
	var err error
	for i := int64(0); i < loops; i++ {
		if err = fn(iter0 + i); err != nil {
			break
		}
	}
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &t1)
	_ = unix.Getrusage(unix.RUSAGE_SELF, &r1)
	return measurement{ns: t1.Nano() - t0.Nano(), minflt: r1.Minflt - r0.Minflt, majflt: r1.Majflt - r0.Majflt,
		utime: unix.TimevalToNsec(r1.Utime) - unix.TimevalToNsec(r0.Utime),
		stime: unix.TimevalToNsec(r1.Stime) - unix.TimevalToNsec(r0.Stime)}, err
}

func engineAllocStats() (c, b, p int64) { return count, bytes, pk }

func engineAllocReset() { count, bytes, pk = 0, 0, live }

func libcVersion() string {
	if loadLibc() != nil || libc.version == nil {
		return ""
	}
	return libc.version()
}
