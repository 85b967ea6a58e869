package main

// helperMain runs faultline in one of its re-exec'd helper roles (process
// launcher, native workload) and reports whether it did.
func helperMain() bool {
	return false
}
