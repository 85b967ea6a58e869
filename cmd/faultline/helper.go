package main

import "github.com/faultline/faultline/internal/workload"

// helperMain runs faultline in one of its re-exec'd helper roles and
// reports whether it did: the native demo workload here; the process
// launcher registers itself from internal/proc's init.
func helperMain() bool {
	return workload.Main()
}
