package memtrace

// What a mapping is decides what it can cost: an anonymous, accessible
// mapping is fresh memory whose every page faults on first touch; a file
// mapping faults its pages in from the page cache; a reservation
// (PROT_NONE) costs nothing until part of it is committed with mprotect,
// and only the committed part can fault. A Tally classifies each call so
// that a mapping is never read as an allocation: size keys and issuer
// groups carry the class ("mmap:file", "munmap:reserve", "mprotect:rw").

// Classes of a mapping, as suffixes of the calls' size keys.
const (
	ClassFile    = "file"
	ClassReserve = "reserve"
)

// mprotect's size keys: to writable (a commit), to PROT_NONE (a
// decommit), anything else (read-only or executable: relocations, JIT
// code).
const (
	MprotectCommit   = CallMprotect + ":rw"
	MprotectDecommit = CallMprotect + ":none"
	MprotectOther    = CallMprotect + ":ro"
)

// maxRegions bounds the file mappings and reservations a Tally tracks per
// process; past it, new ones are classified but not remembered, and an
// munmap of them counts as anonymous.
const maxRegions = 512

// region is a live file mapping or reservation of a process. addr is 0
// where the recorder saw the call before the kernel chose the address
// (the ptrace tracer reads mmap at entry): such a region is matched by
// its size.
type region struct {
	addr  uint64
	size  int64
	class string
}

func pageUp(n int64) int64 { return (n + 4095) &^ 4095 }

// classify returns the size key of a memory call in its process and
// updates the process's live regions.
func (st *procState) classify(e Event) string {
	switch e.Call {
	case CallMmap:
		class := ""
		switch {
		case e.Flags&MapAnonymous == 0 && e.Fd >= 0:
			class = ClassFile
		case e.Prot == 0:
			class = ClassReserve
		}
		if e.Flags&MapFixed != 0 {
			// Mapped over part of a region: that part is no longer
			// the region's (Go and the JVM commit reservations so).
			st.cut(e.Addr, e.Size)
		}
		if class == "" {
			return CallMmap
		}
		if len(st.maps) < maxRegions {
			addr := uint64(0)
			if e.Flags&MapFixed != 0 {
				addr = e.Addr
			}
			st.maps = append(st.maps, region{addr: addr, size: pageUp(length(e.Size)), class: class})
		}
		return CallMmap + ":" + class
	case CallMunmap:
		if class := st.unmap(e.Addr, pageUp(length(e.Size))); class != "" {
			return CallMunmap + ":" + class
		}
		return CallMunmap
	case CallMprotect:
		switch {
		case e.Prot&ProtWrite != 0:
			return MprotectCommit
		case e.Prot == 0:
			return MprotectDecommit
		}
		return MprotectOther
	}
	// brk and madvise are keyed by direction and advice where counted.
	return e.Call
}

// unmap finds the region an munmap of size bytes at addr unmaps: the one
// at that address, else one that holds it (part of a reservation), else
// one of that size whose address is unknown. It forgets a region
// unmapped whole and returns its class, "" for none.
func (st *procState) unmap(addr uint64, size int64) string {
	for i, r := range st.maps {
		if r.addr != 0 && addr >= r.addr && addr < r.addr+uint64(r.size) {
			if addr == r.addr && size >= r.size {
				st.maps = append(st.maps[:i], st.maps[i+1:]...)
			}
			return r.class
		}
	}
	for i, r := range st.maps {
		if r.addr == 0 && r.size == size {
			st.maps = append(st.maps[:i], st.maps[i+1:]...)
			return r.class
		}
	}
	return ""
}

// cut forgets regions a fixed mapping of size bytes at addr starts in.
func (st *procState) cut(addr uint64, size int64) {
	for i := 0; i < len(st.maps); i++ {
		r := st.maps[i]
		if r.addr != 0 && addr <= r.addr && r.addr < addr+uint64(length(size)) {
			st.maps = append(st.maps[:i], st.maps[i+1:]...)
			i--
		}
	}
}

// track keeps the process's footprint: fresh memory mapped, grown and
// committed, less what it unmapped, shrank and decommitted (an munmap of
// a file or a reservation frees no fresh memory).
func (st *procState) track(e Event, key string) {
	n := length(e.Size)
	switch {
	case key == CallMmap, key == MprotectCommit:
		st.footprint = satAdd(st.footprint, n)
	case key == CallMunmap, key == MprotectDecommit:
		st.footprint -= n
	case e.Call == CallBrk:
		st.footprint += e.Size
	case e.Call == CallMremap:
		st.footprint += length(e.Size) - length(e.Old)
	}
	st.footprint = max(0, st.footprint)
}
