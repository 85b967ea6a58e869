package alloc

import (
	"path"
	"slices"
	"strings"
)

// Owners of memory system calls: who made a mapping or gave memory back,
// read from the call's issuing site (the function holding the syscall
// instruction and its caller, with their objects).
const (
	OwnerGlibc   = "glibc malloc"
	OwnerLibc    = "libc"
	OwnerLoader  = "dynamic loader"
	OwnerGo      = "Go runtime"
	OwnerV8      = "V8 (Node.js)"
	OwnerJVM     = "JVM"
	OwnerCPython = "CPython"
	OwnerProgram = "program"
	// OwnerLinked is an allocator linked into the program (Redis's
	// jemalloc, a Rust binary's jemallocator), told by its functions'
	// names.
	OwnerLinked = "an allocator linked into the program"
)

// glibcMalloc are name parts of glibc's malloc internals that map, trim or
// unmap memory (sysmalloc, systrim, heap_trim, new_heap, shrink_heap,
// munmap_chunk, mremap_chunk, _int_free, malloc_trim, arena_get2).
var glibcMalloc = []string{"malloc", "free", "realloc", "calloc", "memalign", "sysmalloc", "systrim", "heap", "arena", "chunk", "_int_"}

// otherAllocators are allocator libraries faultline does not configure
// but recognises as the issuer of a release.
var otherAllocators = []string{"snmalloc", "hoard", "scudo"}

// Owner names who issued a memory syscall from its site: an allocator, a
// language runtime, the C library, the dynamic loader or the program
// itself; "" when the site says nothing (no object known).
func Owner(object, function, caller, callerObject string) string {
	obj, cobj := path.Base(object), path.Base(callerObject)
	if callerObject == "" {
		cobj = ""
	}
	if object == "" {
		obj = ""
	}
	has := func(o, p string) bool { return o != "" && strings.Contains(o, p) }
	switch {
	case strings.HasPrefix(function, "runtime.") || strings.HasPrefix(caller, "runtime."):
		return OwnerGo
	case has(cobj, "ld-linux") || has(obj, "ld-linux") && cobj == "":
		return OwnerLoader
	case Known(cobj) != "":
		return Known(cobj)
	case cobj != "" && slices.Contains(otherAllocators, stem(cobj)):
		return stem(cobj)
	case has(cobj, "libjvm") || has(obj, "libjvm"):
		return OwnerJVM
	case has(cobj, "libnode") || has(cobj, "libv8") || cobj == "node" || cobj == "nodejs":
		return OwnerV8
	case has(cobj, "libpython") || strings.HasPrefix(cobj, "python"):
		return OwnerCPython
	case strings.HasPrefix(cobj, "libc.so") || strings.HasPrefix(cobj, "libc-"):
		for _, p := range glibcMalloc {
			if strings.Contains(caller, p) {
				return OwnerGlibc
			}
		}
		return OwnerLibc
	case caller != "" && OwnFunction(caller):
		return OwnerLinked
	case cobj != "":
		return OwnerProgram
	}
	return ""
}
