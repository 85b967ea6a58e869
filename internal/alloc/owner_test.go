package alloc

import "testing"

// TestOwner: the issuing site names who made or released a mapping.
func TestOwner(t *testing.T) {
	for _, tc := range []struct {
		obj, fn, caller, cobj, want string
	}{
		{"/usr/lib/x86_64-linux-gnu/libc.so.6", "madvise", "_int_free", "/usr/lib/x86_64-linux-gnu/libc.so.6", OwnerGlibc},
		{"/usr/lib/x86_64-linux-gnu/libc.so.6", "munmap", "new_heap", "/usr/lib/x86_64-linux-gnu/libc.so.6", OwnerGlibc},
		{"/usr/lib/x86_64-linux-gnu/libc.so.6", "mmap64", "fopen", "/usr/lib/x86_64-linux-gnu/libc.so.6", OwnerLibc},
		{"/usr/lib/x86_64-linux-gnu/libc.so.6", "madvise", "je_pages_purge_forced", "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", Jemalloc},
		{"/usr/lib/x86_64-linux-gnu/libc.so.6", "munmap", "main", "/tmp/prog", OwnerProgram},
		{"/tmp/gobin", "runtime.sysFreeOS", "runtime.sysFree", "/tmp/gobin", OwnerGo},
		{"/usr/lib/x86_64-linux-gnu/libc.so.6", "mprotect", "", "/usr/bin/node", OwnerV8},
		{"/usr/lib/x86_64-linux-gnu/libc.so.6", "mmap64", "", "/usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so", OwnerJVM},
		{"/usr/lib/x86_64-linux-gnu/libc.so.6", "munmap", "_PyObject_ArenaMunmap", "/usr/bin/python3.11", OwnerCPython},
		{"/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "__mmap", "_dl_map_object", "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", OwnerLoader},
		{"/usr/lib/x86_64-linux-gnu/libc.so.6", "madvise", "je_pages_purge_forced", "/srv/bin/redis-server", OwnerLinked},
		{"/usr/lib/x86_64-linux-gnu/libc.so.6", "madvise", "", "", ""},
	} {
		if got := Owner(tc.obj, tc.fn, tc.caller, tc.cobj); got != tc.want {
			t.Errorf("Owner(%s, %s, %s, %s) = %q, want %q", tc.obj, tc.fn, tc.caller, tc.cobj, got, tc.want)
		}
	}
}
