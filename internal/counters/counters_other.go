//go:build !linux

package counters

import "errors"

// Set is unavailable off Linux.
type Set struct{}

// Open fails off Linux: the caller falls back to rusage.
func Open(pid int) (*Set, error) { return nil, errors.New("perf_event_open needs Linux") }

// UserOnly is false off Linux.
func (s *Set) UserOnly() bool { return false }

// Notes is empty off Linux.
func (s *Set) Notes() []string { return nil }

// Read returns nothing off Linux.
func (s *Set) Read() (map[string]float64, error) {
	return nil, errors.New("perf_event_open needs Linux")
}

// Close does nothing off Linux.
func (s *Set) Close() error { return nil }

// Paranoid is unknown off Linux.
func Paranoid() int { return -9 }

// Probe reports that nothing can be counted off Linux.
func Probe() Capabilities {
	return Capabilities{Paranoid: -9, Note: "perf events need Linux: counters from rusage"}
}
