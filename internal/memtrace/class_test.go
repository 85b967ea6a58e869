package memtrace

import "testing"

// TestClassify: a Tally tells a file mapping, a reservation and its
// commit, and fresh memory apart, matches an munmap to the mapping it
// unmaps by address or (when the mapping's address was not seen) by
// size, and counts the memory a fork shares.
func TestClassify(t *testing.T) {
	const pid = 10
	file := func(size int64) Event {
		return Event{Call: CallMmap, Pid: pid, Tid: pid, Size: size, Prot: ProtRead, Flags: 0x02, Fd: 3}
	}
	reserve := func(addr uint64, size int64, flags uint64) Event {
		return Event{Call: CallMmap, Pid: pid, Tid: pid, Addr: addr, Size: size, Flags: MapAnonymous | 0x02 | MapNoReserve | flags, Fd: -1}
	}
	unmap := func(addr uint64, size int64) Event {
		return Event{Call: CallMunmap, Pid: pid, Tid: pid, Addr: addr, Size: size}
	}
	tl := NewTally()
	for _, e := range []Event{
		file(1 << 20), unmap(0x7000, 1<<20), // matched by size
		reserve(0x10000000, 64<<20, MapFixed),
		{Call: CallMprotect, Pid: pid, Tid: pid, Addr: 0x10000000, Size: 1 << 20, Prot: ProtRead | ProtWrite},
		unmap(0x10000000+(32<<20), 4<<20), // part of the reservation, by address
		anon(Event{Call: CallMmap, Pid: pid, Tid: pid, Size: 2 << 20}),
		unmap(0x9000, 2<<20), // no file or reservation of this size: fresh memory
		{Call: CallFork, Pid: pid, Tid: pid, Ret: pid + 1},
		{Call: CallFork, Pid: pid, Tid: pid, Ret: pid + 2, Flags: CloneVM | CloneVfork},
		{Call: CallFork, Pid: pid, Tid: pid, Ret: pid + 3, Flags: CloneVM | CloneThread},
	} {
		tl.Add(e)
	}
	s := tl.Whole()
	per := func(call string, bytes int64) float64 {
		for _, sc := range s.Sizes {
			if sc.Call == call && sc.Bytes == bytes {
				return sc.Per
			}
		}
		return 0
	}
	for _, c := range []struct {
		call  string
		bytes int64
	}{{"mmap:file", 1 << 20}, {"munmap:file", 1 << 20}, {"mmap:reserve", 64 << 20}, {"munmap:reserve", 4 << 20}, {"mprotect:rw", 1 << 20}, {"mmap", 2 << 20}, {"munmap", 2 << 20}} {
		if per(c.call, c.bytes) != 1 {
			t.Errorf("%s of %d: %v, want 1 (sizes %+v)", c.call, c.bytes, per(c.call, c.bytes), s.Sizes)
		}
	}
	if s.FileMappedBytes != 1<<20 || s.ReservedBytes != 64<<20 || s.CommittedBytes != 1<<20 || s.MappedBytes != 2<<20 {
		t.Errorf("file %v, reserved %v, committed %v, fresh %v", s.FileMappedBytes, s.ReservedBytes, s.CommittedBytes, s.MappedBytes)
	}
	if s.Forks != 1 || s.Spawns != 1 {
		t.Errorf("forks %v, spawns %v; want 1 and 1 (a thread is neither)", s.Forks, s.Spawns)
	}
	// At the fork: 1 MiB committed; the 2 MiB block was unmapped.
	if s.ForkedBytes != 1<<20 {
		t.Errorf("the fork shared %v bytes, want the 1 MiB committed", s.ForkedBytes)
	}
}

// TestFixedMappingCommitsAReservation: a MAP_FIXED mapping over part of a
// reservation (how Go and the JVM commit) is fresh memory, and the part
// it replaced is no longer the reservation's.
func TestFixedMappingCommitsAReservation(t *testing.T) {
	const pid = 3
	tl := NewTally()
	tl.Add(Event{Call: CallMmap, Pid: pid, Addr: 0x40000000, Size: 64 << 20, Flags: MapAnonymous | 0x02 | MapFixed, Fd: -1})
	tl.Add(anon(Event{Call: CallMmap, Pid: pid, Addr: 0x40000000, Size: 4 << 20, Flags: MapFixed}))
	tl.Add(Event{Call: CallMunmap, Pid: pid, Addr: 0x40000000, Size: 4 << 20})
	s := tl.Whole()
	for _, sc := range s.Sizes {
		if sc.Call == "munmap:reserve" {
			t.Errorf("the committed part unmapped as a reservation: %+v", s.Sizes)
		}
	}
	if s.MappedBytes != 4<<20 {
		t.Errorf("fresh memory %v, want 4 MiB", s.MappedBytes)
	}
}
