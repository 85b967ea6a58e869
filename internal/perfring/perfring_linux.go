// Package perfring reads the records of a perf_event mmap ring: the one
// reader that the syscall trace pass (internal/perftrace) and the native
// allocation pass (internal/uprobe) share.
package perfring

import (
	"encoding/binary"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Drain calls fn with each record between the ring's tail and head (its
// type, misc bits and the body after the 8-byte header), then frees them
// for the kernel. A record whose size is impossible ends the drain: what
// is left is skipped rather than misread.
func Drain(meta *unix.PerfEventMmapPage, data []byte, fn func(typ uint32, misc uint16, body []byte)) {
	head := atomic.LoadUint64(&meta.Data_head)
	tail := atomic.LoadUint64(&meta.Data_tail)
	size := uint64(len(data))
	var hdr [8]byte
	for tail < head {
		copyRing(hdr[:], data, tail, size)
		typ := binary.LittleEndian.Uint32(hdr[0:4])
		misc := binary.LittleEndian.Uint16(hdr[4:6])
		n := uint64(binary.LittleEndian.Uint16(hdr[6:8]))
		if n < 8 || n > size {
			tail = head // corrupt: skip what is there
			break
		}
		rec := make([]byte, n)
		copyRing(rec, data, tail, size)
		fn(typ, misc, rec[8:])
		tail += n
	}
	atomic.StoreUint64(&meta.Data_tail, tail)
}

// copyRing copies len(dst) bytes from the ring at pos, wrapping at its end.
func copyRing(dst, data []byte, pos, size uint64) {
	start := pos % size
	n := copy(dst, data[start:])
	copy(dst[n:], data)
}
