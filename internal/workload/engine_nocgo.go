//go:build !cgo && !(linux && (amd64 || arm64))

package workload

import "errors"

// Without cgo there is no C code to call malloc through, and a statically
// linked process ignores LD_PRELOAD anyway: the workload reports that it is
// unavailable instead of measuring something else.
const haveEngine = false

var errNoEngine = errors.New("this faultline was built without cgo (CGO_ENABLED=0); the native workload needs it")

func engineSetup(madviseHugepage, prewarm bool) error             { return errNoEngine }
func engineRun(cand int, loops, iter0 int64) (measurement, error) { return measurement{}, errNoEngine }
func engineAllocStats() (count, bytes, peak int64)                { return 0, 0, 0 }
func engineAllocReset()                                           {}
func libcVersion() string                                         { return "" }
