//go:build cgo

package workload

// #cgo CFLAGS: -O3
// #include "seed.h"
import "C"

import "errors"

// haveEngine reports whether this build can run the native workload.
const haveEngine = true

var errNoMemory = errors.New("malloc(8000000) failed")

// engineSetup builds the input and prepares the allocator (seed.c, fl_setup).
func engineSetup(madviseHugepage, prewarm bool) error {
	if C.fl_setup(cBool(madviseHugepage), cBool(prewarm)) != 0 {
		return errors.New("malloc failed during setup")
	}
	return nil
}

// engineRun runs candidate cand loops times inside one C call, so the timed
// stretch contains no Go code. iter0 numbers the first iteration (it only
// picks which element is read back).
func engineRun(cand int, loops, iter0 int64) (measurement, error) {
	var m C.fl_meas
	rc := C.fl_run(C.int(cand), C.int64_t(loops), C.int64_t(iter0), &m)
	meas := measurement{ns: int64(m.ns), minflt: int64(m.minflt), majflt: int64(m.majflt),
		utime: int64(m.utime_ns), stime: int64(m.stime_ns)}
	if rc != 0 {
		return meas, errNoMemory
	}
	return meas, nil
}

// engineAllocStats returns the buffers allocated since the last reset: count,
// bytes, and the peak of live bytes.
func engineAllocStats() (count, bytes, peak int64) {
	var c, b, p C.int64_t
	C.fl_alloc_stats(&c, &b, &p)
	return int64(c), int64(b), int64(p)
}

func engineAllocReset() { C.fl_alloc_reset() }

// libcVersion is glibc's version ("2.36"), or "" for another libc.
func libcVersion() string { return C.GoString(C.fl_libc_version()) }

func cBool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}
