// Package faultcost calibrates what one minor page fault costs on this
// machine, so fault counts can be turned into time. The cost varies by two
// orders of magnitude: about 0.5-1 µs on bare metal, about 10 µs in a
// virtual machine with shadow paging, where the exception round trip
// dominates the kernel's real work.
package faultcost

import (
	"fmt"
	"slices"
	"time"

	"golang.org/x/sys/unix"
)

// Calibration is the measured cost of one first-touch fault of a fresh
// anonymous 4 KiB page.
type Calibration struct {
	FaultSeconds float64
	Pages        int
}

// Measure maps fresh anonymous memory without huge pages, writes one byte
// per page, and takes the median cost per page over a few repetitions. It
// takes tens of milliseconds.
func Measure() (Calibration, error) {
	const size = 8 << 20
	page := unix.Getpagesize()
	var per []float64
	for range 5 {
		mem, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
		if err != nil {
			return Calibration{}, fmt.Errorf("calibrate fault cost: %w", err)
		}
		// Without this, a THP-enabled kernel may map 2 MiB at a time.
		_ = unix.Madvise(mem, unix.MADV_NOHUGEPAGE)
		start := time.Now()
		for i := 0; i < size; i += page {
			mem[i] = 1
		}
		d := time.Since(start)
		_ = unix.Munmap(mem)
		per = append(per, d.Seconds()/float64(size/page))
	}
	slices.Sort(per)
	return Calibration{FaultSeconds: per[len(per)/2], Pages: size / page}, nil
}
